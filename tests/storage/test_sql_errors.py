"""Database failures surface as StorageUnavailable (answer 503, the provider retries) and leave nothing half-written:
in the store, and end to end through the conversation service."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import asyncpg
import pytest
from decisions import bump, peek
from plug import Plug

from bot.conversation.service import ConversationService
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


# --- The conversation service when the database goes away -------------------------------------------------
# ConversationService.handle raises StorageUnavailable (the webhook answers 503 and the provider retries the
# same message id), and the retry finds the conversation exactly as it was: the same reply and the same state
# as a conversation that never saw the outage.

SECRET = "service-outage-test-secret"
SENDER, CONTROL = "+447700900123", "+447700900456"


class NoResults:
    hits: list = []
    confident = False
    did_you_mean = None


class Searcher:
    """Finds nothing. With `pull_first`, loses the database first: an outage in the middle of a turn."""

    def __init__(self) -> None:
        self.pull_first = None

    def search(self, query, k=3, role=None):
        if self.pull_first is not None:
            self.pull_first()
        return NoResults()


class Outage:
    """Takes a database away and brings it back: PostgreSQL behind a pulled cable, SQLite under another
    process's write lock."""

    def __init__(self, backend: str, url: str, tmp_path) -> None:
        self.backend, self.direct_url = backend, url
        self.plug = Plug(url) if backend == "postgresql" else None
        self.url = self.plug.url if self.plug else url
        self._other = None
        self._path = tmp_path / "pathways.db"

    def start(self) -> None:
        if self.plug:
            self.plug.pull()
        else:
            self._other = sqlite3.connect(self._path, isolation_level=None)
            self._other.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        if self.plug:
            self.plug.push()
        elif self._other is not None:
            if self._other.in_transaction:
                self._other.execute("ROLLBACK")
            self._other.close()
            self._other = None

    def close(self) -> None:
        self.end()
        if self.plug:
            self.plug.close()

    async def snapshot(self, key: str) -> tuple:
        """Everything stored, read past the outage: the user's row and message ids, and the counters."""
        conversation = "SELECT state, version, updated_at FROM conversation WHERE user_key = {}"
        message_ids = "SELECT message_id FROM inbound_message WHERE user_key = {} ORDER BY 1"
        counters = "SELECT name, label, count FROM metric_counter ORDER BY 1, 2"
        if self.backend == "sqlite":
            with sqlite3.connect(self._path) as conn:
                return (conn.execute(conversation.format("?"), (key,)).fetchall(),
                        conn.execute(message_ids.format("?"), (key,)).fetchall(),
                        conn.execute(counters).fetchall())
        conn = await asyncpg.connect(self.direct_url)
        try:
            return ([tuple(r) for r in await conn.fetch(conversation.format("$1"), key)],
                    [tuple(r) for r in await conn.fetch(message_ids.format("$1"), key)],
                    [tuple(r) for r in await conn.fetch(counters)])
        finally:
            await conn.close()


@pytest.fixture
def outage(database_url, tmp_path):
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    outage = Outage(backend, database_url, tmp_path)
    yield outage
    outage.close()


@pytest.fixture
async def service(outage, demo_content):
    store = await open_store(outage.url, auto_migrate=True, timeout=1)
    yield ConversationService(demo_content, store, SECRET, searcher=Searcher())
    await store.close()


def said(reply) -> list[tuple[str, str]]:
    return [(m.kind, m.text) for m in reply.messages]


async def state_of(outage: Outage, service: ConversationService, sender: str):
    rows = (await outage.snapshot(service.key("sms", sender)))[0]
    return json.loads(rows[0][0]) if rows else None


async def test_the_service_raises_unavailable_while_the_database_is_down_and_the_retry_finds_it_untouched(
        outage, service):
    for sender in (SENDER, CONTROL):
        await service.handle("sms", sender, "hello", message_id=f"{sender}-1")
        await service.handle("sms", sender, "1", message_id=f"{sender}-2")  # into the demo flow
    control = await service.handle("sms", CONTROL, "2", message_id=f"{CONTROL}-3")
    key = service.key("sms", SENDER)
    before = await outage.snapshot(key)

    outage.start()
    with pytest.raises(StorageUnavailable):
        await service.handle("sms", SENDER, "2", message_id=f"{SENDER}-3")
    with pytest.raises(StorageUnavailable):
        await service.handle("sms", SENDER, "FORGET", message_id=f"{SENDER}-4")
    outage.end()

    assert await outage.snapshot(key) == before  # no state, message id or count written
    retried = await service.handle("sms", SENDER, "2", message_id=f"{SENDER}-3")
    assert said(retried) == said(control) and retried.messages
    assert await state_of(outage, service, SENDER) == await state_of(outage, service, CONTROL)


