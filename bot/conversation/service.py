"""The conversation service: pseudonymous keys, one atomic store turn per message, erasure, metrics."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence

from bot.content.library import Content
from bot.conversation.keys import user_key
from bot.conversation.respond import PRIVACY_NOTICE, Reply, Searcher, asks_to_forget, respond
from bot.engine.outbound import Outbound
from bot.storage.base import DUPLICATE, OPTED_OUT, ConversationStore
from bot.training import participation

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
                 batch_counts: bool = False, retention_days: int = 30,
                 on_counts: Callable[[Counter[tuple[str, str]]], None] | None = None) -> None:
        self.content = content
        self.retention_days = retention_days
        self.on_counts = on_counts  # e.g. the server's Prometheus counters
        # A server batches its counters: one hot counter row updated by every message would serialise them.
        self.batch_counts = batch_counts
        self._pending_counts: Counter[tuple[str, str]] = Counter()
        self.store = store
        self.secret = secret
        self.expiry = expiry
        self.searcher = searcher
        self.cohorts = participation.CohortParticipation(store)  # training cohorts: JOIN CODE and answers

    def key(self, channel: str, sender_id: str) -> str:
        return user_key(self.secret, channel, sender_id)

    def privacy_notice(self) -> str:
        """The first-contact notice with this deployment's expiry and retention."""
        return PRIVACY_NOTICE.format(expiry=int(self.expiry.total_seconds() // 60), retention=self.retention_days)

    async def handle(self, channel: str, sender_id: str, text: object, *, message_id: str | None = None,
                     start: str | None = None, pager: Pager | None = None,
                     unless_opted_out: bool = False) -> Reply:
        """Answer one message. A message id seen before gets an empty Reply and changes nothing.

        With a `pager`, `Reply.pages` holds the one page to send now; the rest of a long reply is kept
        with the conversation (our own text, never the user's) until the user sends MORE.
        `unless_opted_out`: send nothing and change nothing when the sender opted out (SMS STOP).
        """
        key = self.key(channel, sender_id)
        # JOIN CODE joins a training cohort; FORGET notes the participant number it is about to unlink.
        joining = await self.cohorts.prepare(self.content, key, text, unless_opted_out=unless_opted_out)
        if asks_to_forget(text):
            # Erase first, and again after the turn (which records this message's id): if the database fails
            # in between, the provider's retry is not a duplicate and finishes the job.
            await self.store.erase(key)
        decide = functools.partial(self._decide, text=text, start=start, pager=pager, joining=joining)
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
        await self.cohorts.record(self.content, key, reply)
        return reply

    def _decide(self, stored, now, *, text, start, pager, joining=None):
        if pager is not None and start is None and stored is not None and _asks_for_more(text):
            state = stored.state if isinstance(stored.state, dict) else {}
            outbox = state.get(OUTBOX)
            if isinstance(outbox, list) and outbox and now - stored.updated_at <= self.expiry:
                page, rest = str(outbox[0]), outbox[1:]
                return {**state, OUTBOX: rest} if rest else _without_outbox(state), Reply(pages=[page])
        bound = functools.partial(respond, self.content, expiry=self.expiry, searcher=self.searcher,
                                  retention_days=self.retention_days)
        new_state, reply = self.cohorts.respond(bound, self.content, stored, text, now, start=start, joining=joining)
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
        if self.on_counts is not None:
            self.on_counts(counts)
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
