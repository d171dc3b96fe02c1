"""The Telegram channel: a python-telegram-bot `Application` (without its Updater) inside the aiohttp server.

`setup(app)` mounts it. Webhook mode (TELEGRAM_WEBHOOK_URL set): `POST /telegram/webhook` checks the
`X-Telegram-Bot-Api-Secret-Token` header in constant time (403 when missing or wrong), puts the update on
the Application's queue and answers 200 at once; the webhook is registered with its secret at start-up.
Polling mode (`pathways serve --telegram-polling`): a getUpdates loop runs as a task in the same event loop.

PTB is the transport only: conversation state lives in our database, and each update is one deduplicated
turn of the conversation core (telegram_handlers). Updates from one chat are processed one at a time, in
order; different chats run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, BaseUpdateProcessor
from telegram.request import BaseRequest

from bot.channels.telegram_delivery import Delivery, Failure
from bot.channels.telegram_handlers import TelegramHandlers
from bot.channels.telegram_polling import ALLOWED_UPDATES, poll_updates
from bot.errors import ConfigError
from bot.server.runtime import RUNTIME, Runtime

__all__ = ["setup", "TelegramConfig", "TelegramChannel", "TELEGRAM", "WEBHOOK_PATH", "SECRET_HEADER",
           "build_application", "secret_matches", "PerChatUpdateProcessor"]

log = logging.getLogger("pathways.telegram")

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")  # Telegram allows 1-256 of these; we ask for 16 at least
MAX_CONCURRENT_UPDATES = 256


@dataclass(frozen=True)
class TelegramConfig:
    """The channel's settings, checked once at start-up."""

    token: str
    polling: bool
    webhook_url: str | None = None
    webhook_secret: str | None = None
    api_base_url: str | None = None
    poll_interval: float = 0.2
    long_poll: int = 10

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> TelegramConfig:
        settings, extras = runtime.settings, runtime.extras
        if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
            raise ConfigError("TELEGRAM_BOT_TOKEN: required to serve Telegram (from @BotFather)")
        base = settings.telegram_api_base_url.rstrip("/") if settings.telegram_api_base_url else None
        if base is not None and not re.match(r"^https?://[^\s/]+", base):
            raise ConfigError(f"TELEGRAM_API_BASE_URL: must be an http(s) URL such as http://127.0.0.1:8081 "
                              f"(got {base!r})")
        polling = bool(extras.get("telegram_polling"))
        url = settings.telegram_webhook_url
        secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else None
        if not polling:
            if not url:
                raise ConfigError("TELEGRAM_WEBHOOK_URL: required to serve Telegram by webhook (the public "
                                  f"https URL of {WEBHOOK_PATH}); or run `pathways serve --telegram-polling`")
            scheme_ok = url.startswith("https://") or (base is not None and url.startswith("http://"))
            if not scheme_ok:
                raise ConfigError(f"TELEGRAM_WEBHOOK_URL: Telegram only calls https URLs (got {url!r})")
            if not secret or not _SECRET.match(secret):
                raise ConfigError("TELEGRAM_WEBHOOK_SECRET: required with a webhook: 16 to 256 characters from "
                                  "A-Z, a-z, 0-9, _ and - (e.g. `python -c 'import secrets; "
                                  "print(secrets.token_urlsafe(32))'`)")
        return cls(token=settings.telegram_bot_token.get_secret_value(), polling=polling,
                   webhook_url=None if polling else url, webhook_secret=secret, api_base_url=base,
                   poll_interval=float(extras.get("telegram_poll_interval", 0.2)),
                   long_poll=int(extras.get("telegram_long_poll", 10)))


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Different chats concurrently; one chat's updates one at a time, in the order they arrived, so a
    button press and the next typed answer can never overtake each other."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}
        self.on_processed: list[Callable[[object], None]] = []  # told when an update's handling has finished

    async def do_process_update(self, update: object, coroutine: Any) -> None:
        chat = getattr(getattr(update, "effective_chat", None), "id", None)
        try:
            if chat is None:
                await coroutine
            else:
                await self._in_turn(chat, coroutine)
        finally:
            for listener in self.on_processed:
                listener(update)

    async def _in_turn(self, chat: int, coroutine: Any) -> None:
        lock, users = self._chats.get(chat, (None, 0))
        lock = lock or asyncio.Lock()
        self._chats[chat] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._chats[chat]
            if users <= 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def build_application(config: TelegramConfig, *, request: BaseRequest | None = None,
                      get_updates_request: BaseRequest | None = None) -> Application:
    """The PTB Application, without an Updater: the server feeds its update queue."""
    builder = (Application.builder().token(config.token).updater(None)
               .concurrent_updates(PerChatUpdateProcessor()))
    if config.api_base_url:
        builder = builder.base_url(f"{config.api_base_url}/bot").base_file_url(f"{config.api_base_url}/file/bot")
    if request is not None:
        builder = builder.request(request)
    else:
        builder = builder.connection_pool_size(64).pool_timeout(10.0).connect_timeout(5.0).read_timeout(10.0)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    return builder.build()


