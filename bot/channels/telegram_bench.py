"""Telegram end to end, measured (used by `pathways bench telegram`): a measurement to read, not a timed test.

The real server (`build_server_app`, the SQLite store by default) runs on loopback in webhook mode, with
TELEGRAM_API_BASE_URL pointing at a recording Bot API (`telegram_fake`) in the same process. Simulated users,
concurrently, each play the MARAC referral pathway with commands, typed answers and button presses: one
webhook POST at a time per user, the next one when the reply has reached the Bot API. An update's latency
is from the start of its POST to the arrival of its reply's sendMessage.

The floor, in the same run: the same POSTs to a route that does only the secret check, the JSON parsing and
one sendMessage, with no conversation. The ratio says what the conversation (PTB dispatch, the database
turn, rendering, keyboard edits) costs on top of the transport.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import socket
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from telegram import Update

from bot.channels.telegram import SECRET_HEADER, TELEGRAM, WEBHOOK_PATH, secret_matches
from bot.channels.telegram_fake import ApiCall, FakeBotApi, serve_fake_bot_api

__all__ = ["BenchResult", "Timing", "run_bench", "MARAC_SCRIPT", "FLOOR_PATH"]

FLOOR_PATH = "/bench/telegram-floor"
# Made up for each run: the recording Bot API accepts any token.
TOKEN = f"4242:{secrets.token_urlsafe(24)}"
WEBHOOK_SECRET = secrets.token_urlsafe(24)
SECRET = secrets.token_hex(16)

# One pass through the MARAC referral pathway: (kind, what). "press" picks the button whose label starts so.
MARAC_SCRIPT: tuple[tuple[str, str], ...] = (
    ("command", "/start"),
    ("press", "Frontline practitioner"),
    ("press", "MARAC referral"),
    ("press", "Safe to talk"),
    ("press", "Yes, I know"),
    ("text", "14"),
    ("text", "0"),
    ("press", "No"),
    ("press", "No"),
    ("press", "Yes, she consents"),
    ("press", "Yes"),
    ("command", "/menu"),
)


@dataclass(frozen=True)
class Timing:
    updates: int
    seconds: float
    median_ms: float
    p99_ms: float
    ack_median_ms: float

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class BenchResult:
    users: int
    rounds: int
    database: str
    conversation: Timing
    floor: Timing

    @property
    def ratio(self) -> float:
        """Median latency with the conversation over the floor's median."""
        return self.conversation.median_ms / self.floor.median_ms if self.floor.median_ms else float("inf")


@dataclass
class _Chat:
    user_id: int
    waiting: asyncio.Future | None = None
    started: float = 0.0  # when the POST of the update being answered began
    last_sent: float = 0.0  # when the latest sendMessage to this chat arrived
    last_keyboard: tuple[int, list[tuple[str, str]]] | None = None  # message id, buttons


@dataclass
class _Recorder:
    """Tells each user when its reply is complete: for the floor, at its one sendMessage; for the
    conversation, when the server has finished the update (a reply may be several messages), timed at the
    last sendMessage it caused."""

    chats: dict[int, _Chat] = field(default_factory=dict)
    floor: bool = True

    def __call__(self, call: ApiCall, answer: dict[str, Any]) -> None:
        if call.method != "sendMessage" or not answer.get("ok"):
            return
        chat = self.chats.get(call.chat_id or 0)
        if chat is None:
            return
        chat.last_sent = time.perf_counter()
        if call.buttons:
            chat.last_keyboard = (answer["result"]["message_id"], call.buttons)
        if self.floor:
            _resolve(chat, chat.last_sent)

    def processed(self, update: object) -> None:
        chat = self.chats.get(getattr(getattr(update, "effective_chat", None), "id", 0))
        if chat is not None and not self.floor:
            _resolve(chat, chat.last_sent if chat.last_sent >= chat.started else time.perf_counter())


def _resolve(chat: _Chat, at: float) -> None:
    if chat.waiting is not None and not chat.waiting.done():
        chat.waiting.set_result(at)


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Updates:
    """Telegram updates as the Bot API would post them."""

    def __init__(self, *, strict: bool) -> None:
        self._ids = itertools.count(secrets.randbelow(2**40) + 1)  # fresh ids: a reused database dedupes old ones
        self.strict = strict  # the conversation must offer each button the script presses (the floor offers none)

    def make(self, chat: _Chat, kind: str, what: str) -> dict[str, Any]:
        update_id = next(self._ids)
        user = {"id": chat.user_id, "is_bot": False, "first_name": "Bench"}
        where = {"id": chat.user_id, "type": "private"}
        if kind == "press":
            message_id, buttons = chat.last_keyboard or (1, [])
            data = next((d for label, d in buttons if label.startswith(what)), None)
            if data is None and self.strict:
                raise RuntimeError(f"the bench script no longer fits the content: no button {what!r} "
                                   f"among {[label for label, _ in buttons]}")
            data = data or "1"
            message = {"message_id": message_id, "date": int(time.time()), "chat": where, "text": "question",
                       "reply_markup": {"inline_keyboard": [[{"text": label, "callback_data": d}]
                                                            for label, d in buttons]}}
            return {"update_id": update_id, "callback_query": {"id": str(update_id), "from": user,
                                                              "chat_instance": "bench", "data": data,
                                                              "message": message}}
        message = {"message_id": update_id, "date": int(time.time()), "chat": where, "from": user, "text": what}
        if kind == "command":
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(what.split()[0])}]
        return {"update_id": update_id, "message": message}


