"""The PostgreSQL conversation store: a raw asyncpg pool, one transaction and five round trips per turn.

The load also says whether the key opted out (SMS STOP), so the SMS channel needs no separate query.

A turn: BEGIN; record the message id and, only if it was new, take a transaction-scoped advisory lock on the
user key (one statement); load the conversation (a second statement, so its snapshot is taken after the
lock is held); save or delete; COMMIT. The advisory lock serialises turns for one key across every process,
including a user's very first turn, when there is no row yet for `SELECT … FOR UPDATE` to lock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg
from asyncpg.transaction import Transaction

from bot.errors import StorageError, StorageUnavailable
from bot.storage.base import DUPLICATE, OPTED_OUT, Decision, StoredConversation
from bot.storage.cohorts_postgres import UNLINK_PARTICIPANT, PostgresCohorts

__all__ = ["PostgresStore", "translate_postgres_error", "ping_pool", "close_pool"]

_RECORD_AND_LOCK = """
    WITH recorded AS (
        INSERT INTO inbound_message (message_id, user_key, received_at) VALUES ($1, $2, $3)
        ON CONFLICT (message_id) DO NOTHING
        RETURNING user_key
    )
    SELECT pg_advisory_xact_lock(hashtextextended(user_key, 0)) FROM recorded
"""
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))"
# Always one row: the conversation's columns (NULL when there is none) and whether the key opted out.
_LOAD = """
    SELECT c.state, c.updated_at, c.version, EXISTS (SELECT 1 FROM opt_out o WHERE o.user_key = $1)
    FROM (SELECT 1) AS one LEFT JOIN conversation c ON c.user_key = $1
