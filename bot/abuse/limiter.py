"""The rate limiter the channels call, and `open_limiter`, which picks its backend from the settings.

    limiter = await open_limiter(settings, store, on_limit=lambda name: metrics.limits.labels(name).inc())
    decision = await limiter.check(user_key, message_id=message_sid, sms=True)   # before the turn
    if decision.allowed: ... run the turn, render the reply ...
    await limiter.spend_segments(segments_sent)                                 # after rendering any SMS

`check` is one round trip to the backend. A refused message is not processed at all (it never reaches the
conversation store), and a retried webhook repeats its first verdict without counting again.

If the backend fails (Redis or PostgreSQL down), checks fail open: the message is allowed, a WARNING is
logged (at most once a minute) and `on_limit("limiter_unavailable")` is called. A helpline that goes silent
because its rate-limit store is down does more harm than a few unmetered messages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from bot.abuse.backend import LimitBackend
from bot.abuse.memory import MemoryLimitBackend
from bot.abuse.policy import (
    ALLOW,
    NEW_SMS_SENDERS,
    NOTICES,
    SENDER_RATE,
    SMS_SEGMENTS,
    UNAVAILABLE,
    Action,
    Decision,
    LimitPolicy,
)
from bot.errors import StorageError

__all__ = ["RateLimiter", "open_limiter", "policy_from_settings"]

log = logging.getLogger("pathways.abuse")

Clock = Callable[[], dt.datetime]
OnLimit = Callable[[str], None]

_UNAVAILABLE_LOG_EVERY = dt.timedelta(minutes=1)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RateLimiter:
    """Per-sender rate, hourly SMS segment cap and hourly new-SMS-sender cap, over one backend."""

    def __init__(self, backend: LimitBackend, policy: LimitPolicy | None = None, *,
                 on_limit: OnLimit | None = None, clock: Clock | None = None, fail_open: bool = True) -> None:
        self.backend = backend
        self.policy = policy or LimitPolicy()
        self._on_limit = on_limit
        self._clock = clock or _utcnow
        self._fail_open = fail_open
        self._unavailable_logged_at: dt.datetime | None = None
        self._pending_segments = 0

    @property
    def backend_name(self) -> str:
        return self.backend.name

    async def check(self, user_key: str, *, message_id: str | None = None, sms: bool = True) -> Decision:
        """Count one inbound message from `user_key` (the pseudonymous key, never a phone number).

        `message_id`: the provider's id (Twilio MessageSid), so a retry repeats the first verdict.
        `sms`: the reply goes out as paid SMS, so the segment cap and the new-sender cap apply too (False for
        Telegram and, if you choose, WhatsApp); the per-sender rate applies to every channel.
        """
        now = self._clock()
        try:
            decision = await self.backend.check(now, user_key, message_id, sms, self.policy)
        except StorageError as exc:
            return self._unavailable(now, exc)
        if decision.allowed or decision.replay:
            return decision
        self._report_refusal(decision)
        if decision.action is Action.NOTICE_THEN_DROP:
            return dataclasses.replace(decision, notice=NOTICES[decision.limit or ""])
        return decision

    async def spend_segments(self, segments: int) -> int:
        """Record outbound SMS segments (replies and notices alike); returns this hour's total.

        The spend that reaches the cap logs a WARNING and calls `on_limit("sms_segments")`; from then until
        the hour ends, `check` refuses new SMS. Returns -1 if the backend failed (logged, not raised).
        """
        if segments <= 0:
            return 0
        now = self._clock()
        try:
            total = await self.backend.spend_segments(now, segments, self.policy)
        except StorageError as exc:
            self._unavailable(now, exc)
            return -1
        cap = self.policy.sms_segments_per_hour
        if total - segments < cap <= total:
            log.warning("SMS segment cap reached: new SMS are refused until the hour ends",
                        extra={"limit": SMS_SEGMENTS, "cap": cap, "segments": total})
            self._notify(SMS_SEGMENTS)
        return total

    async def add_segments(self, segments: int) -> None:
        """Count a reply's segments: at once in memory; for a shared backend, batched until `flush_segments`
        (the server flushes every second), since the hourly total is one row or key every reply would hit."""
        if self.backend_name == "memory":
            await self.spend_segments(segments)
        else:
            self._pending_segments += segments

    async def flush_segments(self) -> None:
        """Spend the batched segments (a failure is logged by spend_segments, and those segments dropped)."""
        pending, self._pending_segments = self._pending_segments, 0
        if pending:
            await self.spend_segments(pending)

    async def forget(self, user_key: str) -> None:
        """Drop the user key's 'seen' mark (call it when the user says FORGET)."""
        await self.backend.forget(user_key)

    async def purge(self) -> int:
        """Delete expired entries (PostgreSQL also does this by itself every ten minutes)."""
        return await self.backend.purge(self._clock())

    async def ping(self) -> bool:
        return await self.backend.ping()

    async def close(self) -> None:
        await self.backend.close()

    def _report_refusal(self, decision: Decision) -> None:
        self._notify(decision.limit or "")
        first = decision.action is Action.NOTICE_THEN_DROP
        if decision.limit == NEW_SMS_SENDERS and first:
            log.warning("new SMS sender cap reached: unknown numbers are ignored until the hour ends",
                        extra={"limit": NEW_SMS_SENDERS, "cap": self.policy.new_sms_senders_per_hour})
        elif first:
            log.info("limit reached: one notice sent, then silence", extra={"limit": decision.limit})
        else:
            log.debug("message dropped by limit", extra={"limit": decision.limit})

    def _notify(self, name: str) -> None:
        if self._on_limit is None:
            return
        try:
            self._on_limit(name)
        except Exception:  # a metrics failure must not refuse or break a message
            log.exception("on_limit callback failed", extra={"limit": name})

    def _unavailable(self, now: dt.datetime, exc: StorageError) -> Decision:
        if not self._fail_open:
            raise exc
        self._notify(UNAVAILABLE)
        last = self._unavailable_logged_at
        if last is None or now - last >= _UNAVAILABLE_LOG_EVERY or now < last:
            self._unavailable_logged_at = now
            log.warning("rate-limit backend unavailable: allowing messages unmetered",
                        extra={"backend": self.backend.name, "error": exc.__class__.__name__})
        return ALLOW


