"""Telegram test fixtures.

`tg`: the real channel (PTB Application, handlers, delivery) over a real SQLite store, talking to a
FakeBotApi through an offline PTB transport; `TelegramUser` sends it updates and reads what it sent.
The emulator fixtures for the end-to-end tests live in test_telegram_e2e.py.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Update

from bot.channels.telegram import TelegramChannel, TelegramConfig
from bot.channels.telegram_fake import ApiCall, FakeBotApi, OfflineRequest
from bot.conversation.service import ConversationService
from bot.server.runtime import Runtime
from bot.settings import load_settings
from bot.storage.sql import open_store

SECRET = "telegram-test-secret-0123456789"
TOKEN = "123456:offline-test-token"
WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"
WEBHOOK_URL = "https://pathways.example.org/telegram/webhook"

_update_ids = itertools.count(1000)


def telegram_settings(**overrides: Any):
    values = dict(pathways_secret=SECRET, telegram_bot_token=TOKEN, telegram_webhook_url=WEBHOOK_URL,
                  telegram_webhook_secret=WEBHOOK_SECRET, telegram_api_base_url=None, twilio_auth_token=None,
                  trainer_token=None)
    values.update(overrides)
    return load_settings(**values)


@dataclass
class OfflineTelegram:
    """The channel and the fake Bot API it talks to; `sleeps` records the pauses the retry policy asked for."""

    channel: TelegramChannel
    api: FakeBotApi
    runtime: Runtime
    sleeps: list[float] = field(default_factory=list)

    async def process(self, update: dict[str, Any]) -> list[ApiCall]:
        before = len(self.api.calls)
        await self.channel.application.process_update(Update.de_json(update, self.channel.application.bot))
        return self.api.calls[before:]


class TelegramUser:
    """A Telegram user in a private chat (or a member of a group), talking to the offline channel."""

    def __init__(self, tg: OfflineTelegram, user_id: int = 424242, *, chat_id: int | None = None,
                 chat_type: str = "private") -> None:
        self.tg = tg
        self.user = {"id": user_id, "is_bot": False, "first_name": "Sam", "last_name": "Example", "username": "sam"}
        self.chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        self.calls: list[ApiCall] = []
        self.last_update: dict[str, Any] | None = None

    def message_update(self, text: str | None, **extra: Any) -> dict[str, Any]:
        message = {"message_id": next(_update_ids), "date": int(time.time()), "chat": self.chat, "from": self.user,
                   **extra}
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(_update_ids), "message": message}

    async def send_update(self, update: dict[str, Any]) -> list[ApiCall]:
        self.last_update = update
        self.calls = await self.tg.process(update)
        return self.calls

    async def say(self, text: str) -> list[ApiCall]:
        return await self.send_update(self.message_update(text))

    command = say

    def keyboard_message(self, index: int = -1) -> ApiCall:
        """A sendMessage with buttons sent to this chat (default: the latest)."""
        with_buttons = [c for c in self.tg.api.sent(self.chat["id"]) if c.buttons]
        assert with_buttons, "no message with buttons was sent"
        return with_buttons[index]

    def message_id_of(self, call: ApiCall) -> int:
        """The message id the fake Bot API gave a sendMessage (ids are handed out in order from 101)."""
        return 101 + self.tg.api.of("sendMessage").index(call)

    def press_update(self, label_start: str, message: ApiCall | None = None) -> dict[str, Any]:
        message = message or self.keyboard_message()
        matches = [(label, data) for label, data in message.buttons if label.startswith(label_start)]
        assert matches, f"no button starting {label_start!r}: {[b[0] for b in message.buttons]}"
        shown = {"message_id": self.message_id_of(message), "date": int(time.time()), "chat": self.chat,
                 "text": message.params["text"], "reply_markup": message.params["reply_markup"]}
        update_id = next(_update_ids)
        return {"update_id": update_id, "callback_query": {"id": f"cb{update_id}", "from": self.user,
                                                           "chat_instance": "ci", "data": matches[0][1],
                                                           "message": shown}}

    async def press(self, label_start: str, message: ApiCall | None = None) -> list[ApiCall]:
        return await self.send_update(self.press_update(label_start, message))

    async def start(self, role: str = "Show me everything") -> list[ApiCall]:
        """/start, then pick a role: the main menu for that role is the last reply."""
        await self.command("/start")
        return await self.press(role)

    @property
    def replies(self) -> list[ApiCall]:
        return [c for c in self.calls if c.method == "sendMessage"]

    @property
    def text(self) -> str:
        """Everything sent in answer to the last update, as one string."""
        return "\n\n".join(c.params["text"] for c in self.replies)

    @property
    def buttons(self) -> list[str]:
        return [label for c in self.replies for label, _ in c.buttons]


@pytest.fixture
async def tg(shipped_content, shipped_searcher, tmp_path):
    store = await open_store(f"sqlite:///{tmp_path / 'pathways.db'}")
    settings = telegram_settings()
    runtime = Runtime(settings=settings, store=store, secret=SECRET,
                      service=ConversationService(shipped_content, store, SECRET, searcher=shipped_searcher))
    api = FakeBotApi()
    channel = TelegramChannel(runtime, TelegramConfig.from_runtime(runtime), request=OfflineRequest(api),
                              get_updates_request=OfflineRequest(api))
    offline = OfflineTelegram(channel, api, runtime)

    async def no_wait(seconds: float) -> None:
        offline.sleeps.append(seconds)

    channel.delivery.sleep = no_wait
    await channel.application.initialize()
    yield offline
    await channel.application.shutdown()
    await store.close()


@pytest.fixture
def user(tg) -> TelegramUser:
    return TelegramUser(tg)