def secret_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of the webhook's secret header with TELEGRAM_WEBHOOK_SECRET."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class TelegramChannel:
    """The Application, its handlers, and the start-up, polling and shutdown around them."""

    def __init__(self, runtime: Runtime, config: TelegramConfig, *, request: BaseRequest | None = None,
                 get_updates_request: BaseRequest | None = None) -> None:
        self.config = config
        _quiet_third_party_logs()
        self.application = build_application(config, request=request, get_updates_request=get_updates_request)
        self.delivery = Delivery(self.application.bot)
        self.handlers = TelegramHandlers(runtime, self.delivery)
        self.handlers.register(self.application)
        self.ready = asyncio.Event()
        self._starter: asyncio.Task | None = None
        self._poller: asyncio.Task | None = None

    @property
    def accepting(self) -> bool:
        return self.application.running

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """An aiohttp cleanup context: start in the background (the server does not wait for Telegram),
        stop in order at shutdown (queued updates are answered first)."""
        self._starter = asyncio.create_task(self.start(), name="pathways-telegram-start")
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        """Initialise (getMe), register the commands, start processing, then set the webhook or poll.
        Network failures are retried with a growing pause; a rejected token disables the channel."""
        bot = self.application.bot
        pause = 1.0
        while True:
            try:
                await self.application.initialize()
                break
            except InvalidToken:
                log.error("telegram disabled: TELEGRAM_BOT_TOKEN was rejected by the Bot API")
                return
            except TelegramError as exc:
                log.warning("telegram start-up failed; retrying",
                            extra={"error": type(exc).__name__, "retry_in_s": pause})
                await asyncio.sleep(pause)
                pause = min(pause * 2, 60.0)
        commands = [BotCommand(name, description) for name, description in self.handlers.bot_commands()]
        if isinstance(await self.delivery.call("setMyCommands", lambda: bot.set_my_commands(commands)), Failure):
            log.warning("telegram: the command list was not registered (commands still work)")
        await self.application.start()
        if self.config.polling:
            await self.delivery.call("deleteWebhook", lambda: bot.delete_webhook())
            self._poller = asyncio.create_task(
                poll_updates(bot, self.application.update_queue, long_poll=self.config.long_poll,
                             interval=self.config.poll_interval),
                name="pathways-telegram-polling")
        else:
            await self._set_webhook()
        self.ready.set()
        log.info("telegram channel started", extra={"mode": "polling" if self.config.polling else "webhook"})

    async def _set_webhook(self) -> None:
        bot, pause = self.application.bot, 1.0
        while True:
            result = await self.delivery.call("setWebhook", lambda: bot.set_webhook(
                self.config.webhook_url, secret_token=self.config.webhook_secret, allowed_updates=ALLOWED_UPDATES))
            if not isinstance(result, Failure):
                return
            log.warning("telegram: webhook not registered; retrying", extra={"retry_in_s": pause})
            await asyncio.sleep(pause)
            pause = min(pause * 2, 60.0)

    async def stop(self) -> None:
        for task in (self._starter, self._poller):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):  # shutting down: nothing left to tell anyone
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        self.ready.clear()


TELEGRAM = web.AppKey("telegram", TelegramChannel)


async def webhook(request: web.Request) -> web.Response:
    """Telegram's webhook: authenticate, queue, answer 200 (processing continues in the app's task)."""
    channel = request.app[TELEGRAM]
    if not secret_matches(request.headers.get(SECRET_HEADER), channel.config.webhook_secret):
        log.warning("telegram webhook refused: bad or missing secret token")
        raise web.HTTPForbidden(text="invalid secret token")
    if not channel.accepting:
        return web.Response(status=503, text="starting", headers={"Retry-After": "5"})
    body = await request.read()  # over the app's 64 KB cap: 413
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("not an update")
        update = Update.de_json(data, channel.application.bot)
    except Exception:  # noqa: BLE001 - anything unreadable is the sender's fault
        raise web.HTTPBadRequest(text="not a Telegram update") from None
    await channel.application.update_queue.put(update)
    return web.Response(text="ok")


class _NoPayloads(logging.Filter):
    """PTB logs a Bot API answer it cannot parse in full; keep the message, drop the payload."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.args = ()
        record.msg = str(record.msg).split(":", 1)[0]
        return True


def _quiet_third_party_logs() -> None:
    # httpx logs every request URL at INFO, and the URL holds the bot token; PTB's DEBUG logs hold updates.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
    logging.getLogger("httpcore").setLevel(max(logging.WARNING, logging.getLogger("httpcore").level))
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLogger("telegram").level))
    base_request = logging.getLogger("telegram.request.BaseRequest")
    if not any(isinstance(f, _NoPayloads) for f in base_request.filters):
        base_request.addFilter(_NoPayloads())


def setup(app: web.Application, *, request: BaseRequest | None = None,
          get_updates_request: BaseRequest | None = None) -> TelegramChannel:
    """Mount the Telegram channel on the server (`request`: an alternative Bot API transport, for tests)."""
    runtime = app[RUNTIME]
    config = TelegramConfig.from_runtime(runtime)
    channel = TelegramChannel(runtime, config, request=request, get_updates_request=get_updates_request)
    app[TELEGRAM] = channel
    if not config.polling:
        app.router.add_post(WEBHOOK_PATH, webhook)
    app.cleanup_ctx.append(channel.lifecycle)
    return channel
