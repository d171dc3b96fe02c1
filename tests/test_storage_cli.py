"""`pathways db upgrade`, `pathways db current` and `pathways purge`, run as an operator would, on SQLite and
PostgreSQL, against conversations written by the real service with old timestamps."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys

import asyncpg
import pytest

from bot.conversation.service import ConversationService
from bot.storage.migrate import head_revision
from bot.storage.sql import open_store
from bot.storage.sql_url import parse_database_url
from tests.conftest import ROOT

PATHWAYS = [sys.executable, "-m", "bot.cli"]
SECRET = "storage-cli-test-secret"
TABLES = ("conversation", "inbound_message", "opt_out", "metric_counter")


def pathways(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "RETENTION_DAYS"} | {"DATABASE_URL": database_url}
    return subprocess.run([*PATHWAYS, *args], cwd=ROOT, env=environment | env, capture_output=True, text=True,
                          timeout=120)


async def _sql(url: str, statement: str) -> list[tuple]:
    target = parse_database_url(url)
    if target.backend == "sqlite":
        with sqlite3.connect(target.sqlite_path) as conn:
            return conn.execute(statement).fetchall()
    conn = await asyncpg.connect(target.postgres_dsn)
    try:
        return [tuple(row) for row in await conn.fetch(statement)]
    finally:
        await conn.close()


def rows(url: str) -> dict[str, int]:
    return {table: asyncio.run(_sql(url, f"SELECT count(*) FROM {table}"))[0][0] for table in TABLES}


def conversation_keys(url: str) -> set[str]:
    return {row[0] for row in asyncio.run(_sql(url, "SELECT user_key FROM conversation"))}


@pytest.fixture
def pg_schema_url(pg_url: str) -> str:
    """A new, empty PostgreSQL schema (the shared `pg_url` fixture)."""
    return pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pathways.db'}"
    return request.getfixturevalue("pg_schema_url")


def seed(url: str, content, monkeypatch, ages: dict[str, dt.timedelta]) -> ConversationService:
    """Each sender sends one message, `age` ago (the store's clock is set back), through the real service."""
    moment = {"now": dt.datetime.now(dt.UTC)}
    monkeypatch.setattr("bot.storage.sql_sqlite._utcnow", lambda: moment["now"])
    monkeypatch.setattr("bot.storage.sql_postgres._utcnow", lambda: moment["now"])

    async def write() -> ConversationService:
        store = await open_store(url)
        service = ConversationService(content, store, SECRET)
        try:
            for sender, age in ages.items():
                moment["now"] = dt.datetime.now(dt.UTC) - age
                await service.handle("sms", sender, "hello", message_id=f"SM-{sender}")
            await store.set_opt_out(service.key("sms", "+447700900040"), True)
        finally:
            await store.close()
        return service

    return asyncio.run(write())


AGES = {
    "+447700900040": dt.timedelta(days=40),
    "+447700900010": dt.timedelta(days=10),
    "+447700900002": dt.timedelta(hours=2),
}


def test_db_upgrade_brings_an_empty_database_to_the_newest_schema_and_says_so(database_url):
    current = pathways("db", "current", database_url=database_url)
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == (f"nothing (an empty database); the newest is {head_revision()}: "
                                      "run `pathways db upgrade`")

    first = pathways("db", "upgrade", database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"Database schema upgraded: nothing (an empty database) -> {head_revision()} (newest)."
    assert rows(database_url) == dict.fromkeys(TABLES, 0)

    again = pathways("db", "upgrade", database_url=database_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"Database schema already at {head_revision()} (newest); nothing to do."
    assert pathways("db", "current", database_url=database_url).stdout.strip() == f"{head_revision()} (newest)"

    async def opens_without_migrating() -> None:  # PostgreSQL refuses a schema that is behind
        store = await open_store(database_url, auto_migrate=False)
        await store.close()

    asyncio.run(opens_without_migrating())


def test_purge_deletes_what_has_been_idle_longer_than_the_period_and_keeps_opt_outs(
        database_url, demo_content, monkeypatch):
    assert pathways("db", "upgrade", database_url=database_url).returncode == 0
    service = seed(database_url, demo_content, monkeypatch, AGES)
    key = {sender: service.key("sms", sender) for sender in AGES}
    before = rows(database_url)
    assert (before["conversation"], before["inbound_message"], before["opt_out"]) == (3, 3, 1)
    counters = asyncio.run(_sql(database_url, "SELECT name, label, count FROM metric_counter ORDER BY 1, 2"))

    result = pathways("purge", "--older-than", "30d", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Deleted 2 rows idle for more than 30 days."  # one conversation, one id
    assert conversation_keys(database_url) == {key["+447700900010"], key["+447700900002"]}
    assert rows(database_url)["inbound_message"] == 2

    result = pathways("purge", "--older-than", "12h", database_url=database_url)
    assert result.stdout.strip() == "Deleted 2 rows idle for more than 12 hours."
    assert conversation_keys(database_url) == {key["+447700900002"]}

    assert pathways("purge", "--older-than", "3h", database_url=database_url).stdout.strip() == (
        "Deleted 0 rows idle for more than 3 hours.")
    result = pathways("purge", "--older-than", "90m", database_url=database_url)
    assert result.stdout.strip() == "Deleted 2 rows idle for more than 90 minutes."

    after = rows(database_url)
    assert (after["conversation"], after["inbound_message"], after["opt_out"]) == (0, 0, 1)
    assert asyncio.run(_sql(database_url, "SELECT user_key FROM opt_out")) == [(key["+447700900040"],)]
    # The aggregate counters hold no user key and are not idle data: purge leaves them alone.
    assert asyncio.run(_sql(database_url, "SELECT name, label, count FROM metric_counter ORDER BY 1, 2")) == counters


def test_purge_defaults_to_retention_days(database_url, demo_content, monkeypatch):
    assert pathways("db", "upgrade", database_url=database_url).returncode == 0
    seed(database_url, demo_content, monkeypatch, AGES)

    result = pathways("purge", database_url=database_url, RETENTION_DAYS="41")
    assert result.stdout.strip() == "Deleted 0 rows idle for more than 41 days."
    result = pathways("purge", database_url=database_url, RETENTION_DAYS="39")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Deleted 2 rows idle for more than 39 days."
    assert rows(database_url)["conversation"] == 2
    # Without RETENTION_DAYS the default is 30 days: nothing else is that old.
    assert pathways("purge", database_url=database_url).stdout.strip() == "Deleted 0 rows idle for more than 30 days."


@pytest.mark.parametrize("duration", ["30x", "0d", ""])  # every form: tests/storage/test_retention.py
def test_a_malformed_duration_is_one_line_and_touches_nothing(duration, tmp_path):
    database = tmp_path / "pathways.db"
    result = pathways("purge", "--older-than", duration, database_url=f"sqlite:///{database}")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: --older-than: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not database.exists()


@pytest.mark.parametrize("command", [("db", "upgrade"), ("db", "current"), ("purge",), ("purge", "--older-than", "1d")])
def test_an_unreachable_postgres_is_one_line_and_exit_1(command, unreachable_postgres_url):
    result = pathways(*command, database_url=unreachable_postgres_url)
    assert result.returncode == 1
    assert result.stderr.startswith("error: PostgreSQL unreachable: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("command", [("db", "upgrade"), ("db", "current"), ("purge",)])
def test_an_unopenable_sqlite_file_is_one_line_and_exit_1(command, tmp_path):
    (tmp_path / "a-file").write_text("")
    result = pathways(*command, database_url=f"sqlite:///{tmp_path / 'a-file' / 'pathways.db'}")
    assert result.returncode == 1
    assert result.stderr == "error: SQLite database unavailable: unable to open database file\n"


def test_a_postgres_schema_that_was_never_migrated_is_refused_by_purge(pg_schema_url):
    result = pathways("purge", database_url=pg_schema_url)
    assert result.returncode == 1
    assert result.stderr.startswith("error: The database schema is at nothing") and result.stderr.count("\n") == 1
    assert rows_exist(pg_schema_url) is False


def rows_exist(url: str) -> bool:
    return bool(asyncio.run(_sql(url, "SELECT 1 FROM pg_tables WHERE schemaname = current_schema()")))


def test_an_invalid_database_url_is_one_line_and_exit_2():
    result = pathways("db", "upgrade", database_url="mysql://localhost/pathways")
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid configuration: DATABASE_URL: ") and result.stderr.count("\n") == 1


def test_stats_prints_the_aggregate_counters_and_nothing_else(database_url, shipped_content, shipped_searcher):
    async def converse() -> None:
        store = await open_store(database_url, auto_migrate=True)
        service = ConversationService(shipped_content, store, SECRET, searcher=shipped_searcher)
        try:
            for n, text in enumerate(["hi", "1", "1", "1", "14", "0", "no", "no", "1", "no",
                                      "Jane Doe 07700900123 what is coercive control"]):
                await service.handle("sms", "+447700900077", text, message_id=f"SM-stats-{n}")
        finally:
            await store.close()

    asyncio.run(converse())
    result = pathways("stats", "--json", database_url=database_url)
    assert result.returncode == 0, result.stderr
    counts = {(row["name"], row["label"]): row["count"] for row in json.loads(result.stdout)}
    assert counts[("messages", "sms")] == 11
    assert counts[("flow_started", "marac-referral")] == 1
    assert counts[("flow_ended", "marac-referral:refer_marac")] == 1
    assert counts[("personal_data_warning", "sms")] == 1
    text = pathways("stats", database_url=database_url).stdout
    assert "marac-referral:refer_marac" in text
    for secret in ("Jane", "07700900123", "7700900077", "coercive"):
        assert secret not in result.stdout + text


def test_stats_on_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = pathways("stats", database_url=url)
    assert result.returncode == 0 and "No counts yet." in result.stdout
