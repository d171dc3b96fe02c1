"""The webhook route and the channel's start-up, over real HTTP: our server (build_app, SQLite) on loopback,
and a recording Bot API on loopback that TELEGRAM_API_BASE_URL points at."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram import SECRET_HEADER, TELEGRAM, WEBHOOK_PATH, TelegramConfig, secret_matches
from bot.channels.telegram_fake import FakeBotApi, serve_fake_bot_api
from bot.errors import ConfigError
from bot.server.app import build_app
from bot.server.runtime import Runtime
from bot.storage.sql import open_store

from .conftest import SECRET, TOKEN, WEBHOOK_SECRET, telegram_settings


@pytest.fixture
async def bot_api():
    api = FakeBotApi()
    runner, url = await serve_fake_bot_api(api)
    yield api, url
    await runner.cleanup()


async def _server(bot_api, tmp_path, shipped_content, shipped_searcher, **settings_overrides):
    from bot.conversation.service import ConversationService

    api, url = bot_api
    settings = telegram_settings(telegram_api_base_url=url,
                                 telegram_webhook_url="http://127.0.0.1:9/telegram/webhook", **settings_overrides)
    store = await open_store(f"sqlite:///{tmp_path / 'pathways.db'}")
    runtime = Runtime(settings=settings, store=store, secret=SECRET,
                      service=ConversationService(shipped_content, store, SECRET, searcher=shipped_searcher))
    return build_app(runtime, channels=("telegram",)), store


@pytest.fixture
async def client(bot_api, tmp_path, shipped_content, shipped_searcher):
    app, store = await _server(bot_api, tmp_path, shipped_content, shipped_searcher)
    async with TestClient(TestServer(app)) as client:
        await asyncio.wait_for(app[TELEGRAM].ready.wait(), 10)
        yield client
    await store.close()


def update(text: str, update_id: int = 1, user_id: int = 31337) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": user_id, "type": "private"}, "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text[0] == "/" else []}}


async def wait_for_sends(api: FakeBotApi, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(api.of("sendMessage")) < count:
        assert time.monotonic() < deadline, f"{len(api.of('sendMessage'))} of {count} messages sent"
        await asyncio.sleep(0.01)


async def test_start_up_registers_commands_and_the_webhook_with_its_secret(client, bot_api):
    api, _ = bot_api
    [commands] = api.of("setMyCommands")
    assert [c["command"] for c in commands.params["commands"]] == [
        "start", "menu", "search", "flows", "back", "help", "forget", "role", "about", "scenario", "join"]
    [webhook] = api.of("setWebhook")
    assert webhook.params["url"] == "http://127.0.0.1:9/telegram/webhook"
    assert webhook.params["secret_token"] == WEBHOOK_SECRET
    assert webhook.params["allowed_updates"] == ["message", "callback_query"]
    assert api.of("getMe")


@pytest.mark.parametrize("headers", [{}, {SECRET_HEADER: "wrong-secret-wrong-secret"},
                                     {SECRET_HEADER: WEBHOOK_SECRET[:-1]}])
async def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_processed(client, bot_api, headers):
    api, _ = bot_api
    response = await client.post(WEBHOOK_PATH, json=update("/menu"), headers=headers)
    assert response.status == 403
    await asyncio.sleep(0.1)
    assert not api.of("sendMessage")


async def test_a_good_update_is_acknowledged_then_answered(client, bot_api):
    api, _ = bot_api
    response = await client.post(WEBHOOK_PATH, json=update("/start"), headers={SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status == 200
    await wait_for_sends(api, 1)
    [reply] = api.sent(31337)
    assert "Who are you?" in reply.params["text"]
    assert reply.buttons


async def test_a_redelivered_update_is_answered_once(client, bot_api):
    api, _ = bot_api
    for _ in range(3):
        response = await client.post(WEBHOOK_PATH, json=update("/menu", 7), headers={SECRET_HEADER: WEBHOOK_SECRET})
        assert response.status == 200
    await wait_for_sends(api, 1)
    await asyncio.sleep(0.2)
    assert len(api.sent(31337)) == 1


async def test_one_users_updates_are_answered_in_order(client, bot_api):
    api, _ = bot_api
    texts = ["/start", "1", "1", "1", "1", "14"]
    for update_id, text in enumerate(texts, 1):
        await client.post(WEBHOOK_PATH, json=update(text, update_id), headers={SECRET_HEADER: WEBHOOK_SECRET})
    await wait_for_sends(api, len(texts))
    sent = [c.params["text"] for c in api.sent(31337)]
    assert "Who are you?" in sent[0]
    assert "What do you need?" in sent[1]
    assert "is it safe for her to talk now" in sent[2]
    assert "checklist (RIC) been completed" in sent[3]
    assert "0 to 24" in sent[4]
    assert "incidents" in sent[5]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"update_id": "x"}'])
async def test_an_unreadable_body_is_a_bad_request(client, body):
    response = await client.post(WEBHOOK_PATH, data=body, headers={SECRET_HEADER: WEBHOOK_SECRET,
                                                                    "Content-Type": "application/json"})
    assert response.status == 400


async def test_the_webhook_is_refused_with_503_until_the_channel_has_started(bot_api, tmp_path, shipped_content,
                                                                             shipped_searcher):
    api, _ = bot_api
    api.fail("getMe", 502, "Bad Gateway", times=100)  # Telegram unreachable at start-up: the server still runs
    app, store = await _server(bot_api, tmp_path, shipped_content, shipped_searcher)
    async with TestClient(TestServer(app)) as client:
        response = await client.post(WEBHOOK_PATH, json=update("/menu"), headers={SECRET_HEADER: WEBHOOK_SECRET})
        assert response.status == 503
        assert (await client.get("/healthz")).status == 200
    await store.close()


async def test_a_refused_command_list_does_not_stop_the_channel(bot_api, tmp_path, shipped_content, shipped_searcher):
    api, _ = bot_api
    api.fail("setMyCommands", 500, "Internal Server Error")
    app, store = await _server(bot_api, tmp_path, shipped_content, shipped_searcher)
    async with TestClient(TestServer(app)) as client:
        await asyncio.wait_for(app[TELEGRAM].ready.wait(), 10)
        response = await client.post(WEBHOOK_PATH, json=update("/menu"), headers={SECRET_HEADER: WEBHOOK_SECRET})
        assert response.status == 200
        await wait_for_sends(api, 1)
    await store.close()


def test_the_secret_comparison_is_constant_time_and_exact():
    assert secret_matches(WEBHOOK_SECRET, WEBHOOK_SECRET)
    assert not secret_matches(None, WEBHOOK_SECRET)
    assert not secret_matches("", WEBHOOK_SECRET)
    assert not secret_matches(WEBHOOK_SECRET + "x", WEBHOOK_SECRET)
    assert not secret_matches(WEBHOOK_SECRET, None)


def _runtime(**overrides) -> Runtime:
    return Runtime(settings=telegram_settings(**overrides), store=None, service=None, secret=SECRET)  # type: ignore[arg-type]


@pytest.mark.parametrize("overrides, polling, names", [
    ({"telegram_webhook_url": None}, False, "TELEGRAM_WEBHOOK_URL"),
    ({"telegram_webhook_secret": None}, False, "TELEGRAM_WEBHOOK_SECRET"),
    ({"telegram_webhook_secret": "short"}, False, "TELEGRAM_WEBHOOK_SECRET"),
    ({"telegram_webhook_secret": "has spaces in it, not allowed"}, False, "TELEGRAM_WEBHOOK_SECRET"),
    ({"telegram_webhook_url": "http://pathways.example.org/telegram/webhook"}, False, "TELEGRAM_WEBHOOK_URL"),
    ({"telegram_bot_token": None}, True, "TELEGRAM_BOT_TOKEN"),
    ({"telegram_api_base_url": "127.0.0.1:8081"}, True, "TELEGRAM_API_BASE_URL"),
])
def test_configuration_errors_name_the_variable(overrides, polling, names):
    runtime = _runtime(**overrides)
    runtime.extras["telegram_polling"] = polling
    with pytest.raises(ConfigError, match=names):
        TelegramConfig.from_runtime(runtime)


def test_polling_needs_no_webhook_settings():
    runtime = _runtime(telegram_webhook_url=None, telegram_webhook_secret=None)
    runtime.extras["telegram_polling"] = True
    config = TelegramConfig.from_runtime(runtime)
    assert config.polling and config.webhook_url is None


def test_the_api_base_url_is_where_the_bot_calls():
    from bot.channels.telegram import build_application

    runtime = _runtime(telegram_api_base_url="http://127.0.0.1:8081/")
    application = build_application(TelegramConfig.from_runtime(runtime))
    assert application.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"
    assert application.bot.base_file_url == f"http://127.0.0.1:8081/file/bot{TOKEN}"


def test_no_webhook_route_in_polling_mode():
    runtime = _runtime(telegram_webhook_url=None, telegram_webhook_secret=None)
    runtime.extras["telegram_polling"] = True
    app = build_app(runtime, channels=("telegram",))
    assert WEBHOOK_PATH not in {r.resource.canonical for r in app.router.routes() if r.resource}


async def test_an_oversized_body_is_refused(client):
    response = await client.post(WEBHOOK_PATH, data=b"{" + b" " * 70_000 + b"}",
                                 headers={SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"})
    assert response.status == 413