"""
_SAVE = """
    INSERT INTO conversation (user_key, state, version, updated_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (user_key) DO UPDATE
    SET state = EXCLUDED.state, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
"""
_DELETE = "DELETE FROM conversation WHERE user_key = $1"
_PURGE = """
    WITH conversations AS (DELETE FROM conversation WHERE updated_at < $1 RETURNING 1),
         messages AS (DELETE FROM inbound_message WHERE received_at < $1 RETURNING 1)
    SELECT (SELECT count(*) FROM conversations) + (SELECT count(*) FROM messages)
"""
_COUNT = """
    INSERT INTO metric_counter (name, label, count) VALUES ($1, $2, $3)
    ON CONFLICT (name, label) DO UPDATE SET count = metric_counter.count + EXCLUDED.count
"""

# SQLSTATE classes a retry may cure: connection exception, insufficient resources, operator intervention
# (shutdown, crash), transaction rollback (deadlock, serialisation), system error (I/O).
_TRANSIENT_CLASSES = ("08", "53", "57", "40", "58")
_DB_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _dumps(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def translate_postgres_error(exc: BaseException) -> StorageError:
    """asyncpg and socket errors → the package's errors; unreachable, shut down or overloaded means unavailable."""
    if isinstance(exc, OSError):  # refused, unreachable, timed out (TimeoutError is an OSError)
        return StorageUnavailable(f"PostgreSQL unreachable: {exc.__class__.__name__}: {exc}")
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if sqlstate.startswith(_TRANSIENT_CLASSES):
        return StorageUnavailable(f"PostgreSQL unavailable ({sqlstate}): {exc}")
    if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
        return StorageUnavailable(f"PostgreSQL connection lost: {exc}")
    return StorageError(f"PostgreSQL error ({sqlstate or exc.__class__.__name__}): {exc}")


@asynccontextmanager
async def _translated(transaction: Transaction | None = None) -> AsyncIterator[None]:
    """Translate database errors, rolling back the transaction the failed statement belonged to."""
    try:
        yield
    except _DB_ERRORS as exc:
        if transaction is not None:
            await _rollback_quietly(transaction)
        raise translate_postgres_error(exc) from exc


async def _rollback_quietly(transaction: Transaction) -> None:
    # A dead connection cannot roll back; the server discards its transaction anyway.
    with suppress(*_DB_ERRORS):
        await transaction.rollback()


async def ping_pool(pool: asyncpg.Pool, timeout: float) -> bool:
    """True when the database answers within `timeout` seconds."""
    try:
        await pool.fetchval("SELECT 1", timeout=timeout)
    except _DB_ERRORS:
        return False
    return True


async def close_pool(pool: asyncpg.Pool, timeout: float) -> None:
    """Close gracefully, or terminate the connections if that takes longer than `timeout` seconds."""
    try:
        await asyncio.wait_for(pool.close(), timeout)
    except TimeoutError:
        pool.terminate()


async def _no_reset(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query; only a transaction left open (a cancelled turn) is rolled back."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class PostgresStore(PostgresCohorts):
    """A `ConversationStore` on PostgreSQL through an asyncpg pool."""

    _translate = staticmethod(_translated)

    def __init__(self, pool: asyncpg.Pool, *, timeout: float = 5.0) -> None:
        self._pool = pool
        self._timeout = timeout

    @classmethod
    async def connect(cls, dsn: str, *, pool_size: int = 10, timeout: float = 5.0) -> PostgresStore:
        """Open a pool (one connection at first, up to `pool_size`); raises StorageUnavailable if unreachable.

        `timeout` bounds connecting, waiting for a pooled connection and each statement.
        """
        async with _translated():
            pool = await asyncpg.create_pool(
                dsn,
                min_size=1,
                max_size=pool_size,
                timeout=timeout,
                command_timeout=timeout,
                # Name the connections for pg_stat_activity, unless the URL names them already.
                server_settings={} if "application_name=" in dsn else {"application_name": "pathways"},
                # The store holds no session state between uses (only transaction-scoped advisory locks, no
                # LISTEN, no SET), so the reset query asyncpg runs on every release is a wasted round trip.
                reset=_no_reset,
            )
        return cls(pool, timeout=timeout)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection. Only acquiring is translated here: the body's errors are its own."""
        async with _translated():
            conn = await self._pool.acquire(timeout=self._timeout)
        try:
            yield conn
        finally:
            # A connection that died mid-turn fails its reset; the pool has already dropped it.
            with suppress(*_DB_ERRORS):
                await self._pool.release(conn)

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database (its search_path) is at, or None for an empty one."""
        async with _translated(), self._connection() as conn:
            if await conn.fetchval("SELECT to_regclass('alembic_version')") is None:
                return None
            return await conn.fetchval("SELECT version_num FROM alembic_version")

    async def turn(self, user_key: str, message_id: str | None, decide: Decision, *,
                   unless_opted_out: bool = False) -> Any:
        async with self._connection() as conn:
            tx = conn.transaction()
            async with _translated(tx):
                await tx.start()
                if message_id is None:
                    await conn.execute(_LOCK, user_key)
                elif await conn.fetchrow(_RECORD_AND_LOCK, message_id, user_key, _utcnow()) is None:
                    await tx.rollback()
                    return DUPLICATE
                row = await conn.fetchrow(_LOAD, user_key)
                if unless_opted_out and row[3]:
                    await tx.rollback()  # nothing kept, not even the message id
                    return OPTED_OUT
            now = _utcnow()  # read once the lock is held, so it is never before the previous turn's
            try:  # the caller's code: its errors pass through untranslated, and nothing is kept
                stored = None if row[0] is None else StoredConversation(json.loads(row[0]), row[1], row[2])
                new_state, result = decide(stored, now)
                state_json = None if new_state is None else _dumps(new_state)
            except BaseException:
                await _rollback_quietly(tx)
                raise
            async with _translated(tx):
                if state_json is not None:
                    version = stored.version + 1 if stored else 1
                    await conn.execute(_SAVE, user_key, state_json, version, now)
                elif stored is not None:
                    await conn.execute(_DELETE, user_key)
                await tx.commit()
        return result

    async def erase(self, user_key: str) -> None:
        async with self._connection() as conn:
            tx = conn.transaction()
            async with _translated(tx):
                await tx.start()
                await conn.execute(_LOCK, user_key)  # wait for an in-flight turn rather than race it
                await conn.execute(_DELETE, user_key)
                await conn.execute("DELETE FROM inbound_message WHERE user_key = $1", user_key)
                await conn.execute(UNLINK_PARTICIPANT, user_key)
                await tx.commit()

    async def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
        cutoff = (now or _utcnow()) - older_than
        if cutoff.tzinfo is None:
            cutoff = cutoff.replace(tzinfo=dt.UTC)
        cohort_rows = await self.purge_cohorts(now or _utcnow())
        async with _translated():  # one statement, so one transaction; may be slow, so no short timeout
            return cohort_rows + await self._pool.fetchval(_PURGE, cutoff, timeout=max(self._timeout, 300.0))

    async def set_opt_out(self, user_key: str, opted_out: bool) -> None:
        async with _translated():
            if opted_out:
                await self._pool.execute(
                    "INSERT INTO opt_out (user_key, created_at) VALUES ($1, $2) ON CONFLICT (user_key) DO NOTHING",
                    user_key,
                    _utcnow(),
                )
            else:
                await self._pool.execute("DELETE FROM opt_out WHERE user_key = $1", user_key)

    async def is_opted_out(self, user_key: str) -> bool:
        async with _translated():
            return bool(await self._pool.fetchval("SELECT true FROM opt_out WHERE user_key = $1", user_key))

    async def count_event(self, name: str, label: str = "") -> None:
        async with _translated():
            await self._pool.execute(_COUNT, name, label, 1)

    async def count_events(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Add several counts in one transaction (sorted, so two instances flushing never deadlock)."""
        if not counts:
            return
        rows = sorted((name, label, n) for (name, label), n in counts.items())
        async with self._connection() as conn:
            tx = conn.transaction()
            async with _translated(tx):
                await tx.start()
                await conn.executemany(_COUNT, rows)
                await tx.commit()

    async def counters(self) -> dict[tuple[str, str], int]:
        async with _translated():
            rows = await self._pool.fetch("SELECT name, label, count FROM metric_counter")
        return {(name, label): count for name, label, count in rows}

    async def ping(self) -> bool:
        return await ping_pool(self._pool, self._timeout)

    async def close(self) -> None:
        await close_pool(self._pool, self._timeout)
