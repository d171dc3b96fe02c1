"""Shared fixtures: the demo content (every node kind) and the shipped content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.content.library import load_content
from bot.testing import TestBot

ROOT = Path(__file__).resolve().parents[1]
DEMO = Path(__file__).parent / "fixtures" / "demo"


@pytest.fixture(scope="session")
def demo_content():
    content = load_content(DEMO)
    assert not content.errors, [str(p) for p in content.errors]
    return content


@pytest.fixture
def demo_bot(demo_content):
    bot = TestBot(demo_content)
    yield bot
    bot.close()


@pytest.fixture(scope="session")
def shipped_content():
    return load_content(ROOT)


@pytest.fixture
def postgres_url():
    url = os.environ.get("PATHWAYS_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PATHWAYS_TEST_POSTGRES_URL is not set: no PostgreSQL to test against")
    return url


def with_query(url: str, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def run_sql(url: str, *statements: str) -> None:
    """Run statements on their own short-lived connection and event loop (usable from sync fixtures)."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def pg_url(postgres_url: str):
    """A URL whose connections use a new, empty schema; also names them, so a test can find its backends.

    Synchronous (its own short event loop) so parametrised fixtures can pick it with getfixturevalue.
    """
    import uuid

    name = f"pathways_test_{uuid.uuid4().hex[:12]}"
    run_sql(postgres_url, f'CREATE SCHEMA "{name}"')
    yield with_query(postgres_url, search_path=name, application_name=name)
    run_sql(
        postgres_url,
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'",
        f'DROP SCHEMA "{name}" CASCADE',
    )


@pytest.fixture(scope="session")
def shipped_searcher(shipped_content):
    try:
        from bot.search import SearchIndex
    except ImportError:
        return None
    return SearchIndex.build(shipped_content)


@pytest.fixture
def unreachable_postgres_url() -> str:
    """A PostgreSQL URL on a local port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/test"


class Clock:
    """A settable "now" for stores and limiters under test; starts on the hour."""

    def __init__(self) -> None:
        import datetime as dt

        self.now = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)

    def __call__(self):
        return self.now

    def advance(self, **delta: float) -> None:
        import datetime as dt

        self.now += dt.timedelta(**delta)
