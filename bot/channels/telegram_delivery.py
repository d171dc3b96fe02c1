"""Calls to the Telegram Bot API with the error policy of the channel: never raise, never log content.

- `RetryAfter` (flood control): wait as long as Telegram asks (capped) and try again, at most twice.
- `TimedOut` / `NetworkError`: try again after a short, growing pause, a bounded number of times.
- `Forbidden` (the user blocked the bot, or the chat is gone): drop what is left for that chat.
- `BadRequest`: not retried as is; HTML Telegram cannot parse is sent once more as plain text, and
  "message is not modified" (a keyboard already removed: a second press) is reported to the caller.

Log lines name the API method and the error class, never a chat id, a name or any message text.
"""

from __future__ import annotations

import asyncio
import enum
import html
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_render import MESSAGE_LIMIT, Button, TelegramMessage, telegram_length

__all__ = ["Delivery", "Failure", "RetryPolicy", "keyboard_markup", "retry_after_seconds"]

log = logging.getLogger("pathways.telegram")

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # source links would otherwise each add a preview card
_TAG = re.compile(r"<[^>]+>")


class Failure(enum.Enum):
    """Why a call returned no result."""

    BLOCKED = "blocked"  # Forbidden: the user blocked the bot; nothing more is sent to that chat
    NOT_MODIFIED = "not_modified"  # an edit that changes nothing (the keyboard was already removed)
    UNPARSABLE = "unparsable"  # Telegram could not parse the HTML (a bug on our side): resend as plain text
    FAILED = "failed"  # given up after the retries; logged


@dataclass(frozen=True)
class RetryPolicy:
    retry_after_attempts: int = 2
    retry_after_cap: float = 30.0  # seconds; a longer flood wait is not worth holding the update for
    network_attempts: int = 3
    network_backoff: float = 0.5  # seconds, doubled after each failure


def keyboard_markup(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """One button per row: option labels are sentences and would be cut short side by side."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons])


def _reason(exc: BadRequest) -> str:
    """A content-free category for a BadRequest (Telegram's descriptions are matched, not logged)."""
    text = exc.message.casefold()
    for needle, reason in (("not modified", "not_modified"), ("parse entities", "parse_entities"),
                           ("too long", "too_long"), ("not found", "not_found"), ("can't be edited", "not_editable"),
                           ("query is too old", "query_too_old")):
        if needle in text:
            return reason
    return "other"


def retry_after_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait, in seconds (PTB gives an int or a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


class Delivery:
    """Sends, edits and answers through one `Bot` with the retry policy above."""

    def __init__(self, bot: Bot, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.bot = bot
        self.policy = policy or RetryPolicy()
        self.sleep = sleep  # replaceable in tests

    async def call(self, method: str, make_call: Callable[[], Awaitable[Any]]) -> Any:
        """The call's result, or a `Failure`. `method` is the API method's name, for the log only."""
        policy = self.policy
        flood_waits = network_failures = 0
        while True:
            try:
                return await make_call()
            except RetryAfter as exc:
                flood_waits += 1
                wait = retry_after_seconds(exc)
                if flood_waits > policy.retry_after_attempts or wait > policy.retry_after_cap:
                    log.warning("telegram flood control: gave up", extra={"method": method, "wait_s": wait})
                    return Failure.FAILED
                log.info("telegram flood control: waiting", extra={"method": method, "wait_s": wait})
                await self.sleep(wait)
            except Forbidden:
                log.info("telegram: the user blocked the bot or left the chat; dropped", extra={"method": method})
                return Failure.BLOCKED
            except BadRequest as exc:
                reason = _reason(exc)
                if reason == "not_modified":
                    return Failure.NOT_MODIFIED
                log.warning("telegram bad request", extra={"method": method, "reason": reason})
                return Failure.UNPARSABLE if reason == "parse_entities" else Failure.FAILED
            except NetworkError as exc:  # TimedOut included
                network_failures += 1
                if network_failures >= policy.network_attempts:
                    log.warning("telegram network error: gave up",
                                extra={"method": method, "error": type(exc).__name__, "attempts": network_failures})
                    return Failure.FAILED
                await self.sleep(policy.network_backoff * 2 ** (network_failures - 1))
            except TelegramError as exc:
                log.warning("telegram error", extra={"method": method, "error": type(exc).__name__})
                return Failure.FAILED
            except (TypeError, ValueError, KeyError) as exc:  # an answer PTB cannot read: not worth a crash
                log.error("telegram answer unreadable", extra={"method": method, "error": type(exc).__name__})
                return Failure.FAILED

    async def send(self, chat_id: int, messages: Sequence[TelegramMessage]) -> list[Message | None]:
        """Send in order. Returns, for each message, what Telegram returned or None when it failed; the
        list stops short when the user has blocked the bot (nothing more is sent to that chat)."""
        sent: list[Message | None] = []
        for message in messages:
            result = await self.call("sendMessage", lambda m=message: self._send_html(chat_id, m))
            if result is Failure.UNPARSABLE:
                result = await self.call("sendMessage", lambda m=message: self._send_plain(chat_id, m))
            if result is Failure.BLOCKED:
                break
            sent.append(None if isinstance(result, Failure) else result)
        return sent

    async def _send_html(self, chat_id: int, message: TelegramMessage) -> Message:
        return await self.bot.send_message(chat_id, message.html, parse_mode=ParseMode.HTML,
                                           reply_markup=keyboard_markup(message.buttons),
                                           link_preview_options=_NO_PREVIEW)

    async def _send_plain(self, chat_id: int, message: TelegramMessage) -> Message:
        return await self.bot.send_message(chat_id, html.unescape(_TAG.sub("", message.html)),
                                           reply_markup=keyboard_markup(message.buttons),
                                           link_preview_options=_NO_PREVIEW)

    async def remove_keyboard(self, chat_id: int, message_id: int, *, note_html: str | None = None,
                              text_html: str | None = None) -> Any:
        """Take the buttons off a message (an edit without `reply_markup` removes them), adding `note_html`
        (the option picked) under its text when the text is known and there is room. Returns the edited
        message, True, or a Failure (NOT_MODIFIED: the buttons were already gone)."""
        edited = f"{text_html}\n\n{note_html}" if text_html is not None and note_html is not None else None
        if edited is not None and telegram_length(edited) <= MESSAGE_LIMIT:
            result = await self.call("editMessageText", lambda: self.bot.edit_message_text(
                edited, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                link_preview_options=_NO_PREVIEW))
            if not isinstance(result, Failure) or result in (Failure.NOT_MODIFIED, Failure.BLOCKED):
                return result
        return await self.call("editMessageReplyMarkup", lambda: self.bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id))

    async def answer(self, callback_query_id: str, text: str | None = None) -> None:
        """Stop the button's spinner (with a short toast when `text` is given)."""
        await self.call("answerCallbackQuery",
                        lambda: self.bot.answer_callback_query(callback_query_id, text=text))
