"""The in-process limit backend: the reference implementation of the rules, for one process.

Used with SQLite (one process) and in tests. Nothing in `check` awaits, so within one event loop each
check is atomic. Two processes each keep their own counts: use Redis or PostgreSQL for several instances.
"""

from __future__ import annotations

import datetime as dt

from bot.abuse.policy import (
    ALLOW,
    NEW_SMS_SENDERS,
    SENDER_RATE,
    SMS_SEGMENTS,
    Action,
    Decision,
    LimitPolicy,
    refused,
    window_id,
)

__all__ = ["MemoryLimitBackend"]

_SWEEP_SECONDS = 60


class MemoryLimitBackend:
    """Counters in dictionaries, swept of expired entries once a minute."""

    name = "memory"

    def __init__(self) -> None:
        self._counters: dict[str, tuple[int, int, float]] = {}  # bucket → (window id, count, expires at)
        self._seen: dict[str, float] = {}  # user key → expires at
        self._verdicts: dict[str, tuple[bool, float]] = {}  # message id → (allowed, expires at)
        self._next_sweep = 0.0

    async def check(self, now: dt.datetime, user_key: str, message_id: str | None, sms: bool,
                    policy: LimitPolicy) -> Decision:
        t = now.timestamp()
        self._sweep(t)
        if message_id is not None:
            prior = self._verdicts.get(message_id)
            if prior is not None and prior[1] > t:
                return Decision(Action.ALLOW if prior[0] else Action.DROP, replay=True)
        decision = self._decide(now, t, user_key, sms, policy)
        if message_id is not None:
            self._verdicts[message_id] = (decision.allowed, t + policy.replay_seconds)
        return decision

    def _decide(self, now: dt.datetime, t: float, user_key: str, sms: bool, policy: LimitPolicy) -> Decision:
        minute = window_id(now, policy.sender_window_seconds)
        sent = self._count(f"sender:{user_key}", minute, 1, t + policy.sender_window_seconds)
        if sent > policy.sender_per_minute:
            return refused(SENDER_RATE, sent == policy.sender_per_minute + 1)
        if not sms:
            return ALLOW
        hour = window_id(now, policy.global_window_seconds)
        hour_ends = t + policy.global_window_seconds
        if self._peek("segments", hour) >= policy.sms_segments_per_hour:
            noticed = self._count(f"segment_notice:{user_key}", hour, 1, hour_ends)
            return refused(SMS_SEGMENTS, noticed == 1)
        if self._seen.get(user_key, 0.0) <= t:
            new = self._count("new_senders", hour, 1, hour_ends)
            if new > policy.new_sms_senders_per_hour:
                return refused(NEW_SMS_SENDERS, new == policy.new_sms_senders_per_hour + 1)
        self._seen[user_key] = t + policy.known_sender_seconds
        return ALLOW

    async def spend_segments(self, now: dt.datetime, segments: int, policy: LimitPolicy) -> int:
        hour = window_id(now, policy.global_window_seconds)
        return self._count("segments", hour, segments, now.timestamp() + policy.global_window_seconds)

    def _count(self, bucket: str, window: int, amount: int, expires: float) -> int:
        held_window, count, held_expires = self._counters.get(bucket, (window, 0, expires))
        if held_window < window:  # a new window starts from nothing
            held_window, count = window, 0
        count += amount
        self._counters[bucket] = (held_window, count, max(expires, held_expires))
        return count

    def _peek(self, bucket: str, window: int) -> int:
        held_window, count, _ = self._counters.get(bucket, (window, 0, 0.0))
        return count if held_window >= window else 0

    def _sweep(self, t: float) -> None:
        if t < self._next_sweep:
            return
        self._next_sweep = t + _SWEEP_SECONDS
        self._counters = {k: v for k, v in self._counters.items() if v[2] > t}
        self._seen = {k: v for k, v in self._seen.items() if v > t}
        self._verdicts = {k: v for k, v in self._verdicts.items() if v[1] > t}

    async def forget(self, user_key: str) -> None:
        self._seen.pop(user_key, None)

    async def purge(self, now: dt.datetime) -> int:
        before = len(self._counters) + len(self._seen) + len(self._verdicts)
        self._next_sweep = 0.0
        self._sweep(now.timestamp())
        return before - (len(self._counters) + len(self._seen) + len(self._verdicts))

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None
