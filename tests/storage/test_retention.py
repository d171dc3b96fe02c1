"""The background purge: at start and every interval, counts-only logs, survives a database outage, cancels
cleanly. Real stores; short intervals."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
import time

import asyncpg
import pytest
from decisions import bump

from bot.storage.retention import describe_duration, parse_duration, purge_periodically
from bot.storage.sql import open_store

DAYS_30 = dt.timedelta(days=30)
FAST = dt.timedelta(seconds=0.05)
OLD_KEY = "a3f1" * 16  # what a real user key looks like: 64 hex digits
NEW_KEY = "b7c2" * 16


async def next_count(purged: asyncio.Queue, *, skip_zero: bool = False) -> int:
    while True:
        count = await asyncio.wait_for(purged.get(), timeout=10)
        if count or not skip_zero:
            return count


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_purges_at_start_and_then_every_interval(sql_store, clock):
    await sql_store.turn(OLD_KEY, "SM1", bump)
    clock.advance(days=20)
    await sql_store.turn(NEW_KEY, "SM2", bump)
    clock.advance(days=15)  # OLD_KEY idle 35 days, NEW_KEY 15
    purged: asyncio.Queue[int] = asyncio.Queue()
    task = asyncio.create_task(purge_periodically(sql_store, DAYS_30, FAST, on_purged=purged.put_nowait))
    try:
        assert await next_count(purged) == 2  # at start: the old conversation and its message id
        assert await next_count(purged) == 0  # then again, with nothing new to delete
        clock.advance(days=16)  # NEW_KEY is now 31 days idle
        assert await next_count(purged, skip_zero=True) == 2
        await sql_store.turn(NEW_KEY, "SM3", bump)  # a new message starts a fresh conversation...
        assert await next_count(purged) == 0  # ...which the purge leaves alone
    finally:
        await stop(task)
    assert (await sql_store.counters()) == {}


async def test_the_first_purge_does_not_wait_for_the_interval(sql_store):
    purged: asyncio.Queue[int] = asyncio.Queue()
    task = asyncio.create_task(purge_periodically(sql_store, DAYS_30, dt.timedelta(hours=1),
                                                  on_purged=purged.put_nowait))
    assert await next_count(purged) == 0  # within next_count's 10 s, not an hour
    await stop(task)


async def test_the_interval_is_kept_between_purges(sql_store):
    times: list[float] = []
    task = asyncio.create_task(purge_periodically(sql_store, DAYS_30, dt.timedelta(seconds=0.1),
                                                  on_purged=lambda rows: times.append(time.monotonic())))
    await asyncio.sleep(0.45)
    await stop(task)
    assert 3 <= len(times) <= 5  # at 0, 0.1, 0.2, 0.3, 0.4 s (fewer on a busy machine)
    assert all(later - earlier >= 0.099 for earlier, later in zip(times, times[1:], strict=False))


async def test_logs_say_how_many_rows_and_never_a_user_key(sql_store, clock, caplog):
    caplog.set_level(logging.INFO, logger="pathways.retention")
    await sql_store.turn(OLD_KEY, "SM-old", bump)
    clock.advance(days=31)
    purged: asyncio.Queue[int] = asyncio.Queue()
    task = asyncio.create_task(purge_periodically(sql_store, DAYS_30, FAST, on_purged=purged.put_nowait))
    assert await next_count(purged) == 2
    await stop(task)
    records = [r for r in caplog.records if r.name == "pathways.retention"]
    assert records and records[0].getMessage() == "purged idle data" and records[0].rows == 2
    for record in records:
        logged = record.getMessage() + repr(vars(record))
        assert OLD_KEY not in logged and "SM-old" not in logged


async def test_a_locked_database_is_logged_and_purged_at_the_next_interval(sqlite_url, tmp_path, clock, caplog):
    caplog.set_level(logging.INFO, logger="pathways.retention")
    store = await open_store(sqlite_url, timeout=0.02)
    other = sqlite3.connect(tmp_path / "pathways.db", isolation_level=None)
    purged: asyncio.Queue[int] = asyncio.Queue()
    try:
        await store.turn(OLD_KEY, "SM1", bump)
        clock.advance(days=31)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock: purges fail as unavailable
        task = asyncio.create_task(purge_periodically(store, DAYS_30, FAST, on_purged=purged.put_nowait))
        await asyncio.sleep(0.3)
        assert purged.empty()
        skipped = [r for r in caplog.records if r.name == "pathways.retention" and r.levelno == logging.WARNING]
        assert len(skipped) >= 2 and not task.done()
        assert skipped[0].getMessage().startswith("purge skipped: database unavailable")
        assert skipped[0].error == "StorageUnavailable"
        other.execute("ROLLBACK")
        assert await next_count(purged) == 2  # the loop carried on and purged once the lock was gone
        await stop(task)
    finally:
        other.close()
        await store.close()


async def test_a_failing_callback_does_not_stop_retention(sql_store, caplog):
    calls: list[int] = []

    def flaky(rows: int) -> None:
        calls.append(rows)
        raise RuntimeError("metrics exporter fell over")

    task = asyncio.create_task(purge_periodically(sql_store, DAYS_30, FAST, on_purged=flaky))
    await asyncio.sleep(0.2)
    await stop(task)
    assert len(calls) >= 3
    assert any(r.getMessage() == "on_purged callback failed" for r in caplog.records)


async def test_an_async_callback_is_awaited(sql_store):
    seen: asyncio.Queue[int] = asyncio.Queue()

    async def record(rows: int) -> None:
        await asyncio.sleep(0)
        await seen.put(rows)

    task = asyncio.create_task(purge_periodically(sql_store, DAYS_30, FAST, on_purged=record))
    assert await next_count(seen) == 0
    await stop(task)


async def test_cancelling_a_purge_in_flight_deletes_nothing_and_leaves_the_store_working(pg_url, clock):
    store = await open_store(pg_url, auto_migrate=True, timeout=2)
    blocker = await asyncpg.connect(pg_url.replace("application_name=", "application_name=blocker-"))
    try:
        await store.turn(OLD_KEY, "SM1", bump)
        clock.advance(days=31)
        blocking = blocker.transaction()
        await blocking.start()
        await blocker.execute("LOCK TABLE inbound_message IN ACCESS EXCLUSIVE MODE")
        task = asyncio.create_task(purge_periodically(store, DAYS_30, FAST))
        await asyncio.sleep(0.3)  # the purge is waiting for the lock
        assert not task.done()
        await stop(task)
        await blocking.rollback()
        assert await blocker.fetchval("SELECT count(*) FROM conversation") == 1  # nothing half-deleted
        assert await blocker.fetchval("SELECT count(*) FROM inbound_message") == 1
        assert await store.purge(DAYS_30) == 2  # the pool is healthy afterwards
    finally:
        await blocker.close()
        await store.close()


async def test_nonsense_periods_are_refused(sql_store):
    for retention, interval in ((dt.timedelta(0), FAST), (DAYS_30, dt.timedelta(0)), (-DAYS_30, FAST)):
        with pytest.raises(ValueError, match="positive"):
            await purge_periodically(sql_store, retention, interval)


@pytest.mark.parametrize(
    ("text", "period"),
    [("30d", dt.timedelta(days=30)), ("12h", dt.timedelta(hours=12)), ("90m", dt.timedelta(minutes=90)),
     ("1d", dt.timedelta(days=1)), (" 7D ", dt.timedelta(days=7)), ("365d", dt.timedelta(days=365))],
)
def test_durations(text, period):
    assert parse_duration(text) == period


@pytest.mark.parametrize("text", ["30x", "thirty days", "30", "d", "0d", "0m", "-5d", "1.5d", "30 days", "",
                                  "30dd", "1w", "9999999d"])
def test_malformed_durations_say_what_to_write(text):
    with pytest.raises(ValueError, match=r"30d, 12h, 90m|is zero") as raised:
        parse_duration(text)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("period", "text"),
    [(dt.timedelta(days=30), "30 days"), (dt.timedelta(days=1), "1 day"), (dt.timedelta(hours=12), "12 hours"),
     (dt.timedelta(minutes=90), "90 minutes"), (dt.timedelta(hours=48), "2 days"), (dt.timedelta(seconds=5), "5 seconds")],
)
def test_durations_are_described_in_the_largest_whole_unit(period, text):
    assert describe_duration(period) == text
