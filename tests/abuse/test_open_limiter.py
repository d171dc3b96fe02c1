"""`open_limiter` picks the backend from the settings; a failed backend fails open (logged and counted);
PostgreSQL needs its migration and purges expired rows."""

from __future__ import annotations

import logging
import socket

import asyncpg
import pytest

from bot.abuse import UNAVAILABLE, Action, LimitPolicy, RateLimiter, open_limiter
from bot.abuse.postgres_limits import PostgresLimitBackend
from bot.abuse.redis_limits import RedisLimitBackend
from bot.errors import StorageError, StorageUnavailable
from bot.settings import load_settings
from bot.storage.sql import open_store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_sqlite_deployments_count_in_process(tmp_path):
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", redis_url=None,
                             rate_limit_per_minute=7, sms_segments_per_hour=70, new_sms_senders_per_hour=5,
                             retention_days=9)
    limiter = await open_limiter(settings)
    try:
        assert limiter.backend_name == "memory"
        assert limiter.policy == LimitPolicy(sender_per_minute=7, sms_segments_per_hour=70,
                                             new_sms_senders_per_hour=5, known_sender_days=9)
        assert (await limiter.check("alice")).allowed
    finally:
        await limiter.close()


async def test_redis_url_wins(redis_url, redis_prefix, pg_limits_url):
    settings = load_settings(database_url=pg_limits_url, redis_url=redis_url, rate_limit_per_minute=1)
    limiter = await open_limiter(settings, key_prefix=redis_prefix)
    try:
        assert limiter.backend_name == "redis"
        assert [(await limiter.check("alice")).action for _ in range(2)] == [Action.ALLOW, Action.NOTICE_THEN_DROP]
        assert await limiter.ping()
    finally:
        await limiter.close()


async def test_postgresql_opens_its_own_pool_or_shares_the_stores(pg_limits_url):
    settings = load_settings(database_url=pg_limits_url, redis_url=None, rate_limit_per_minute=2)
    own = await open_limiter(settings)
    store = await open_store(pg_limits_url)
    shared = await open_limiter(settings, store)
    try:
        assert own.backend_name == shared.backend_name == "postgresql"
        assert shared.backend._pool is store._pool
        assert own.backend._pool is not store._pool
        decisions = [await limiter.check("alice") for limiter in (own, shared, own)]
        assert [d.action for d in decisions] == [Action.ALLOW, Action.ALLOW, Action.NOTICE_THEN_DROP]
    finally:
        await own.close()
        await shared.close()
    assert await store.ping()  # closing the limiter left the store's pool open
    await store.close()


async def test_postgresql_without_the_migration_says_what_to_run(pg_schema_url):
    with pytest.raises(StorageError, match="pathways db upgrade"):
        await PostgresLimitBackend.connect(pg_schema_url)


async def test_an_unreachable_postgresql_is_unavailable():
    with pytest.raises(StorageUnavailable):
        await PostgresLimitBackend.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/test", timeout=1)


async def test_postgresql_purges_expired_rows(pg_limits_url, clock):
    backend = await PostgresLimitBackend.connect(pg_limits_url)
    limiter = RateLimiter(backend, LimitPolicy(known_sender_days=1), clock=clock)
    try:
        for i in range(5):
            await limiter.check(f"user-{i}", message_id=f"SM{i}")
        await limiter.spend_segments(3)
        rows = await backend._pool.fetchval("SELECT count(*) FROM rate_limit")
        assert rows == 5 * 3 + 2  # per user: sender count, seen mark, verdict; plus new_senders and segments
        assert await limiter.purge() == 0  # nothing has expired yet
        clock.advance(hours=3)  # windows and verdicts have expired; the 'seen' marks last a day
        assert await limiter.purge() == 5 * 2 + 2
        assert await backend._pool.fetchval("SELECT count(*) FROM rate_limit WHERE bucket LIKE 'seen:%'") == 5
        clock.advance(days=1)
        assert await limiter.purge() == 5
    finally:
        await limiter.close()


async def test_postgresql_purges_by_itself_in_the_background(pg_limits_url, clock):
    backend = await PostgresLimitBackend.connect(pg_limits_url)
    limiter = RateLimiter(backend, LimitPolicy(), clock=clock)
    try:
        await limiter.check("alice", message_id="SM1")  # the first check starts a purge (nothing to delete)
        first = backend._purging
        await first
        clock.advance(minutes=5)
        await limiter.check("carol")
        assert backend._purging is first  # at most one purge every ten minutes
        clock.advance(hours=3)
        # Starts a purge of alice's and carol's counters, the verdict and hour 12's new-sender count (bob is not
        # an SMS sender, so his check, running alongside, does not renew that row).
        await limiter.check("bob", sms=False)
        assert backend._purging is not first
        assert await backend._purging == 4
        buckets = {r[0] for r in await backend._pool.fetch("SELECT bucket FROM rate_limit")}
        assert not any(b.startswith(("verdict:", "sender:alice", "sender:carol")) for b in buckets)
        assert "sender:bob" in buckets
    finally:
        await limiter.close()


async def test_an_unreachable_redis_fails_open_logged_once_a_minute(clock, hits, caplog):
    backend = RedisLimitBackend.connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    limiter = RateLimiter(backend, LimitPolicy(sender_per_minute=1), clock=clock, on_limit=hits)
    caplog.set_level(logging.WARNING, logger="pathways.abuse")
    try:
        assert [(await limiter.check("alice")).action for _ in range(3)] == [Action.ALLOW] * 3
        assert await limiter.spend_segments(2) == -1
        assert hits.names == [UNAVAILABLE] * 4
        assert len(caplog.records) == 1 and "unavailable" in caplog.records[0].getMessage()
        clock.advance(minutes=1)
        await limiter.check("alice")
        assert len(caplog.records) == 2
        assert not await limiter.ping()
    finally:
        await limiter.close()


async def test_failing_closed_raises_instead(clock):
    backend = RedisLimitBackend.connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    limiter = RateLimiter(backend, LimitPolicy(), clock=clock, fail_open=False)
    try:
        with pytest.raises(StorageUnavailable):
            await limiter.check("alice")
    finally:
        await limiter.close()


async def test_a_failing_metrics_callback_does_not_break_a_check(clock, caplog):
    def broken(name: str) -> None:
        raise RuntimeError("metrics down")

    from bot.abuse import MemoryLimitBackend

    limiter = RateLimiter(MemoryLimitBackend(), LimitPolicy(sender_per_minute=1), clock=clock, on_limit=broken)
    assert [(await limiter.check("alice")).action for _ in range(2)] == [Action.ALLOW, Action.NOTICE_THEN_DROP]
    assert any("on_limit callback failed" in r.getMessage() for r in caplog.records)


async def test_the_rate_limit_table_holds_no_phone_numbers(pg_limits_url, clock):
    """Only what the channel passes is stored: the pseudonymous key and the provider's message id."""
    backend = await PostgresLimitBackend.connect(pg_limits_url)
    limiter = RateLimiter(backend, LimitPolicy(), clock=clock)
    key = "3f" * 32
    try:
        await limiter.check(key, message_id="SM" + "0" * 32)
        conn = await asyncpg.connect(pg_limits_url)
        try:
            buckets = {r[0] for r in await conn.fetch("SELECT bucket FROM rate_limit")}
        finally:
            await conn.close()
        assert buckets == {f"sender:{key}", f"seen:{key}", "new_senders", "verdict:SM" + "0" * 32}
    finally:
        await limiter.close()