# An SQLite turn holds the file's only write lock until it commits: nothing else can take the database away
# mid-turn short of a disk failure, so this one is for PostgreSQL.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_losing_the_database_in_the_middle_of_a_turn_writes_nothing(outage, service):
    searcher = service.searcher
    for sender in (SENDER, CONTROL):
        await service.handle("sms", sender, "hello", message_id=f"{sender}-1")
    control = await service.handle("sms", CONTROL, "what is a marac", message_id=f"{CONTROL}-2")
    key = service.key("sms", SENDER)
    before = await outage.snapshot(key)

    searcher.pull_first = outage.start  # the turn has begun (message id recorded, row loaded) when it goes
    with pytest.raises(StorageUnavailable):
        await service.handle("sms", SENDER, "what is a marac", message_id=f"{SENDER}-2")
    searcher.pull_first = None
    outage.end()

    assert await outage.snapshot(key) == before
    retried = await service.handle("sms", SENDER, "what is a marac", message_id=f"{SENDER}-2")
    assert said(retried) == said(control) and "not sure" in retried.messages[0].text
    assert await state_of(outage, service, SENDER) == await state_of(outage, service, CONTROL)


# The window after a turn commits. The server batches its counters (batch_counts=True), so a database that
# fails while counting costs no reply: the counts wait for the next flush.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_database_failure_while_counting_loses_no_reply_and_no_count(outage, service):
    service.batch_counts = True
    for sender in (SENDER, CONTROL):
        await service.handle("sms", sender, "hello", message_id=f"{sender}-1")
    control = await service.handle("sms", CONTROL, "1", message_id=f"{CONTROL}-2")
    await service.flush_counts()
    before = dict(await service.store.counters())
    blocker = await asyncpg.connect(outage.direct_url)
    try:
        blocking = blocker.transaction()
        await blocking.start()
        await blocker.execute("LOCK TABLE metric_counter IN ACCESS EXCLUSIVE MODE")  # counting times out
        reply = await service.handle("sms", SENDER, "1", message_id=f"{SENDER}-2")
        with pytest.raises(StorageUnavailable):
            await service.flush_counts()
        await blocking.rollback()
    finally:
        await blocker.close()
    assert said(reply) == said(control)
    await service.flush_counts()
    after = await service.store.counters()
    assert after[("messages", "sms")] == before[("messages", "sms")] + 1
    assert after[("flow_started", "demo")] == before[("flow_started", "demo")] + 1


# FORGET deletes the conversation in the turn, then the message ids in a second transaction. If the database
# fails between the two, handle raises, the provider's retry is a duplicate (empty reply) and the user's
# message ids stay until the purge. Reported to the lead (bot/conversation/service.py, store.erase).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_forget_erases_everything_even_when_the_database_fails_half_way(outage, service):
    key = service.key("sms", SENDER)
    await service.handle("sms", SENDER, "hello", message_id=f"{SENDER}-1")
    await service.handle("sms", SENDER, "1", message_id=f"{SENDER}-2")
    blocker = await asyncpg.connect(outage.direct_url)
    try:
        blocking = blocker.transaction()
        await blocking.start()
        # Hold the user's earlier message ids: erasing them times out after the conversation row is gone.
        await blocker.execute("SELECT 1 FROM inbound_message WHERE user_key = $1 FOR UPDATE", key)
        try:
            reply = await service.handle("sms", SENDER, "FORGET", message_id=f"{SENDER}-3")
        except StorageUnavailable:
            await blocking.rollback()
            reply = await service.handle("sms", SENDER, "FORGET", message_id=f"{SENDER}-3")
    finally:
        await blocker.close()
    conversation, message_ids, _ = await outage.snapshot(key)
    assert (conversation, message_ids) == ([], [])
    assert reply.erase and reply.messages
