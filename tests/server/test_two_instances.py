"""Two `pathways serve` processes on one PostgreSQL: one conversation's messages land on both, in turn and
at the same time, and every state transition, dedupe and opt-out holds across instances."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid

import aiohttp
import asyncpg
import pytest

from bot.storage.migrate import upgrade
from tests.server.instances import start_instance
from tests.sms.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, SECRET, messages_of, sign


def start_two(pg_url, tmp_path, **extra: str):
    upgrade(pg_url)
    env = {"DATABASE_URL": pg_url, "PATHWAYS_SECRET": SECRET, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "LOG_LEVEL": "WARNING", **extra}
    return [start_instance(env, tmp_path, name=name) for name in ("a", "b")]


@pytest.fixture
def two_instances(pg_url, tmp_path):
    instances = start_two(pg_url, tmp_path)
    yield instances
    for instance in instances:
        instance.stop()


@pytest.fixture(params=["postgresql", "redis"])
def two_limited_instances(request, pg_url, tmp_path):
    extra = {"RATE_LIMIT_PER_MINUTE": "4"}
    if request.param == "redis":
        redis_url = os.environ.get("PATHWAYS_TEST_REDIS_URL")
        if not redis_url:
            pytest.skip("PATHWAYS_TEST_REDIS_URL is not set: no Redis to share the limits through")
        extra["REDIS_URL"] = redis_url
    instances = start_two(pg_url, tmp_path, **extra)
    yield instances
    for instance in instances:
        instance.stop()


class Phone:
    def __init__(self, session: aiohttp.ClientSession, number: str = "+447700900321") -> None:
        self.session = session
        self.number = number

    async def send(self, base_url: str, body: str, sid: str | None = None) -> list[str]:
        params = {"From": self.number, "Body": body, "MessageSid": sid or f"SM{uuid.uuid4().hex}"}
        headers = {"X-Twilio-Signature": sign("/sms/inbound", params)}
        async with self.session.post(base_url + "/sms/inbound", data=params, headers=headers) as response:
            assert response.status == 200, await response.text()
            return messages_of(await response.text())


async def stored_state(pg_url: str) -> tuple[dict, int]:
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch("SELECT state, version FROM conversation")
    finally:
        await conn.close()
    assert len(rows) == 1
    return json.loads(rows[0]["state"]), rows[0]["version"]


async def test_a_conversation_alternating_between_instances_walks_the_pathway(two_instances, pg_url):
    a, b = (i.url for i in two_instances)
    async with aiohttp.ClientSession() as session:
        phone = Phone(session)
        walk = ["hi", "1", "1", "1", "14", "0", "no", "no", "1", "no"]
        replies = [await phone.send(a if n % 2 == 0 else b, body) for n, body in enumerate(walk)]
    assert "14 yes answers meets the visible high risk criterion" in replies[7][0]
    assert "IDVA" in replies[9][0]
    state, version = await stored_state(pg_url)
    assert version == len(walk)
    answers = state["answers"]
    assert (answers["ric_yes"], answers["incidents_12m"], answers["previously_referred"],
            answers["professional_concern"], answers["children"]) == (14, 0, False, False, False)


async def test_one_message_delivered_to_both_instances_at_once_is_answered_once(two_instances, pg_url):
    a, b = (i.url for i in two_instances)
    async with aiohttp.ClientSession() as session:
        phone = Phone(session)
        await phone.send(a, "hi")
        for n in range(10):
            sid = f"SMdup{n:029d}"
            body = "1" if n == 0 else "back"
            first, second = await asyncio.gather(phone.send(a, body, sid), phone.send(b, body, sid))
            assert sorted([bool(first), bool(second)]) == [False, True], (n, first, second)
    _, version = await stored_state(pg_url)
    assert version == 1 + 10  # each message advanced the conversation exactly once


async def test_concurrent_messages_of_one_conversation_are_serialised(two_instances, pg_url):
    a, b = (i.url for i in two_instances)
    async with aiohttp.ClientSession() as session:
        phone = Phone(session)
        for body in ["hi", "1", "1", "1"]:
            await phone.send(a, body)
        _, before = await stored_state(pg_url)
        # At "how many of the 24 questions": two numbers at once, one to each instance. Both are valid at
        # either of the next two questions, so whichever order they run in, the pathway moves on twice.
        await asyncio.gather(phone.send(a, "14"), phone.send(b, "2"))
        state, after = await stored_state(pg_url)
        assert after == before + 2
        frames = state["frames"]
        assert len(frames) == 1 and len(state["history"]) >= 2
        reply = await phone.send(b, "no")
        assert "professional judgement" in reply[0]


async def test_opt_out_on_one_instance_silences_the_other(two_instances):
    a, b = (i.url for i in two_instances)
    async with aiohttp.ClientSession() as session:
        phone = Phone(session, number="+447700900777")
        await phone.send(a, "hi")
        assert await phone.send(a, "STOP") == []
        assert await phone.send(b, "menu") == []
        assert await phone.send(b, "START")
        assert await phone.send(a, "menu")


async def test_the_rate_limit_holds_across_instances(two_limited_instances):
    a, b = (i.url for i in two_limited_instances)
    if time.time() % 60 > 45:  # the limit's windows are whole clock minutes: do not straddle one
        await asyncio.sleep(61 - time.time() % 60)
    async with aiohttp.ClientSession() as session:
        phone = Phone(session, number=f"+4477009{uuid.uuid4().int % 100000:05d}")
        replies = [await phone.send(a if n % 2 == 0 else b, "hi" if n == 0 else "menu") for n in range(8)]
    answered = [r for r in replies[:4] if r and "paused" not in r[0]]
    assert len(answered) == 4
    assert "paused" in replies[4][0]  # one polite notice, whichever instance it reached
    assert replies[5:] == [[], [], []]  # then silence on both
