"""The SQLite conversation store: stdlib sqlite3 on the event loop, one short write transaction per turn.

An SQLite write takes microseconds, so handing each statement to a thread (aiosqlite) costs more than the
write itself, and extra connections only queue on SQLite's single writer (see the perf notes). So one
connection is used directly from the event loop, in WAL mode with synchronous=NORMAL. A turn never awaits
between BEGIN and COMMIT, which serialises turns within the process; other processes writing the same file
are serialised by BEGIN IMMEDIATE and wait up to the busy timeout (blocking the loop meanwhile: the price of
this design, hence a short timeout).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

from bot.errors import StorageError, StorageUnavailable
from bot.storage.base import DUPLICATE, OPTED_OUT, Decision, StoredConversation
from bot.storage.cohorts_sqlite import UNLINK_PARTICIPANT, SqliteCohorts

__all__ = ["SqliteStore", "translate_sqlite_error"]

# SQLAlchemy's text format for DateTime columns on SQLite; values here are always UTC. Fixed width, so
# comparing the text compares the times (purge relies on it).
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

_RECORD_MESSAGE = (
    "INSERT INTO inbound_message (message_id, user_key, received_at) VALUES (?, ?, ?) "
    "ON CONFLICT (message_id) DO NOTHING"
)
# Always one row: the conversation's columns (NULL when there is none) and whether the key opted out.
_LOAD = (
    "SELECT c.state, c.updated_at, c.version, EXISTS (SELECT 1 FROM opt_out o WHERE o.user_key = ?1) "
    "FROM (SELECT 1) AS one LEFT JOIN conversation c ON c.user_key = ?1"
)
_SAVE = (
    "INSERT INTO conversation (user_key, state, version, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (user_key) DO UPDATE SET "
    "state = excluded.state, version = excluded.version, updated_at = excluded.updated_at"
)
_DELETE = "DELETE FROM conversation WHERE user_key = ?"
_COUNT = (
    "INSERT INTO metric_counter (name, label, count) VALUES (?, ?, ?) "
    "ON CONFLICT (name, label) DO UPDATE SET count = metric_counter.count + excluded.count"
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _to_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None:  # naive times are taken as UTC, like everything stored
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime(_TIME_FORMAT)


def _from_text(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def _dumps(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def translate_sqlite_error(exc: BaseException) -> StorageError:
    """sqlite3 (and OS) errors → the package's errors; locked, unopenable or read-only means unavailable."""
    if isinstance(exc, sqlite3.OperationalError | OSError):
        return StorageUnavailable(f"SQLite database unavailable: {exc}")
    return StorageError(f"SQLite error: {exc}")


class SqliteStore(SqliteCohorts):
    """A `ConversationStore` on one SQLite file."""

    _time_text = staticmethod(_to_text)
    _time_of = staticmethod(_from_text)

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection

    @classmethod
    def connect(cls, path: str, *, busy_timeout: float = 5.0) -> SqliteStore:
        """Open (creating if need be) the file and set the pragmas; raises StorageUnavailable if it can't."""
        conn = None
        try:
            # isolation_level=None: no implicit transactions; each turn issues its own BEGIN IMMEDIATE.
            # check_same_thread=False: the store is used only from the event loop, but may be closed elsewhere.
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()
            raise translate_sqlite_error(exc) from exc
        return cls(conn)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """Translate database errors, rolling back whatever the failed statement left open."""
        try:
            yield self._conn
        except sqlite3.Error as exc:
            self._rollback_quietly()
            raise translate_sqlite_error(exc) from exc

    def _rollback_quietly(self) -> None:
        with suppress(sqlite3.Error):
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

    async def schema_revision(self) -> str | None:
        """The Alembic revision the file is at, or None for an empty database."""
        with self._db() as db:
            exists = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            row = db.execute("SELECT version_num FROM alembic_version").fetchone() if exists else None
        return row[0] if row else None

    async def turn(self, user_key: str, message_id: str | None, decide: Decision, *,
                   unless_opted_out: bool = False) -> Any:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            now = _utcnow()  # read once the lock is held, so it is never before the previous turn's
            row = db.execute(_LOAD, (user_key,)).fetchone()
            if unless_opted_out and row[3]:
                db.execute("ROLLBACK")
                return OPTED_OUT
            if message_id is not None:
                if db.execute(_RECORD_MESSAGE, (message_id, user_key, _to_text(now))).rowcount == 0:
                    db.execute("ROLLBACK")
                    return DUPLICATE
        try:  # the caller's code: its errors pass through untranslated, and nothing is kept
            stored = (None if row[0] is None
                      else StoredConversation(json.loads(row[0]), _from_text(row[1]), row[2]))
            new_state, result = decide(stored, now)
            state_json = None if new_state is None else _dumps(new_state)
        except BaseException:
            self._rollback_quietly()
            raise
        with self._db() as db:
            if state_json is not None:
                version = stored.version + 1 if stored else 1
                db.execute(_SAVE, (user_key, state_json, version, _to_text(now)))
            elif stored is not None:
                db.execute(_DELETE, (user_key,))
            db.execute("COMMIT")
        return result

    async def erase(self, user_key: str) -> None:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute(_DELETE, (user_key,))
            db.execute("DELETE FROM inbound_message WHERE user_key = ?", (user_key,))
            db.execute(UNLINK_PARTICIPANT, (user_key,))
            db.execute("COMMIT")

    async def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
        cohort_rows = await self.purge_cohorts(now or _utcnow())
        cutoff = _to_text((now or _utcnow()) - older_than)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            deleted = db.execute("DELETE FROM conversation WHERE updated_at < ?", (cutoff,)).rowcount
            deleted += db.execute("DELETE FROM inbound_message WHERE received_at < ?", (cutoff,)).rowcount
            db.execute("COMMIT")
        return deleted + cohort_rows

    async def set_opt_out(self, user_key: str, opted_out: bool) -> None:
        with self._db() as db:
            if opted_out:
                db.execute(
                    "INSERT INTO opt_out (user_key, created_at) VALUES (?, ?) ON CONFLICT (user_key) DO NOTHING",
                    (user_key, _to_text(_utcnow())),
                )
            else:
                db.execute("DELETE FROM opt_out WHERE user_key = ?", (user_key,))

    async def is_opted_out(self, user_key: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM opt_out WHERE user_key = ?", (user_key,)).fetchone() is not None

    async def count_event(self, name: str, label: str = "") -> None:
        with self._db() as db:
            db.execute(_COUNT, (name, label, 1))

    async def count_events(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Add several counts in one transaction."""
        if counts:
            with self._db() as db:
                db.executemany(_COUNT, [(name, label, n) for (name, label), n in counts.items()])

    async def counters(self) -> dict[tuple[str, str], int]:
        with self._db() as db:
            rows = db.execute("SELECT name, label, count FROM metric_counter").fetchall()
        return {(name, label): count for name, label, count in rows}

    async def ping(self) -> bool:
        try:
            self._conn.execute("SELECT count(*) FROM alembic_version").fetchone()
        except sqlite3.Error:
            return False
        return True

    async def close(self) -> None:
        self._conn.close()
