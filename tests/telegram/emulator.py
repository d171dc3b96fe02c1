"""The Bot API emulator for the end-to-end tests: npm telegram-test-api 4.2.1 under Node, behind a shim.

Node runs the emulator (tests/telegram/emulator.js). Between it and python-telegram-bot sits a small
aiohttp proxy that fixes what 4.2.1 gets wrong for PTB 22:

- getMe lacks `is_bot`; the messages it returns carry `date` in milliseconds, and echo some parameters
  (link_preview_options) as the JSON strings they were sent as;
- callback queries lack `chat_instance`;
- editMessageText / editMessageReplyMarkup (and other boolean methods) answer `null`;
- setMyCommands and sendChatAction are not implemented (HTTP 500);
- an edit without `reply_markup` leaves the keyboard in place (Telegram removes it): the proxy sends an
  empty keyboard instead;
- webhook deliveries carry no `X-Telegram-Bot-Api-Secret-Token`, and a non-2xx answer to a delivery crashes
  the Node process: setWebhook is pointed at the proxy, which adds the secret the bot registered, forwards
  to the bot's URL, records the bot's status and always answers Node 200.

`getUpdates` ignores `offset` and `timeout` (it marks what it returns as read), so the bot must poll with a
short interval. `EmulatorUser` plays a Telegram user through the emulator's client API.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".cache" / "telegram-test-api" / "node_modules"
LAUNCHER = Path(__file__).with_name("emulator.js")
TOKEN = "123456:emulator-test-token"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOOLEAN_METHODS = {"setMyCommands", "deleteMyCommands", "sendChatAction", "answerCallbackQuery", "setWebhook",
                   "deleteWebhook", "editMessageText", "editMessageReplyMarkup"}
NOT_IMPLEMENTED = {"setMyCommands", "deleteMyCommands", "sendChatAction"}
EDITS = {"editMessageText", "editMessageReplyMarkup"}


def missing_reason() -> str | None:
    """Why the emulator cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed: the Telegram end-to-end tests need Node.js"
    if not (NODE_MODULES / "telegram-test-api").is_dir():
        return ("telegram-test-api is not installed: run .ci/run, or `npm install --no-save --prefix "
                ".cache/telegram-test-api telegram-test-api@4.2.1`")
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seconds(value: Any) -> Any:
    return value // 1000 if isinstance(value, int) and value > 10**11 else value


def fix_message(message: Any) -> Any:
    """Dates in seconds; the parameters it echoes back as JSON strings decoded, as Telegram returns them."""
    if isinstance(message, dict):
        message["date"] = _seconds(message.get("date", int(time.time())))
        for name in ("link_preview_options", "reply_markup", "entities"):
            if isinstance(message.get(name), str):
                message[name] = json.loads(message[name])
    return message


def fix_update(update: dict[str, Any]) -> dict[str, Any]:
    query = update.get("callback_query")
    if isinstance(query, dict):
        query.setdefault("chat_instance", "emulator")
        fix_message(query.get("message"))
    fix_message(update.get("message"))
    return update


@dataclass
class Delivery:
    """One webhook delivery the proxy relayed: the bot's HTTP status."""

    status: int
    secret_sent: bool


@dataclass
class Emulator:
    """The emulator process and its shim proxy."""

    node_port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    runner: web.AppRunner | None = None
    proxy_url: str = ""
    session: aiohttp.ClientSession | None = None
    webhook_target: str | None = None
    webhook_secret: str | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    @property
    def node_url(self) -> str:
        return f"http://127.0.0.1:{self.node_port}"

    async def start(self) -> None:
        env = dict(os.environ, NODE_PATH=str(NODE_MODULES))
        self.process = await asyncio.create_subprocess_exec(
            "node", str(LAUNCHER), str(self.node_port), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=15)
        if line.strip() != b"ready":
            error = await self.process.stderr.read()
            raise RuntimeError(f"the emulator did not start: {line!r} {error[-500:]!r}")
        self.session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._bot_api)
        app.router.add_post("/relay", self._relay)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.proxy_url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.session is not None:
            await self.session.close()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    # --- the Bot API side (PTB -> proxy -> Node) ---------------------------------------------------

    async def _bot_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        body = await request.read()
        headers = {"Content-Type": request.headers.get("Content-Type", "application/x-www-form-urlencoded")}
        if method == "setWebhook":
            form = dict(await request.post())
            self.webhook_target = str(form.get("url"))
            self.webhook_secret = str(form["secret_token"]) if form.get("secret_token") else None
            form["url"] = f"{self.proxy_url}/relay"
            body, headers = aiohttp.FormData(form)(), {}
        elif method in EDITS:
            form = dict(await request.post())
            if "reply_markup" not in form:  # Telegram removes the keyboard; the emulator would keep it
                form["reply_markup"] = '{"inline_keyboard": []}'
                body, headers = aiohttp.FormData(form)(), {}
        url = f"{self.node_url}/bot{request.match_info['token']}/{method}"
        async with self.session.post(url, data=body, headers=headers) as answer:
            status = answer.status
            payload = await answer.json(content_type=None)
        if method in NOT_IMPLEMENTED and status == 500:
            return web.json_response({"ok": True, "result": True})
        if status == 200 and isinstance(payload, dict):
            result = payload.get("result")
            if method == "getMe":
                result["is_bot"] = True
            elif method == "sendMessage":
                fix_message(result)
            elif method == "getUpdates":
                result = [fix_update(u) for u in result]
            elif method in BOOLEAN_METHODS and result is None:
                result = True
            payload["result"] = result
        return web.json_response(payload, status=status)

    # --- webhook deliveries (Node -> proxy -> bot) -------------------------------------------------

    async def _relay(self, request: web.Request) -> web.Response:
        update = fix_update(await request.json())
        headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
        try:
            async with self.session.post(self.webhook_target, json=update, headers=headers) as answer:
                self.deliveries.append(Delivery(answer.status, bool(headers)))
        except aiohttp.ClientError:
            self.deliveries.append(Delivery(0, bool(headers)))
        return web.Response(text="ok")  # never non-2xx: it would crash Node