def policy_from_settings(settings: Any) -> LimitPolicy:
    """RATE_LIMIT_PER_MINUTE, SMS_SEGMENTS_PER_HOUR, NEW_SMS_SENDERS_PER_HOUR; 'seen' lasts RETENTION_DAYS."""
    return LimitPolicy(
        sender_per_minute=settings.rate_limit_per_minute,
        sms_segments_per_hour=settings.sms_segments_per_hour,
        new_sms_senders_per_hour=settings.new_sms_senders_per_hour,
        known_sender_days=settings.retention_days,
    )


async def open_limiter(settings: Any, store: Any = None, *, on_limit: OnLimit | None = None,
                       clock: Clock | None = None, key_prefix: str | None = None,
                       fail_open: bool = True) -> RateLimiter:
    """The limiter for this deployment: REDIS_URL set → Redis; a PostgreSQL DATABASE_URL → PostgreSQL (the
    `rate_limit` table, sharing `store`'s connection pool when it is the PostgreSQL store); else in-process
    memory (SQLite, one process).

    `on_limit(name)` is called for every message a limit refuses and when the segment cap is reached (wire it
    to `ServerMetrics.limits.labels(name).inc()`). `key_prefix`: Redis key prefix (tests use their own).
    """
    policy = policy_from_settings(settings)
    backend: LimitBackend
    if settings.redis_url:
        from bot.abuse.redis_limits import DEFAULT_PREFIX, RedisLimitBackend

        backend = RedisLimitBackend.connect(settings.redis_url, prefix=key_prefix or DEFAULT_PREFIX)
    elif settings.database_url.startswith(("postgresql", "postgres://")):
        from bot.abuse.postgres_limits import PostgresLimitBackend
        from bot.storage.sql_url import parse_database_url

        pool = _postgres_pool_of(store)
        dsn = None if pool is not None else parse_database_url(settings.database_url).postgres_dsn
        backend = await PostgresLimitBackend.connect(dsn, pool=pool)
    else:
        backend = MemoryLimitBackend()
    limiter = RateLimiter(backend, policy, on_limit=on_limit, clock=clock, fail_open=fail_open)
    log.info("rate limits ready", extra={"backend": backend.name, SENDER_RATE: policy.sender_per_minute,
                                         SMS_SEGMENTS: policy.sms_segments_per_hour,
                                         NEW_SMS_SENDERS: policy.new_sms_senders_per_hour})
    return limiter


def _postgres_pool_of(store: Any) -> Any:
    """The conversation store's asyncpg pool, when `store` is the PostgreSQL store (one pool per process)."""
    if store is None:
        return None
    from bot.storage.sql_postgres import PostgresStore

    if not isinstance(store, PostgresStore):
        return None
    # PostgresStore has no public accessor for its pool yet; a `pool` property, when added, is preferred.
    return getattr(store, "pool", None) or store._pool
