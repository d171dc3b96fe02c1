"""The conversation service: pseudonymous keys, one atomic store turn per message, erasure, metrics."""

from __future__ import annotations

import datetime as dt
import functools
import logging

from bot.content.library import Content
from bot.conversation.keys import user_key
from bot.conversation.respond import Reply, Searcher, respond
from bot.storage.base import DUPLICATE, ConversationStore

__all__ = ["ConversationService"]

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
                     start: str | None = None) -> Reply:
        """Answer one message. A message id seen before gets an empty Reply and changes nothing."""
        key = self.key(channel, sender_id)
        decide = functools.partial(self._decide, text=text, start=start)
        result = await self.store.turn(key, message_id, decide)
        if result is DUPLICATE:
            log.info("duplicate message ignored", extra={"channel": channel})
            return Reply()
        reply: Reply = result
        if reply.erase:
            await self.store.erase(key)
        await self._count(channel, reply)
        return reply

    def _decide(self, stored, now, *, text, start):
        return respond(self.content, stored, text, now, expiry=self.expiry, searcher=self.searcher,
                       start=start)

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
