"""A recording stand-in for the Telegram Bot API, shipped with the package for tests and benchmarks.

`FakeBotApi` answers the methods the channel uses the way Telegram does, records every call, and can be
told to fail the next calls of a method (flood control, blocked user, timeouts). Two transports:
`OfflineRequest`, a PTB `BaseRequest` with no network at all (handler tests), and `serve_fake_bot_api`,
a real HTTP server on loopback (`pathways bench telegram`).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["FakeBotApi", "ApiCall", "OfflineRequest", "serve_fake_bot_api", "fake_bot_api_app", "decode_params",
           "BOT_USER"]

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "Pathways", "username": "PathwaysTestBot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
_JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "link_preview_options", "entities"}


@dataclass(frozen=True)
class ApiCall:
    """One Bot API call as received: the method and its parameters (JSON fields decoded)."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback data) of an inline keyboard, row by row."""
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class _Failure:
    error_code: int
    description: str
    retry_after: int | None = None
    timeout: bool = False


class FakeBotApi:
    """Answers like the Bot API and keeps every call in `calls`."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.updates: deque[dict[str, Any]] = deque()  # served by getUpdates
        self.listeners: list[Callable[[ApiCall, dict[str, Any]], None]] = []  # (call, answer)
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._next_message_id = 100

    # --- scripting ---------------------------------------------------------------------------------

    def fail(self, method: str, error_code: int = 400, description: str = "Bad Request: scripted failure", *,
             retry_after: int | None = None, timeout: bool = False, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (429 with `retry_after`: flood control; 403: the user
        blocked the bot; `timeout`: the request times out)."""
        for _ in range(times):
            self._failures[method].append(_Failure(error_code, description, retry_after, timeout))

    def of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        """The sendMessage calls, to one chat or all."""
        return [c for c in self.of("sendMessage") if chat_id is None or c.chat_id == chat_id]

    # --- answering ---------------------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The HTTP status and JSON body Telegram would give. Raises TimedOut for a scripted timeout."""
        call = ApiCall(method, params)
        self.calls.append(call)
        if self._failures[method]:
            failure = self._failures[method].popleft()
            if failure.timeout:
                raise TimedOut("scripted timeout")
            body: dict[str, Any] = {"ok": False, "error_code": failure.error_code, "description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            status = failure.error_code
        else:
            result = self._result(method, params)
            status, body = (200, {"ok": True, "result": result}) if result is not None else \
                (404, {"ok": False, "error_code": 404, "description": "Not Found"})
        for listener in self.listeners:
            listener(call, body)
        return status, body

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            updates = list(self.updates)
            self.updates.clear()
            return updates
        if method == "sendMessage":
            self._next_message_id += 1
            return self._message(self._next_message_id, params)
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return self._message(int(params.get("message_id", 0)), params)
        if method in ("answerCallbackQuery", "setMyCommands", "setWebhook", "deleteWebhook", "sendChatAction",
                      "deleteMyCommands"):
            return True
        return None

    @staticmethod
    def _message(message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                                   "chat": {"id": int(params.get("chat_id", 0)), "type": "private"}}
        if "text" in params:
            message["text"] = params["text"]
        markup = params.get("reply_markup")
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        return message


def decode_params(raw: dict[str, str]) -> dict[str, Any]:
    """PTB sends form fields, objects as JSON strings; decode those."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if name in _JSON_FIELDS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        params[name] = value
    return params


class OfflineRequest(BaseRequest):
    """A PTB transport that never touches the network: every call is answered by a FakeBotApi."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None, connect_timeout: Any = None,
                         pool_timeout: Any = None) -> tuple[int, bytes]:
        params = decode_params(request_data.json_parameters if request_data else {})
        status, body = self.api.answer(url.rsplit("/", 1)[-1], params)
        return status, json.dumps(body).encode()


def fake_bot_api_app(api: FakeBotApi) -> web.Application:
    """The FakeBotApi over HTTP, at `/bot<token>/<method>` as the official server has it."""

    async def route(request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            raw = await request.json()
        else:
            raw = dict(await request.post())
        try:
            status, body = api.answer(request.match_info["method"], decode_params(raw))
        except TimedOut:
            return web.json_response({"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", r"/bot{token}/{method}", route)
    return app


async def serve_fake_bot_api(api: FakeBotApi, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Start the HTTP fake; returns the runner (call `cleanup()` when done) and its base URL."""
    runner = web.AppRunner(fake_bot_api_app(api), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, f"http://{host}:{bound}"
