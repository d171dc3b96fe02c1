"""The Telegram update handlers: PTB is the transport, the conversation core decides.

Every message, command and button press from a private chat becomes one (or, for /search and
/scenario, two) `ConversationService.handle` turns, deduplicated on the update id; the replies are
rendered by `telegram_render` and sent by `telegram_delivery`. Groups get one note that the bot works
in private only. Nothing here logs a user id, a name or any text.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Sequence

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram_commands import (
    COMMANDS,
    CORE_WORDS,
    GROUP_NOTE,
    MOVED_ON,
    NOT_TEXT,
    SCENARIO_MENU_LABEL,
    SEARCH_USAGE,
    SORRY,
    UNAVAILABLE,
    UNKNOWN_COMMAND,
    about_text,
    commands_help,
)
from bot.channels.telegram_delivery import Delivery, Failure
from bot.channels.telegram_memory import BoundedMemory, LiveKeyboards
from bot.channels.telegram_render import TelegramMessage, escape, render_telegram
from bot.conversation.keys import user_key
from bot.engine.answers import clean_input
from bot.engine.outbound import Outbound, Reference
from bot.engine.step import ROLE_MENU_START
from bot.errors import StorageError
from bot.safety import EMERGENCY_TEXT, detect_danger
from bot.server.runtime import Runtime

__all__ = ["TelegramHandlers", "CHANNEL"]

log = logging.getLogger("pathways.telegram")

CHANNEL = "telegram"
_PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
_GROUPS = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE


class TelegramHandlers:
    """The callbacks registered on the PTB Application, sharing the runtime and the delivery."""

    def __init__(self, runtime: Runtime, delivery: Delivery) -> None:
        self.runtime = runtime
        self.delivery = delivery
        self.keyboards = LiveKeyboards()
        self._groups_told: BoundedMemory[str, bool] = BoundedMemory()

    def register(self, application: Application) -> None:
        commands = {"start": self.start, "help": self.help, "about": self.about, "flows": self.flows,
                    "search": self.search, "scenario": self.scenario, "join": self.join}
        for name in CORE_WORDS:
            commands[name] = self.core_word
        for name, callback in commands.items():
            application.add_handler(CommandHandler(name, callback, filters=_PRIVATE))
        application.add_handler(MessageHandler(_PRIVATE & filters.COMMAND, self.unknown_command))
        application.add_handler(MessageHandler(_PRIVATE & filters.TEXT, self.text))
        application.add_handler(MessageHandler(_PRIVATE, self.not_text))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(MessageHandler(_GROUPS, self.group))
        application.add_error_handler(self.on_error)

    @staticmethod
    def bot_commands() -> Sequence[tuple[str, str]]:
        return COMMANDS

    # --- commands --------------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Privacy notice, then who are you (practitioner, faith leader, trainer), then that role's menu;
        `/start <flow-id>` (a t.me deep link) opens that pathway."""
        payload = context.args[0] if context.args else None
        if payload and payload in self.runtime.content.catalog.ids():
            messages = await self._turns(update, [""], start=payload)
        else:
            messages = await self._turns(update, [""], start=ROLE_MENU_START)
        if messages and not isinstance(messages, _Refused):
            notice = Outbound(self._privacy_notice(), kind="notice")
            if notice not in messages:
                at = sum(1 for m in messages if m.kind == "emergency")
                messages.insert(at, notice)
        await self._reply(update, messages)

    async def core_word(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/menu, /back, /forget (and /restart): the core's word for it."""
        command = update.effective_message.text.split()[0].lstrip("/").split("@")[0].casefold()
        await self._reply(update, await self._turns(update, [CORE_WORDS[command]]))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        messages = await self._turns(update, ["help"])
        if messages and not isinstance(messages, _Refused):
            messages.insert(sum(1 for m in messages if m.kind == "emergency"), Outbound(commands_help()))
        await self._reply(update, messages)

    async def about(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._say(update, about_text(self.runtime.content))

    async def flows(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The pathways with a line about each, then the main menu to pick one."""
        catalog = self.runtime.content.catalog
        lines = [f"{flow.title}: {flow.summary}" if flow.summary else flow.title for flow in catalog.menu_flows(None)]
        listing = Outbound("Pathways:\n\n" + "\n\n".join(lines))
        messages = await self._turns(update, ["menu"])
        if messages and not isinstance(messages, _Refused):
            messages.insert(sum(1 for m in messages if m.kind == "emergency"), listing)
        await self._reply(update, messages)

    async def search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/search words`: leave any question (BACK returns to it) and search, as free text at the menu."""
        words = " ".join(context.args or ())
        if not words.strip():
            await self._say(update, SEARCH_USAGE)
            return
        await self._reply(update, await self._turns(update, ["menu", words]))

    async def scenario(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The scenario list: the main menu's "Practise a scenario" entry."""
        await self._reply(update, await self._turns(update, ["menu", SCENARIO_MENU_LABEL]))

    async def join(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`/join CODE`: joining a training group is the conversation core's business."""
        await self._reply(update, await self._turns(update, [" ".join(["/join", *(context.args or ())])]))

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._say(update, UNKNOWN_COMMAND)

    # --- messages and buttons --------------------------------------------------------------------

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Free text: an answer to the current question, or (outside a question) a search."""
        await self._reply(update, await self._turns(update, [update.effective_message.text]))

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos, voice notes, stickers, contacts: not read, not stored."""
        await self._say(update, NOT_TEXT)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: its data is an option key, answered like the same words typed."""
        query = update.callback_query
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE or not query.data:
            await self.delivery.answer(query.id)
            return
        chat_id, message_id = message.chat.id, message.message_id
        key = self._key(update)
        if self.keyboards.is_stale(key, message_id):
            await self.delivery.answer(query.id, MOVED_ON)
            await self.delivery.remove_keyboard(chat_id, message_id)
            return
        label = _button_label(message, query.data)
        text_html = message.text_html if isinstance(message, Message) and message.text else None
        _, removed = await asyncio.gather(
            self.delivery.answer(query.id),
            self.delivery.remove_keyboard(chat_id, message_id, text_html=text_html,
                                          note_html=f"<i>\u2713 {escape(label)}</i>" if label else None))
        if removed in (Failure.NOT_MODIFIED, Failure.BLOCKED):
            return  # pressed twice before the buttons went: the first press is being answered
        self.keyboards.clear(key)
        await self._reply(update, await self._turns(update, [query.data]), keyboard_retired=True)

    async def group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In a group: say once that the bot works in private, then stay silent there."""
        chat = update.effective_chat
        marker = user_key(self.runtime.secret, "telegram-group", str(chat.id))
        if marker in self._groups_told:
            return
        self._groups_told.set(marker, True)
        username = context.bot.username if context.bot else None
        handle = f": @{username}" if username else ""
        await self.delivery.send(chat.id, [TelegramMessage(escape(GROUP_NOTE.format(handle=handle)))])

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A bug in a handler: log where (not what), and tell the user something went wrong."""
        error = context.error
        frame = traceback.extract_tb(error.__traceback__)[-1] if error and error.__traceback__ else None
        log.error("telegram update failed", extra={
            "error": type(error).__name__, "where": f"{frame.filename}:{frame.lineno}" if frame else "-"})
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            await self.delivery.send(update.effective_chat.id, [TelegramMessage(escape(SORRY))])

    # --- the conversation ------------------------------------------------------------------------

    def _key(self, update: Update) -> str:
        return self.runtime.service.key(CHANNEL, str(update.effective_user.id))

    def _privacy_notice(self) -> str:
        return self.runtime.service.privacy_notice()

    async def _turns(self, update: Update, texts: Sequence[str], *, start: str | None = None) -> list[Outbound] | None:
        """One conversation turn per text, deduplicated on the update id. Of all but the last turn only
        emergency and notices are kept (the menu a /search passes through is not shown). None: a
        duplicate update, already answered."""
        refused = await self._refusal(update, texts)
        if refused is not None:
            return refused
        service = self.runtime.service
        sender = str(update.effective_user.id)
        kept: list[Outbound] = []
        for index, text in enumerate(texts):
            message_id = f"tg:{update.update_id}" + (f":{index}" if index else "")
            try:
                reply = await service.handle(CHANNEL, sender, text, message_id=message_id,
                                             start=start if index == len(texts) - 1 else None)
            except StorageError:
                log.warning("telegram: storage unavailable; sent the safety fallback")
                return _Refused(texts, UNAVAILABLE)
            if not reply.messages and index == 0:
                return None
            last = index == len(texts) - 1
            kept += [m for m in reply.messages if last or m.kind in ("emergency", "notice")]
            if reply.erase:
                await self._forget_limits(update)
        return kept

    async def _refusal(self, update: Update, texts: Sequence[str]) -> _Refused | None:
        """The per-sender rate limit shared with SMS (`runtime.extras["limiter"]`; the SMS-only caps do not
        apply): over it, one notice then silence, but danger is still answered."""
        limiter = self.runtime.extras.get("limiter")
        if limiter is None:
            return None
        decision = await limiter.check(self._key(update), message_id=f"tg:{update.update_id}", sms=False)
        return None if decision.allowed else _Refused(texts, decision.notice)

    async def _forget_limits(self, update: Update) -> None:
        key = self._key(update)
        self.keyboards.clear(key)
        limiter = self.runtime.extras.get("limiter")
        if limiter is not None:
            await limiter.forget(key)

    async def _reply(self, update: Update, messages: list[Outbound] | None, *, keyboard_retired: bool = False) -> None:
        """Send a turn's messages; the buttons of the previous question stop working first."""
        if not messages:
            return
        chat_id = update.effective_chat.id
        key = self._key(update)
        live = self.keyboards.live(key)
        if live and not keyboard_retired and not isinstance(messages, _Refused):  # refused: the state is unchanged
            await self.delivery.remove_keyboard(chat_id, live)
            self.keyboards.clear(key)
        rendered = render_telegram(self.runtime.content, messages, region=self.runtime.settings.local_area)
        sent = await self.delivery.send(chat_id, rendered)
        for message, result in zip(rendered, sent, strict=False):
            if message.buttons and result is not None:
                self.keyboards.replace(key, result.message_id)

    async def _say(self, update: Update, text: str) -> None:
        """A channel message outside the conversation (state unchanged), within the rate limit."""
        refused = await self._refusal(update, ())
        if refused is not None:
            await self._reply(update, refused)
            return
        await self.delivery.send(update.effective_chat.id, [TelegramMessage(escape(text))])


def _button_label(message: object, data: str) -> str | None:
    markup = getattr(message, "reply_markup", None)
    for row in getattr(markup, "inline_keyboard", ()) or ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


class _Refused(list):
    """What is sent instead of a turn (the database is down, or the sender is over the rate limit): danger
    is still answered first (the safety layer needs no state), then the notice, if any. Commands add nothing."""

    def __init__(self, texts: Sequence[str], notice: str | None) -> None:
        super().__init__()
        if any(detect_danger(clean_input(t)) for t in texts):
            self.append(Outbound(EMERGENCY_TEXT, kind="emergency", references=(Reference("service", "emergency-999"),)))
        if notice:
            self.append(Outbound(notice, kind="notice"))
