"""The conversation service: pseudonymous keys, one atomic store turn per message, erasure, metrics."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence

from bot.content.library import Content
from bot.conversation.keys import user_key
from bot.conversation.respond import Reply, Searcher, respond
from bot.engine.outbound import Outbound
from bot.storage.base import DUPLICATE, OPTED_OUT, ConversationStore

__all__ = ["ConversationService", "Pager", "MORE_WORDS"]

# A paging channel (SMS) renders a turn's messages into pages: the first is sent, the rest wait for MORE.
Pager = Callable[[Sequence[Outbound]], list[str]]
MORE_WORDS = {"more", "more.", "/more"}
OUTBOX = "outbox"

log = logging.getLogger("pathways.conversation")


class ConversationService:
    """Shared by every channel. Channels pass the raw sender id; only its HMAC key goes further."""

    def __init__(self, content: Content, store: ConversationStore, secret: str, *,
                 expiry: dt.timedelta = dt.timedelta(minutes=30), searcher: Searcher | None = None,
                 batch_counts: bool = False) -> None:
        self.content = content
        # A server batches its counters: one hot counter row updated by every message would serialise them.
        self.batch_counts = batch_counts
        self._pending_counts: Counter[tuple[str, str]] = Counter()
        self.store = store
        self.secret = secret
        self.expiry = expiry
        self.searcher = searcher

    def key(self, channel: str, sender_id: str) -> str:
        return user_key(self.secret, channel, sender_id)

    async def handle(self, channel: str, sender_id: str, text: object, *, message_id: str | None = None,
                     start: str | None = None, pager: Pager | None = None,
                     unless_opted_out: bool = False) -> Reply:
        """Answer one message. A message id seen before gets an empty Reply and changes nothing.

        With a `pager`, `Reply.pages` holds the one page to send now; the rest of a long reply is kept
        with the conversation (our own text, never the user's) until the user sends MORE.
        `unless_opted_out`: send nothing and change nothing when the sender opted out (SMS STOP).
        """
        key = self.key(channel, sender_id)
        decide = functools.partial(self._decide, text=text, start=start, pager=pager)
        result = await self.store.turn(key, message_id, decide, unless_opted_out=unless_opted_out)
        if result is DUPLICATE:
            log.info("duplicate message ignored", extra={"channel": channel})
            return Reply()
        if result is OPTED_OUT:
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
        counts: Counter[tuple[str, str]] = Counter({("messages", channel): 1})
        if reply.danger:
            counts["danger_detected", channel] += 1
        if reply.personal_data:
            counts["personal_data_warning", channel] += 1
        for event in reply.events:
            if event.name == "flow_started":
                counts["flow_started", event.flow or ""] += 1
            elif event.name == "flow_ended":
                counts["flow_ended", f"{event.flow}:{event.outcome}"] += 1
            elif event.name == "search" and event.outcome:
                counts["search", event.outcome] += 1
        if self.batch_counts:
            self._pending_counts.update(counts)
        else:
            await self.store.count_events(counts)

    async def flush_counts(self) -> None:
        """Write the batched counters (the server calls this at an interval and at shutdown)."""
        pending, self._pending_counts = self._pending_counts, Counter()
        try:
            await self.store.count_events(pending)
        except Exception:
            self._pending_counts.update(pending)  # keep them for the next flush
            raise


def _asks_for_more(text: object) -> bool:
    return isinstance(text, str) and text.strip().casefold() in MORE_WORDS


def _without_outbox(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != OUTBOX}
