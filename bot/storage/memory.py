"""An in-memory store with the same contract as the SQL store, for tests and the console."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

from bot.storage.base import DUPLICATE, OPTED_OUT, Decision, StoredConversation
from bot.storage.cohorts_memory import MemoryCohorts

__all__ = ["MemoryStore"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MemoryStore(MemoryCohorts):
    """Keeps conversations in a dict; one lock serialises turns."""

    def __init__(self) -> None:
        self.conversations: dict[str, StoredConversation] = {}
        self.message_ids: dict[str, tuple[str, dt.datetime]] = {}
        self.opted_out: set[str] = set()
        self._counters: Counter[tuple[str, str]] = Counter()
        self._lock = asyncio.Lock()
        self._init_cohorts()

    async def turn(self, user_key: str, message_id: str | None, decide: Decision, *,
                   unless_opted_out: bool = False) -> Any:
        async with self._lock:
            now = _now()
            if unless_opted_out and user_key in self.opted_out:
                return OPTED_OUT
            if message_id is not None:
                if message_id in self.message_ids:
                    return DUPLICATE
            stored = self.conversations.get(user_key)
            new_state, result = decide(stored, now)
            if message_id is not None:
                self.message_ids[message_id] = (user_key, now)
            if new_state is None:
                self.conversations.pop(user_key, None)
            else:
                version = stored.version + 1 if stored else 1
                self.conversations[user_key] = StoredConversation(new_state, now, version)
            return result

    async def erase(self, user_key: str) -> None:
        async with self._lock:
            self.conversations.pop(user_key, None)
            for mid in [m for m, (k, _) in self.message_ids.items() if k == user_key]:
                del self.message_ids[mid]
            self._unlink(user_key)

    async def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
        cutoff = (now or _now()) - older_than
        cohort_rows = await self.purge_cohorts(now or _now())
        async with self._lock:
            old = [k for k, c in self.conversations.items() if c.updated_at < cutoff]
            ids = [m for m, (_, t) in self.message_ids.items() if t < cutoff]
            for k in old:
                del self.conversations[k]
            for m in ids:
                del self.message_ids[m]
            return len(old) + len(ids) + cohort_rows

    async def set_opt_out(self, user_key: str, opted_out: bool) -> None:
        (self.opted_out.add if opted_out else self.opted_out.discard)(user_key)

    async def is_opted_out(self, user_key: str) -> bool:
        return user_key in self.opted_out

    async def count_event(self, name: str, label: str = "") -> None:
        self._counters[(name, label)] += 1

    async def count_events(self, counts: Mapping[tuple[str, str], int]) -> None:
        for key, n in counts.items():
            self._counters[key] += n

    async def counters(self) -> dict[tuple[str, str], int]:
        return dict(self._counters)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
