"""Open the SQL conversation store named by a database URL: SQLite (the default) or PostgreSQL.

Each backend is written for the SMS hot path (see the perf notes): raw SQL, one transaction per turn, no ORM
objects. The schema is defined once, in `bot.storage.models`, and created by the Alembic migrations.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.errors import StorageError
from bot.storage.base import ConversationStore
from bot.storage.migrate import head_revision, upgrade
from bot.storage.sql_url import parse_database_url

if TYPE_CHECKING:  # each backend's driver is imported only when its URL is used
    from bot.storage.sql_postgres import PostgresStore
    from bot.storage.sql_sqlite import SqliteStore

__all__ = ["DEFAULT_DATABASE_URL", "open_store"]

DEFAULT_DATABASE_URL = "sqlite:///pathways.db"


async def open_store(
    database_url: str = DEFAULT_DATABASE_URL,
    *,
    auto_migrate: bool | None = None,
    pool_size: int = 10,
    timeout: float = 5.0,
) -> ConversationStore:
    """Connect, check the schema is at the newest migration, and return the store.

    `auto_migrate`: run the migrations when the schema is missing or behind. Default: yes for SQLite (zero
    set-up), no for PostgreSQL, where a missing schema is reported (StorageError) with the command to run.
    `pool_size`: PostgreSQL connections at most (SQLite uses one). `timeout`: seconds to wait for the
    database (SQLite's lock; PostgreSQL's connect, pool and statements) before StorageUnavailable.
    """
    target = parse_database_url(database_url)
    store: SqliteStore | PostgresStore
    if target.backend == "sqlite":
        from bot.storage.sql_sqlite import SqliteStore

        store = SqliteStore.connect(target.sqlite_path, busy_timeout=timeout)
        migrate = True if auto_migrate is None else auto_migrate
    else:
        from bot.storage.sql_postgres import PostgresStore

        store = await PostgresStore.connect(target.postgres_dsn, pool_size=pool_size, timeout=timeout)
        migrate = bool(auto_migrate)
    try:
        current = await store.schema_revision()
        if current != head_revision():
            if not migrate:
                raise StorageError(
                    f"The database schema is at {current or 'nothing (an empty database)'}; this version needs "
                    f"{head_revision()}. Run `pathways db upgrade` (uses DATABASE_URL), or open the "
                    "store with auto_migrate=True."
                )
            await asyncio.to_thread(upgrade, database_url)
    except BaseException:
        await store.close()
        raise
    return store
