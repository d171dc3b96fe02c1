"""The PostgreSQL limit backend: every check is one call of the `pathways_limit_check` function.

The function (created by migration 0003, with the `rate_limit` table) applies the rules in one statement,
so one round trip and one transaction; counters are single rows updated by `INSERT … ON CONFLICT DO
UPDATE`, which serialises concurrent checks from every instance on the row's lock. Rows carry an
`expires_at`; expired ones are deleted by `purge`, which the backend also runs by itself in the background
every ten minutes.

Buckets (rows): sender:<user key>, segments, segment_notice:<user key>, new_senders, seen:<user key>,
verdict:<message id>. A counter row holds its current window's start; a newer window restarts it at zero.
A sender's 'seen' mark is renewed at most once an hour (so it may end up to an hour sooner than in the other
backends), which spares a write on most messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from contextlib import suppress

import asyncpg

from bot.abuse.policy import Decision, LimitPolicy, decision_from_verdict, window_start
from bot.errors import StorageError
from bot.storage.sql_postgres import close_pool, ping_pool, translate_postgres_error

__all__ = ["PostgresLimitBackend"]

log = logging.getLogger("pathways.abuse")

_CHECK = "SELECT verdict, limit_name FROM pathways_limit_check($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
_SPEND = "SELECT pathways_limit_count('segments', $1, $2, $3)"
_FORGET = "DELETE FROM rate_limit WHERE bucket = 'seen:' || $1"
_PURGE = "DELETE FROM rate_limit WHERE expires_at < $1"
_PURGE_EVERY = dt.timedelta(minutes=10)
_WINDOW_SLACK = dt.timedelta(seconds=60)
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)


class PostgresLimitBackend:
    """Limits shared by every instance through the `rate_limit` table."""

    name = "postgresql"

    def __init__(self, pool: asyncpg.Pool, *, owns_pool: bool, timeout: float = 5.0) -> None:
        self._pool = pool
        self._owns_pool = owns_pool
        self._timeout = timeout
        self._next_purge: dt.datetime | None = None
        self._purging: asyncio.Task[int] | None = None

    @classmethod
    async def connect(cls, dsn: str | None = None, *, pool: asyncpg.Pool | None = None, pool_size: int = 5,
                      timeout: float = 5.0) -> PostgresLimitBackend:
        """Use `pool` (shared with the conversation store) or open a small one; check the schema is there."""
        owns_pool = pool is None
        try:
            if pool is None:
                pool = await asyncpg.create_pool(
                    dsn, min_size=1, max_size=pool_size, timeout=timeout, command_timeout=timeout,
                    server_settings={} if dsn and "application_name=" in dsn else {"application_name": "pathways"},
                )
            installed = await pool.fetchval("SELECT to_regproc('pathways_limit_check') IS NOT NULL")
        except _DB_ERRORS as exc:
            if owns_pool and pool is not None:
                pool.terminate()
            raise translate_postgres_error(exc) from exc
        backend = cls(pool, owns_pool=owns_pool, timeout=timeout)
        if not installed:
            await backend.close()
            raise StorageError(
                "The database has no rate-limit table and function (migration 0003). Run `pathways db upgrade` "
                "or `python -m bot.storage.migrate`."
            )
        return backend

    async def check(self, now: dt.datetime, user_key: str, message_id: str | None, sms: bool,
                    policy: LimitPolicy) -> Decision:
        self._maybe_purge(now)
        try:
            verdict, detail = await self._pool.fetchrow(
                _CHECK, now, user_key, message_id, sms, policy.sender_per_minute, policy.sender_window_seconds,
                policy.sms_segments_per_hour, policy.new_sms_senders_per_hour, policy.global_window_seconds,
                policy.known_sender_seconds, policy.replay_seconds,
            )
        except _DB_ERRORS as exc:
            raise translate_postgres_error(exc) from exc
        return decision_from_verdict(verdict, detail)

    async def spend_segments(self, now: dt.datetime, segments: int, policy: LimitPolicy) -> int:
        hour = window_start(now, policy.global_window_seconds)
        expires = hour + dt.timedelta(seconds=policy.global_window_seconds) + _WINDOW_SLACK
        try:
            return await self._pool.fetchval(_SPEND, hour, segments, expires)
        except _DB_ERRORS as exc:
            raise translate_postgres_error(exc) from exc

    async def forget(self, user_key: str) -> None:
        try:
            await self._pool.execute(_FORGET, user_key)
        except _DB_ERRORS as exc:
            raise translate_postgres_error(exc) from exc

    async def purge(self, now: dt.datetime) -> int:
        try:
            status = await self._pool.execute(_PURGE, now, timeout=max(self._timeout, 60.0))
        except _DB_ERRORS as exc:
            raise translate_postgres_error(exc) from exc
        return int(status.split()[-1])  # "DELETE 12"

    def _maybe_purge(self, now: dt.datetime) -> None:
        """Start a background purge when the last one was long enough ago; never on the check's path."""
        if self._next_purge is not None and now < self._next_purge:
            return
        if self._purging is not None and not self._purging.done():
            return
        self._next_purge = now + _PURGE_EVERY
        self._purging = asyncio.get_running_loop().create_task(self._purge_quietly(now))

    async def _purge_quietly(self, now: dt.datetime) -> int:
        try:
            return await self.purge(now)
        except StorageError as exc:
            log.warning("rate-limit purge failed", extra={"error": exc.__class__.__name__})
            return 0

    async def ping(self) -> bool:
        return await ping_pool(self._pool, self._timeout)

    async def close(self) -> None:
        if self._purging is not None:
            with suppress(asyncio.CancelledError):
                await self._purging
        if self._owns_pool:
            await close_pool(self._pool, self._timeout)