@dataclass
class BotMessage:
    """A message the bot sent, as the emulator stored it."""

    message_id: int
    text: str
    buttons: list[tuple[str, str]]
    raw: dict[str, Any]

    def button(self, label_start: str) -> tuple[str, str]:
        found = [b for b in self.buttons if b[0].startswith(label_start)]
        assert found, f"no button starting {label_start!r} in {[b[0] for b in self.buttons]}"
        return found[0]


class EmulatorUser:
    """A Telegram user talking to the bot through the emulator's client API."""

    def __init__(self, emulator: Emulator, user_id: int, *, chat_id: int | None = None,
                 chat_type: str = "private") -> None:
        self.emulator = emulator
        self.user = {"id": user_id, "is_bot": False, "first_name": "Test", "username": f"user{user_id}"}
        self.chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type, "first_name": "Test"}
        if chat_type != "private":
            self.chat["title"] = "A group"

    async def _post(self, route: str, data: dict[str, Any]) -> Any:
        async with self.emulator.session.post(f"{self.emulator.node_url}/{route}", json=data) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.json()

    def _base(self) -> dict[str, Any]:
        return {"botToken": TOKEN, "from": self.user, "chat": self.chat, "date": int(time.time())}

    async def say(self, text: str, *, expect_reply: bool = True) -> list[BotMessage]:
        await self._post("sendMessage", {**self._base(), "text": text})
        return await self.replies() if expect_reply else []

    async def command(self, text: str) -> list[BotMessage]:
        length = len(text.split()[0])
        entities = [{"offset": 0, "length": length, "type": "bot_command"}]
        await self._post("sendCommand", {**self._base(), "text": text, "entities": entities})
        return await self.replies()

    async def press(self, message: BotMessage, label_start: str, *, expect_reply: bool = True) -> list[BotMessage]:
        _, data = message.button(label_start)
        shown = {"message_id": message.message_id, "date": int(time.time()), "chat": self.chat,
                 "text": message.text, "reply_markup": message.raw.get("reply_markup")}
        await self._post("sendCallback", {"botToken": TOKEN, "from": self.user, "date": int(time.time()),
                                          "message": shown, "data": data})
        return await self.replies() if expect_reply else []

    async def replies(self, *, timeout: float = 10.0, quiet: float = 0.3) -> list[BotMessage]:
        """The bot's messages to this chat: wait for the first, then until none comes for `quiet` seconds."""
        found: list[BotMessage] = []
        deadline = time.monotonic() + timeout
        last_new = None
        while time.monotonic() < deadline:
            answer = await self._post("getUpdates", {"token": TOKEN, "chatId": self.chat["id"]})
            for record in answer["result"]:
                found.append(_bot_message(record))
                last_new = time.monotonic()
            if last_new is not None and time.monotonic() - last_new >= quiet:
                return found
            await asyncio.sleep(0.03)
        if not found:
            raise AssertionError("the bot did not reply within the timeout")
        return found

    async def silence(self, seconds: float = 0.8) -> list[BotMessage]:
        """Whatever the bot sends in the next `seconds` (expected: nothing)."""
        await asyncio.sleep(seconds)
        answer = await self._post("getUpdates", {"token": TOKEN, "chatId": self.chat["id"]})
        return [_bot_message(r) for r in answer["result"]]

    async def stored(self, message_id: int) -> dict[str, Any]:
        """A bot message as the emulator holds it now (after any edits)."""
        history = await self._post("getUpdatesHistory", {"token": TOKEN})
        for record in history["result"]:
            if record.get("messageId") == message_id and "chat_id" in record.get("message", {}):
                return record["message"]
        raise AssertionError(f"message {message_id} not found")


def _bot_message(record: dict[str, Any]) -> BotMessage:
    message = record["message"]
    markup = message.get("reply_markup") or {}
    buttons = [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]
    return BotMessage(record["messageId"], message.get("text", ""), buttons, message)
