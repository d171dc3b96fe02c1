"""Bring a database to the newest schema with Alembic.

`open_store` calls `upgrade` by itself for SQLite (zero set-up) and, for PostgreSQL, only when asked to
(`auto_migrate=True`); otherwise run `python -m bot.storage.migrate [DATABASE_URL]` when deploying.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.exc import DBAPIError

from bot.errors import StorageError
from bot.storage.sql_url import DatabaseUrl, parse_database_url

__all__ = ["MIGRATIONS_DIR", "alembic_config", "head_revision", "upgrade", "main"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Alembic keeps the running migration in module globals: one at a time per process.
_alembic_lock = threading.Lock()


def alembic_config(database_url: str) -> Config:
    """The Alembic configuration for this database (the URL travels as an attribute, never into the ini)."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.attributes["database"] = parse_database_url(database_url)
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(Config(str(MIGRATIONS_DIR / "alembic.ini"))).get_current_head()
    assert head is not None, "bot/storage/migrations/versions holds no migration"
    return head


def upgrade(database_url: str, revision: str = "head") -> None:
    """Run the migrations up to `revision`; raises StorageUnavailable if the database can't be reached.

    Blocking. Called from inside an event loop, it runs in a worker thread (the PostgreSQL migration runs
    its own loop), still blocking the caller: from async code prefer `await asyncio.to_thread(upgrade, url)`.
    """
    config = alembic_config(database_url)
    target: DatabaseUrl = config.attributes["database"]
    try:
        _outside_event_loop(_locked_upgrade, config, revision)
    except DBAPIError as exc:
        raise _translate(target, getattr(exc.orig, "__cause__", None) or exc.orig or exc) from exc
    except (OSError, sqlite3.Error) as exc:
        raise _translate(target, exc) from exc
    except CommandError as exc:
        raise StorageError(f"Migration failed: {exc}") from exc
    except Exception as exc:
        if target.backend == "postgresql" and _is_asyncpg_error(exc):
            raise _translate(target, exc) from exc
        raise


def _locked_upgrade(config: Config, revision: str) -> None:
    with _alembic_lock:
        command.upgrade(config, revision)


def _outside_event_loop(function: Callable[..., Any], *args: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pathways-migrate") as worker:
        return worker.submit(function, *args).result()


def _is_asyncpg_error(exc: BaseException) -> bool:
    import asyncpg

    return isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError)


def _translate(target: DatabaseUrl, exc: BaseException) -> StorageError:
    if target.backend == "sqlite":
        from bot.storage.sql_sqlite import translate_sqlite_error

        return translate_sqlite_error(exc)
    from bot.storage.sql_postgres import translate_postgres_error

    return translate_postgres_error(exc)


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.storage.migrate [DATABASE_URL]`: upgrade the given database, or the configured one."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        database_url = args[0]
    else:
        from bot.settings import load_settings

        database_url = load_settings().database_url
    upgrade(database_url)
    print(f"Database schema is at {head_revision()} (newest).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
