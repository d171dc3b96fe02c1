"""Stores to test: the in-memory reference, SQLite in a temporary file, PostgreSQL in a fresh schema.

PostgreSQL tests need PATHWAYS_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) and are
skipped without it. Each test gets its own schema (through search_path in the URL), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.storage import MemoryStore
from bot.storage.sql import open_store
from tests.conftest import Clock

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'pathways.db'}"


@pytest.fixture(params=BACKENDS)
def database_url(request) -> str:
    """An empty database of each SQL backend."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def sql_store(database_url: str):
    store = await open_store(database_url, auto_migrate=True)
    yield store
    await store.close()


@pytest.fixture(params=["memory", *BACKENDS])
def store_url(request) -> str:
    if request.param == "memory":
        return "memory"
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
async def store(store_url: str):
    """Every implementation of the store contract, the in-memory reference first."""
    if store_url == "memory":
        yield MemoryStore()
        return
    sql = await open_store(store_url, auto_migrate=True)
    yield sql
    await sql.close()


@pytest.fixture
def clock(monkeypatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr("bot.storage.memory._now", clock)
    monkeypatch.setattr("bot.storage.sql_sqlite._utcnow", clock)
    monkeypatch.setattr("bot.storage.sql_postgres._utcnow", clock)
    yield clock
