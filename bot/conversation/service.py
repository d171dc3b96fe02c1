"""The conversation service: pseudonymous keys, one atomic store turn per message, erasure, metrics."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Sequence

from bot.content.library import Content
from bot.conversation.keys import user_key
from bot.conversation.respond import Reply, Searcher, respond
from bot.engine.outbound import Outbound
from bot.storage.base import DUPLICATE, ConversationStore

__all__ = ["ConversationService", "Pager", "MORE_WORDS"]

# A paging channel (SMS) renders a turn's messages into pages: the first is sent, the rest wait for MORE.
Pager = Callable[[Sequence[Outbound]], list[str]]
MORE_WORDS = {"more", "more.", "/more"}
OUTBOX = "outbox"

log = logging.getLogger("pathways.conversation")


class ConversationService:
    """Shared by every channel. Channels pass the raw sender id; only its HMAC key goes further."""

    def __init__(self, content: Content, store: ConversationStore, secret: str, *,
                 expiry: dt.timedelta = dt.timedelta(minutes=30), searcher: Searcher | None = None) -> None:
        self.content = content
        self.store = store
        self.secret = secret
        self.expiry = expiry
        self.searcher = searcher

    def key(self, channel: str, sender_id: str) -> str:
        return user_key(self.secret, channel, sender_id)

    async def handle(self, channel: str, sender_id: str, text: object, *, message_id: str | None = None,
                     start: str | None = None, pager: Pager | None = None) -> Reply:
        """Answer one message. A message id seen before gets an empty Reply and changes nothing.

        With a `pager`, `Reply.pages` holds the one page to send now; the rest of a long reply is kept
        with the conversation (our own text, never the user's) until the user sends MORE.
        """
        key = self.key(channel, sender_id)
        decide = functools.partial(self._decide, text=text, start=start, pager=pager)
        result = await self.store.turn(key, message_id, decide)
        if result is DUPLICATE:
            log.info("duplicate message ignored", extra={"channel": channel})
            return Reply()
        reply: Reply = result
        if reply.erase:
            await self.store.erase(key)
        await self._count(channel, reply)
        return reply

    def _decide(self, stored, now, *, text, start, pager):
        if pager is not None and start is None and stored is not None and _asks_for_more(text):
            state = stored.state if isinstance(stored.state, dict) else {}
            outbox = state.get(OUTBOX)
            if isinstance(outbox, list) and outbox and now - stored.updated_at <= self.expiry:
                page, rest = str(outbox[0]), outbox[1:]
                return {**state, OUTBOX: rest} if rest else _without_outbox(state), Reply(pages=[page])
        new_state, reply = respond(self.content, stored, text, now, expiry=self.expiry,
                                   searcher=self.searcher, start=start)
        if pager is not None:
            pages = pager(reply.messages)
            reply.pages = pages[:1]
            if new_state is not None and len(pages) > 1:
                new_state[OUTBOX] = pages[1:]
        return new_state, reply

    async def forget(self, channel: str, sender_id: str) -> None:
        await self.store.erase(self.key(channel, sender_id))

    async def _count(self, channel: str, reply: Reply) -> None:
        # Aggregate counts only: no user key, no text.
        await self.store.count_event("messages", channel)
        if reply.danger:
            await self.store.count_event("danger_detected", channel)
        if reply.personal_data:
            await self.store.count_event("personal_data_warning", channel)
        for event in reply.events:
            if event.name == "flow_started":
                await self.store.count_event("flow_started", event.flow or "")
            elif event.name == "flow_ended":
                await self.store.count_event("flow_ended", f"{event.flow}:{event.outcome}")
            elif event.name == "search" and event.outcome:
                await self.store.count_event("search", event.outcome)


def _asks_for_more(text: object) -> bool:
    return isinstance(text, str) and text.strip().casefold() in MORE_WORDS


def _without_outbox(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != OUTBOX}
