"""Polling inside the server's event loop: offsets, errors waited out, and the whole channel in polling mode."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram import Bot

from bot.channels.telegram import TELEGRAM
from bot.channels.telegram_fake import FakeBotApi, OfflineRequest, serve_fake_bot_api
from bot.channels.telegram_polling import poll_updates
from bot.conversation.service import ConversationService
from bot.server.app import build_app
from bot.server.runtime import Runtime
from bot.storage.sql import open_store

from .conftest import SECRET, TOKEN, telegram_settings


def message(update_id: int, text: str = "menu") -> dict:
    return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "text": text,
                                                "chat": {"id": 5, "type": "private"},
                                                "from": {"id": 5, "is_bot": False, "first_name": "P"}}}


@pytest.fixture
async def bot():
    api = FakeBotApi()
    bot = Bot(TOKEN, request=OfflineRequest(api), get_updates_request=OfflineRequest(api))
    yield bot, api


async def _poll_until(queue: asyncio.Queue, count: int, task: asyncio.Task) -> list:
    got = []
    try:
        async with asyncio.timeout(5):
            while len(got) < count:
                got.append(await queue.get())
    finally:
        task.cancel()
    return got


async def test_updates_are_queued_in_order_and_confirmed_with_the_next_offset(bot):
    bot, api = bot
    api.updates.extend([message(10), message(11), message(12)])
    queue: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(poll_updates(bot, queue, long_poll=0, interval=0.01))
    got = await _poll_until(queue, 3, task)
    assert [u.update_id for u in got] == [10, 11, 12]
    await asyncio.sleep(0)
    offsets = [c.params.get("offset") for c in api.of("getUpdates")]
    assert offsets[0] is None and "13" in offsets[1:]


async def test_network_errors_flood_control_and_timeouts_are_waited_out(bot):
    bot, api = bot
    api.fail("getUpdates", 502, "Bad Gateway")
    api.fail("getUpdates", timeout=True)
    api.fail("getUpdates", 429, "Too Many Requests: retry after 0", retry_after=0)
    api.fail("getUpdates", 409, "Conflict: terminated by other getUpdates request")
    api.updates.append(message(1))
    queue: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(poll_updates(bot, queue, long_poll=0, interval=0.01, backoff=0.01))
    got = await _poll_until(queue, 1, task)
    assert got[0].update_id == 1
    assert len(api.of("getUpdates")) >= 5


async def test_a_rejected_token_stops_polling_without_raising(bot):
    bot, api = bot
    api.fail("getUpdates", 401, "Unauthorized")
    await asyncio.wait_for(poll_updates(bot, asyncio.Queue(), long_poll=0, interval=0.01), 5)


async def test_the_server_in_polling_mode_answers_what_it_fetches(tmp_path, shipped_content, shipped_searcher):
    api = FakeBotApi()
    runner, url = await serve_fake_bot_api(api)
    store = await open_store(f"sqlite:///{tmp_path / 'pathways.db'}")
    settings = telegram_settings(telegram_api_base_url=url, telegram_webhook_url=None, telegram_webhook_secret=None)
    runtime = Runtime(settings=settings, store=store, secret=SECRET,
                      service=ConversationService(shipped_content, store, SECRET, searcher=shipped_searcher))
    runtime.extras.update(telegram_polling=True, telegram_poll_interval=0.02, telegram_long_poll=0)
    app = build_app(runtime, channels=("telegram",))
    try:
        async with TestClient(TestServer(app)):
            await asyncio.wait_for(app[TELEGRAM].ready.wait(), 10)
            assert api.of("deleteWebhook") and not api.of("setWebhook")
            api.updates.append(message(1, "/menu"))
            async with asyncio.timeout(5):
                while not api.sent(5):
                    await asyncio.sleep(0.02)
            assert "What do you need?" in api.sent(5)[0].params["text"]
    finally:
        await runner.cleanup()
        await store.close()
