"""The contract every conversation store keeps (in-memory, SQLite, PostgreSQL).

One inbound message is one `turn`: in a single transaction the store records the message id (so a
retried webhook is answered as a duplicate and changes nothing), locks and loads the user's
conversation, calls the pure `decide` function, and saves what it returns. Two messages from the same
user are serialised; nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from bot.storage.cohorts import CohortStore

__all__ = ["StoredConversation", "ConversationStore", "DUPLICATE", "OPTED_OUT", "Decision"]

T = TypeVar("T")


class _Duplicate:
    def __repr__(self) -> str:
        return "DUPLICATE"


DUPLICATE: Any = _Duplicate()


class _OptedOut:
    def __repr__(self) -> str:
        return "OPTED_OUT"


OPTED_OUT: Any = _OptedOut()


@dataclass(frozen=True)
class StoredConversation:
    """What is held for one pseudonymous user key: the engine state (JSON) and when it last changed."""

    state: dict[str, Any]
    updated_at: dt.datetime
    version: int = 0


# decide(stored or None, now) -> (new state dict, or None to delete the row; result for the caller)
Decision = Callable[[StoredConversation | None, dt.datetime], tuple[dict[str, Any] | None, T]]


class ConversationStore(CohortStore, Protocol):
    """Implemented by `MemoryStore` and the SQL store (with the training-cohort methods of `CohortStore`)."""

    async def turn(self, user_key: str, message_id: str | None, decide: Decision, *,
                   unless_opted_out: bool = False) -> Any:
        """Run one turn atomically; returns decide's result, or DUPLICATE for a message id seen before.

        `unless_opted_out`: when the key has opted out (SMS STOP), write nothing and return OPTED_OUT; the
        check rides on the same statement that loads the conversation (no extra round trip).
        """

    async def erase(self, user_key: str) -> None:
        """Delete everything held for this user key (conversation, message ids) and unlink it from its cohort
        participant number (the anonymous answers stay until the cohort expires)."""

    async def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
        """Delete conversations and message ids idle longer than `older_than`, and expired cohorts; returns rows
        deleted."""

    async def set_opt_out(self, user_key: str, opted_out: bool) -> None:
        """Record (or clear) an SMS opt-out: the one thing kept after erasure, as a bare key."""

    async def is_opted_out(self, user_key: str) -> bool: ...

    async def count_event(self, name: str, label: str = "") -> None:
        """Add one to a content-free aggregate counter (no user key)."""

    async def count_events(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Add several counts at once (the server batches its counters and flushes them at an interval)."""

    async def counters(self) -> dict[tuple[str, str], int]: ...

    async def ping(self) -> bool:
        """True when the database answers."""

    async def close(self) -> None: ...
