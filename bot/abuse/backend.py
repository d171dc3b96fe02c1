"""The contract each limit backend keeps (in-process memory, Redis, PostgreSQL).

A backend does the counting atomically and returns a bare verdict; `RateLimiter` adds the notice text,
the logs and the metrics. Every backend follows the same rules, written out once in `MemoryLimitBackend`
(the reference) and mirrored by the Redis Lua script and the PostgreSQL function:

1. A message id seen within `replay_seconds` repeats its first verdict (allowed, or dropped) and counts
   nothing: a retried webhook is neither counted twice nor noticed twice.
2. The sender's count for this minute goes up by one; past the limit the message is refused.
3. For SMS only: if this hour's segment total has reached the cap, it is refused.
4. For SMS only: a sender not seen within `known_sender_days` adds one to this hour's new-sender count;
   past the cap it is refused. Otherwise the sender is marked seen (for `known_sender_days`).
A refused message gets NOTICE_THEN_DROP when it is the first refused by that limit in its window (per
sender, or for new senders in all), else DROP. Each check is one atomic step: one round trip.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from bot.abuse.policy import Decision, LimitPolicy

__all__ = ["LimitBackend"]


class LimitBackend(Protocol):
    """Implemented by MemoryLimitBackend, RedisLimitBackend and PostgresLimitBackend."""

    name: str

    async def check(self, now: dt.datetime, user_key: str, message_id: str | None, sms: bool,
                    policy: LimitPolicy) -> Decision:
        """Count one inbound message and return the verdict (without notice text)."""

    async def spend_segments(self, now: dt.datetime, segments: int, policy: LimitPolicy) -> int:
        """Add outbound SMS segments to this hour's total; returns the total after adding."""

    async def forget(self, user_key: str) -> None:
        """Drop the 'seen' mark for this user key (FORGET). Its short-lived counts stay, so FORGET is no way
        round the rate limit."""

    async def purge(self, now: dt.datetime) -> int:
        """Delete expired entries; returns how many (backends that expire entries by themselves return 0)."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
