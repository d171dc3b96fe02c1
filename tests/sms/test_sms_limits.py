"""Abuse limits on the SMS channel: one polite notice, then silence; STOP and danger still answered."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.abuse import LimitPolicy, MemoryLimitBackend, RateLimiter
from bot.safety import EMERGENCY_TEXT
from bot.server.app import build_app
from tests.sms.conftest import Phone


@pytest.fixture
async def limited(sms_runtime):
    limited = []
    sms_runtime.extras["limiter"] = RateLimiter(
        MemoryLimitBackend(),
        LimitPolicy(sender_per_minute=5, sms_segments_per_hour=25, new_sms_senders_per_hour=3),
        on_limit=limited.append,
    )
    async with TestClient(TestServer(build_app(sms_runtime, channels=("sms",)))) as client:
        client.limited = limited
        yield client


async def test_a_flood_gets_one_notice_then_silence(limited):
    phone = Phone(limited)
    for body in ["hi", "1", "back", "1", "back"]:
        assert await phone.say(body)
    notice = await phone.say("menu")
    assert "paused" in notice and "999" in notice
    assert await phone.send("menu") == []
    assert await phone.send("menu") == []
    assert limited.limited.count("sender_rate") >= 1


async def test_danger_over_the_rate_limit_still_gets_the_emergency_text(limited):
    phone = Phone(limited)
    for body in ["hi", "1", "back", "1", "back", "menu"]:
        await phone.say(body)
    assert await phone.say("he has a knife and he's here now") == EMERGENCY_TEXT


async def test_stop_is_recorded_even_when_rate_limited(limited):
    phone = Phone(limited)
    for body in ["hi", "1", "back", "1", "back", "menu", "menu"]:
        await phone.send(body)
    assert await phone.send("STOP") == []
    assert await phone.say("start")  # opted back in, so it was recorded


async def test_new_senders_are_capped_per_hour(limited):
    for n in range(3):
        assert "FORGET" in await Phone(limited, number=f"+4477009005{n:02d}").say("hi")
    fourth = await Phone(limited, number="+447700900599").say("hi")
    assert "not starting new text conversations" in fourth
    assert await Phone(limited, number="+447700900598").send("hi") == []  # one notice an hour in total


async def test_the_hourly_segment_cap_pauses_replies(limited):
    phones = [Phone(limited, number=f"+4477009006{n:02d}") for n in range(3)]
    sent = 0
    for _ in range(20):
        for phone in phones:
            for reply in await phone.send("menu"):
                sent += 1
                if "very busy" in reply:
                    assert "sms_segments" in limited.limited
                    return
    pytest.fail(f"the segment cap was never reached after {sent} replies")


async def test_whatsapp_is_not_counted_against_the_sms_caps(limited):
    for n in range(5):
        assert "FORGET" in await Phone(limited, number=f"whatsapp:+4477009007{n:02d}").say("hi")
