"""The live trainer page in a real browser: headless Chromium (Debian's `chromium`) loads it from a real server
over loopback, the charts are in the rendered DOM, the page reloads itself when a new answer arrives, and a
screenshot is kept as a test artifact (tests/artifacts/, or PATHWAYS_TEST_ARTIFACTS)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import shutil
import struct
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.server.app import build_app
from bot.server.runtime import Runtime
from bot.storage.sql import open_store
from bot.training.cohorts import create_cohort
from bot.training.links import live_path
from tests.sms.conftest import SECRET, sms_settings
from tests.training.conftest import AE

pytestmark = pytest.mark.e2e

TOKEN = "trainer-token-for-tests-0123456789"
ARTIFACTS = Path(os.environ.get("PATHWAYS_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1280,2400"]
ROOM = {"+447700900001": ["2", "2", "3", "1"], "+447700900002": ["3", "1", "2", "2"],
        "+447700900003": ["2", "1", "2", "1"], "+447700900004": ["3", "2", "2", "2"], "+447700900005": ["1"]}


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.skip("headless Chromium not found (install Debian's `chromium` package; .ci/run does)")


async def chromium(browser: str, profile: Path, url: str, *extra: str, timeout: float = 90) -> str:
    process = await asyncio.create_subprocess_exec(
        browser, *FLAGS, f"--user-data-dir={profile}", *extra, url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


@pytest.fixture
async def served(sqlite_url, shipped_content, clock):
    """A real server on loopback with the trainer routes, a cohort of five who have played, and a page counter."""
    store = await open_store(sqlite_url)
    runtime = Runtime.create(sms_settings(sqlite_url, trainer_token=TOKEN), shipped_content, store, SECRET)
    cohort = await create_cohort(store, shipped_content, name="CCR Leaders, Leeds (browser test)", scenarios=(AE,),
                                 expires_in=dt.timedelta(days=1), now=clock.now)
    for sender, answers in ROOM.items():
        for text in [f"JOIN {cohort.code}", *answers]:
            await runtime.service.handle("sms", sender, text)
    pages: list[str] = []
    after_first_page: list = []

    @web.middleware
    async def count_pages(request, handler):
        response = await handler(request)
        if request.path == f"/trainer/cohorts/{cohort.code}":
            pages.append(request.path)
            if len(pages) == 1 and after_first_page:
                asyncio.get_running_loop().create_task(after_first_page[0]())
        return response

    app = build_app(runtime, channels=("trainer",))
    app.middlewares.append(count_pages)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, runtime, cohort, pages, after_first_page
    await server.close()
    await store.close()


async def test_chromium_renders_the_charts_and_a_screenshot_is_kept(served, tmp_path):
    browser = find_chromium()
    server, runtime, cohort, _, _ = served
    url = f"http://127.0.0.1:{server.port}{live_path(TOKEN, cohort.code)}"
    dom = await chromium(browser, tmp_path / "profile-dom", url, "--dump-dom")
    charts = re.findall(r"<svg\b", dom)
    decisions = len([n for n in runtime.content.catalog.get(AE).nodes.values() if n.options])
    assert len(charts) == decisions + 2  # a chart per decision, completion, scores
    assert len(re.findall(r'class="bar recommended"', dom)) == decisions
    assert "4 of 5 finished (80%)" in dom
    assert "CCR Leaders, Leeds (browser test)" in dom

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "trainer-report.png"
    shot.unlink(missing_ok=True)
    await chromium(browser, tmp_path / "profile-shot", url, f"--screenshot={shot}")
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 2400)
    assert shot.stat().st_size > 50_000  # charts and text, not a blank page
    print(f"\nscreenshot of the trainer's page: {shot}")


async def test_the_page_reloads_itself_when_an_answer_arrives(served, tmp_path):
    browser = find_chromium()
    server, runtime, cohort, pages, after_first_page = served

    async def someone_answers() -> None:
        for text in (f"JOIN {cohort.code}", "2"):
            await runtime.service.handle("sms", "+447700900006", text)

    after_first_page.append(someone_answers)
    url = f"http://127.0.0.1:{server.port}{live_path(TOKEN, cohort.code)}"
    # Virtual time runs the page's 5-second poll at once; the network stays real.
    dom = await chromium(browser, tmp_path / "profile-poll", url, "--dump-dom", "--virtual-time-budget=30000")
    assert len(pages) >= 2, "the page did not reload after the new answer"
    assert '<b class="joined">6</b> joined' in dom
    assert '<b class="answers">18</b> answers' in dom
