"""`pathways content reload` (SIGHUP) swaps content in a running server without a restart: conversations in
progress finish on the flow version they started on, new ones get the new version, and broken content is
refused while the server keeps serving the old."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import aiohttp
import pytest

from tests.server.instances import ROOT, start_instance
from tests.sms.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, SECRET, messages_of, new_sid, sign

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGHUP is POSIX")

OLD_QUESTION = "First, is it safe for her to talk now, and is anyone in immediate danger?"
NEW_QUESTION = "Before anything else, is she safe to talk, and is anyone in immediate danger?"


@pytest.fixture
def content_copy(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(ROOT / "flows", root / "flows")
    shutil.copytree(ROOT / "knowledge", root / "knowledge")
    return root


@pytest.fixture
def server(content_copy, tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'reload.db'}", "PATHWAYS_SECRET": SECRET,
           "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
           "PATHWAYS_CONTENT_DIR": str(content_copy), "LOG_LEVEL": "INFO"}
    pid_file = tmp_path / "pathways.pid"
    instance = start_instance(env, tmp_path, name="reload", args=("--pid-file", str(pid_file)))
    instance.env = env
    instance.pid_file = pid_file
    yield instance
    instance.stop()


async def text(session, base, number, body):
    params = {"From": number, "Body": body, "MessageSid": new_sid()}
    async with session.post(base + "/sms/inbound", data=params,
                            headers={"X-Twilio-Signature": sign("/sms/inbound", params)}) as response:
        assert response.status == 200
        return "\n".join(messages_of(await response.text()))


def reload(server) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", "content", "reload", "--pid-file", str(server.pid_file)],
                          env={**__import__("os").environ, **server.env}, capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def edit_flow(root, old: str, new: str) -> None:
    path = root / "flows" / "marac-referral.yaml"
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new), encoding="utf-8")


async def wait_for_log(server, needle: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while needle not in server.log():
        assert time.monotonic() < deadline, server.log()
        await __import__("asyncio").sleep(0.1)


async def test_reload_keeps_running_conversations_on_their_version(server, content_copy):
    async with aiohttp.ClientSession() as session:
        base = server.url
        await text(session, base, "+447700900001", "hi")
        assert OLD_QUESTION in await text(session, base, "+447700900001", "1")  # in the pathway, version 1
        assert "risk checklist" in await text(session, base, "+447700900001", "1")

        edit_flow(content_copy, OLD_QUESTION, NEW_QUESTION)
        edit_flow(content_copy, "\nversion: 1\n", "\nversion: 2\n")
        result = reload(server)
        assert result.returncode == 0, result.stderr
        await wait_for_log(server, "content reloaded")

        # The running conversation goes on in version 1: BACK shows the question it started with.
        assert OLD_QUESTION in await text(session, base, "+447700900001", "back")
        # A new conversation gets version 2.
        await text(session, base, "+447700900002", "hi")
        assert NEW_QUESTION in await text(session, base, "+447700900002", "1")


async def test_broken_content_is_refused_and_the_server_keeps_serving(server, content_copy):
    edit_flow(content_copy, "start:", "strat:")
    result = reload(server)
    assert result.returncode == 1
    assert "marac-referral.yaml" in result.stderr
    # Sent anyway (e.g. by systemctl reload): the server refuses and keeps the old content.
    import os
    import signal

    os.kill(server.process.pid, signal.SIGHUP)
    await wait_for_log(server, "content reload refused")
    async with aiohttp.ClientSession() as session:
        await text(session, server.url, "+447700900003", "hi")
        assert OLD_QUESTION in await text(session, server.url, "+447700900003", "1")