async def _play(session: aiohttp.ClientSession, url: str, chat: _Chat, updates: _Updates, rounds: int,
                latencies: list[float], acks: list[float], timeout: float) -> None:
    headers = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
    loop = asyncio.get_running_loop()
    for _ in range(rounds):
        for kind, what in MARAC_SCRIPT:
            body = json.dumps(updates.make(chat, kind, what))
            chat.waiting = loop.create_future()
            started = chat.started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                if response.status != 200:
                    raise RuntimeError(f"webhook answered {response.status}")
            acks.append(time.perf_counter() - started)
            arrived = await asyncio.wait_for(chat.waiting, timeout)
            latencies.append(arrived - started)


async def _measure(base: str, path: str, recorder: _Recorder, users: int, rounds: int, first_user: int,
                   timeout: float) -> Timing:
    chats = [_Chat(first_user + i) for i in range(users)]
    recorder.chats = {c.user_id: c for c in chats}
    recorder.floor = path != WEBHOOK_PATH
    updates = _Updates(strict=path == WEBHOOK_PATH)
    latencies: list[float] = []
    acks: list[float] = []
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(_play(session, base + path, c, updates, rounds, latencies, acks, timeout)
                               for c in chats))
        elapsed = time.perf_counter() - started
    return Timing(updates=len(latencies), seconds=elapsed, median_ms=statistics.median(latencies) * 1000,
                  p99_ms=_percentile(latencies, 0.99) * 1000, ack_median_ms=statistics.median(acks) * 1000)


async def _floor(request: web.Request) -> web.Response:
    """The same POST, secret check and parsing as the webhook, and one reply: no conversation."""
    channel = request.app[TELEGRAM]
    if not secret_matches(request.headers.get(SECRET_HEADER), channel.config.webhook_secret):
        raise web.HTTPForbidden()
    update = Update.de_json(json.loads(await request.read()), channel.application.bot)
    task = asyncio.create_task(channel.application.bot.send_message(update.effective_chat.id, "ok"))
    request.app[_FLOOR_TASKS].add(task)
    task.add_done_callback(request.app[_FLOOR_TASKS].discard)
    return web.Response(text="ok")


_FLOOR_TASKS = web.AppKey("bench_floor_tasks", set)


async def run_bench(*, users: int = 20, rounds: int = 5, database_url: str | None = None,
                    timeout: float = 30.0) -> BenchResult:
    """Measure the conversation and the floor in one run (floor first, then the conversation)."""
    from bot.cli.server_commands import build_server_app
    from bot.settings import load_settings

    api = FakeBotApi()
    recorder = _Recorder()
    api.listeners.append(recorder)
    api_runner, api_url = await serve_fake_bot_api(api)
    with tempfile.TemporaryDirectory(prefix="pathways-bench-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        runner: web.AppRunner | None = None
        try:
            port = _free_port()
            settings = load_settings(
                pathways_secret=SECRET, database_url=url, telegram_bot_token=TOKEN,
                telegram_webhook_url=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                telegram_webhook_secret=WEBHOOK_SECRET, telegram_api_base_url=api_url,
                twilio_auth_token=None, trainer_token=None,
                rate_limit_per_minute=1_000_000)  # simulated users are fast; the limiter still runs
            app = await build_server_app(settings, channels=("telegram",))
            app[_FLOOR_TASKS] = set()
            app.router.add_post(FLOOR_PATH, _floor)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            await asyncio.wait_for(app[TELEGRAM].ready.wait(), timeout)
            app[TELEGRAM].application.update_processor.on_processed.append(recorder.processed)
            base = f"http://127.0.0.1:{port}"
            floor = await _measure(base, FLOOR_PATH, recorder, users, rounds, 500_000, timeout)
            conversation = await _measure(base, WEBHOOK_PATH, recorder, users, rounds, 100_000, timeout)
        finally:
            if runner is not None:
                await runner.cleanup()
            await api_runner.cleanup()
    return BenchResult(users=users, rounds=rounds, database=url.split(":", 1)[0], conversation=conversation,
                       floor=floor)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
