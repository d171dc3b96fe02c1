"""Database failures surface as StorageUnavailable (answer 503, the provider retries) and leave nothing half-written."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import asyncpg
import pytest
from decisions import bump, peek

from bot.errors import StorageError, StorageUnavailable
from bot.storage.sql import open_store
from bot.storage.sql_postgres import translate_postgres_error
from bot.storage.sql_sqlite import translate_sqlite_error


async def test_postgres_on_a_closed_port_is_unavailable(unreachable_postgres_url):
    with pytest.raises(StorageUnavailable, match="PostgreSQL unreachable"):
        await open_store(unreachable_postgres_url, timeout=2)


async def test_an_unknown_postgres_database_is_a_storage_error_not_a_retry(postgres_url):
    url = postgres_url.rsplit("/", 1)[0] + "/pathways_no_such_database"
    with pytest.raises(StorageError) as raised:
        await open_store(url)
    assert not isinstance(raised.value, StorageUnavailable)


async def test_an_unopenable_sqlite_path_is_unavailable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StorageUnavailable, match="unable to open"):
        await open_store(f"sqlite:///{blocker / 'pathways.db'}")


async def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not an sqlite file, just some bytes " * 100)
    with pytest.raises(StorageError, match="not a database") as raised:
        await open_store(f"sqlite:///{junk}")
    assert not isinstance(raised.value, StorageUnavailable)


async def test_sqlite_locked_by_another_writer_is_unavailable_and_writes_nothing(sqlite_url, tmp_path):
    store = await open_store(sqlite_url, timeout=0.05)
    other = sqlite3.connect(tmp_path / "pathways.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageUnavailable, match="locked"):
            await store.turn("alice", "SM1", bump)
        other.execute("ROLLBACK")
        assert await store.turn("alice", "SM1", bump) == 1  # the retry is not taken for a duplicate
    finally:
        other.close()
        await store.close()


async def test_postgres_connection_lost_mid_turn_is_unavailable_and_writes_nothing(pg_url):
    store = await open_store(pg_url, auto_migrate=True)
    application_name = pg_url.rsplit("application_name=", 1)[1]
    await store.turn("alice", "SM1", bump)

    def kill_my_connections() -> None:
        async def kill() -> None:
            conn = await asyncpg.connect(pg_url.replace(application_name, "killer"))
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                application_name,
            )
            await conn.close()

        # decide is synchronous and the store's loop is busy running it: kill from another thread.
        thread = threading.Thread(target=asyncio.run, args=(kill(),))
        thread.start()
        thread.join()

    def bump_while_the_server_goes_away(stored, now):
        kill_my_connections()
        return bump(stored, now)

    try:
        with pytest.raises(StorageUnavailable):
            await store.turn("alice", "SM2", bump_while_the_server_goes_away)
        # The pool reconnects; the retried message is new and sees the state before it.
        assert await store.turn("alice", "SM2", bump) == 2
        assert (await store.turn("alice", "SM3", peek)).version == 2
    finally:
        await store.close()


async def test_a_closed_store_fails_and_does_not_answer_ping(sql_store):
    await sql_store.close()
    assert await sql_store.ping() is False
    with pytest.raises(StorageError):
        await sql_store.turn("alice", "SM1", bump)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("disk I/O error"), True),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), False),
        (sqlite3.DatabaseError("file is not a database"), False),
    ],
)
def test_sqlite_errors_translate(error, unavailable):
    assert isinstance(translate_sqlite_error(error), StorageUnavailable) is unavailable


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (TimeoutError(), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle of operation"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.exceptions.TooManyConnectionsError("too many clients"), True),
        (asyncpg.exceptions.DeadlockDetectedError("deadlock"), True),
        (asyncpg.exceptions.UniqueViolationError("duplicate key"), False),
        (asyncpg.exceptions.UndefinedTableError("no such table"), False),
        (asyncpg.exceptions.InvalidCatalogNameError("no such database"), False),
    ],
)
def test_postgres_errors_translate(error, unavailable):
    translated = translate_postgres_error(error)
    assert isinstance(translated, StorageError)
    assert isinstance(translated, StorageUnavailable) is unavailable
