"""Migrations create the schema the models define, on an empty SQLite file or PostgreSQL schema."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from decisions import bump
from sqlalchemy import create_engine, pool

from bot.errors import StorageError, StorageUnavailable
from bot.storage.migrate import MIGRATIONS_DIR, alembic_config, head_revision, main, upgrade
from bot.storage.models import metadata
from bot.storage.sql import open_store
from bot.storage.sql_url import parse_database_url

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"alembic_version", "conversation", "inbound_message", "metric_counter", "opt_out"}
TABLES |= {"rate_limit"}  # bot.abuse: migration 0003
TABLES |= {"cohort", "cohort_participant", "cohort_answer", "cohort_finish"}  # bot.training: migration 0002


async def tables_and_revision(database_url: str) -> tuple[set[str], str | None]:
    target = parse_database_url(database_url)
    if target.backend == "sqlite":
        with sqlite3.connect(target.sqlite_path) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone() if tables else None
        return tables, revision[0] if revision else None
    conn = await asyncpg.connect(target.postgres_dsn)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = {row[0] for row in rows}
        revision = await conn.fetchval("SELECT version_num FROM alembic_version") if tables else None
    finally:
        await conn.close()
    return tables, revision


async def schema_differences(database_url: str) -> list:
    """What autogenerate would change to make the database match the models: nothing, if they agree."""

    def compare(connection) -> list:
        return compare_metadata(MigrationContext.configure(connection), metadata)

    target = parse_database_url(database_url)
    if target.backend == "sqlite":
        engine = create_engine(target.sqlalchemy_url, poolclass=pool.NullPool)
        with engine.connect() as connection:
            return compare(connection)
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(
        target.sqlalchemy_url, poolclass=pool.NullPool, async_creator=lambda: asyncpg.connect(target.postgres_dsn)
    )
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


async def test_upgrade_creates_the_schema_the_models_define(database_url):
    assert await tables_and_revision(database_url) == (set(), None)
    await asyncio.to_thread(upgrade, database_url)
    assert await tables_and_revision(database_url) == (TABLES, head_revision())
    assert await schema_differences(database_url) == []


async def test_upgrade_is_idempotent_and_downgrade_reverses_it(database_url):
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(upgrade, database_url)
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "base")
    assert await tables_and_revision(database_url) == ({"alembic_version"}, None)
    await asyncio.to_thread(upgrade, database_url)
    assert await tables_and_revision(database_url) == (TABLES, head_revision())


async def test_upgrade_called_inside_an_event_loop_still_works(database_url):
    upgrade(database_url)  # blocking, but must not trip over the running loop
    assert (await tables_and_revision(database_url))[1] == head_revision()


async def test_two_processes_migrating_an_empty_database_at_once_both_succeed(database_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.storage.migrate",
            database_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        for _ in range(2)
    ]
    for run in runs:
        out, err = await asyncio.wait_for(run.communicate(), timeout=120)
        assert run.returncode == 0, err.decode()
        assert head_revision() in out.decode()
    assert await tables_and_revision(database_url) == (TABLES, head_revision())


async def test_sqlite_store_sets_itself_up_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = await open_store()
    try:
        assert await store.turn("alice", "SM1", bump) == 1
    finally:
        await store.close()
    assert (tmp_path / "pathways.db").exists()


async def test_sqlite_store_refuses_a_missing_schema_when_told_not_to_migrate(sqlite_url):
    with pytest.raises(StorageError, match="empty database"):
        await open_store(sqlite_url, auto_migrate=False)


async def test_postgres_store_does_not_migrate_unless_asked(pg_url):
    with pytest.raises(StorageError, match=r"pathways db upgrade"):
        await open_store(pg_url)
    assert await tables_and_revision(pg_url) == (set(), None)
    store = await open_store(pg_url, auto_migrate=True)
    await store.close()
    store = await open_store(pg_url)  # migrated now: opens without being asked to migrate
    await store.close()


def test_upgrade_of_an_unreachable_database_is_unavailable(tmp_path, unreachable_postgres_url):
    with pytest.raises(StorageUnavailable):
        upgrade(unreachable_postgres_url)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StorageUnavailable):
        upgrade(f"sqlite:///{blocker / 'pathways.db'}")


def test_offline_mode_prints_the_sql(capsys):
    command.upgrade(alembic_config("postgresql://nobody@127.0.0.1/none"), "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE conversation" in sql
    assert "CREATE INDEX ix_inbound_message_user_key" in sql


def test_main_upgrades_the_database_given(tmp_path, capsys):
    assert main([f"sqlite:///{tmp_path / 'x.db'}"]) == 0
    assert head_revision() in capsys.readouterr().out


def test_migration_files_are_where_packaging_expects_them():
    # pyproject ships bot/storage/migrations/{*.ini, **/*.py, *.mako}; nothing else is needed at run time.
    shipped = {
        p.relative_to(MIGRATIONS_DIR).as_posix()
        for p in MIGRATIONS_DIR.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped >= {"alembic.ini", "env.py", "script.py.mako"}
    assert all(name.endswith((".ini", ".py", ".mako")) for name in shipped), shipped
    assert any(name.startswith("versions/") for name in shipped)
