"""Limiters over each backend: in-process memory, Redis (PATHWAYS_TEST_REDIS_URL, a key prefix of the test's
own, deleted afterwards) and PostgreSQL (PATHWAYS_TEST_POSTGRES_URL, a fresh schema migrated to head).

`make_limiter(policy)` opens one more limiter on the test's backend: call it twice for two server instances
sharing one store (separate Redis clients or PostgreSQL pools; one shared object for memory).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.abuse import LimitPolicy, MemoryLimitBackend, RateLimiter
from bot.abuse.postgres_limits import PostgresLimitBackend
from bot.abuse.redis_limits import RedisLimitBackend
from bot.storage.migrate import upgrade
from tests.conftest import Clock

BACKENDS = ["memory", "redis", "postgresql"]


class Hits:
    """An on_limit callback that remembers what it was told, like ServerMetrics.limits would count it."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str) -> None:
        self.names.append(name)

    def count(self, name: str) -> int:
        return self.names.count(name)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hits() -> Hits:
    return Hits()


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("PATHWAYS_TEST_REDIS_URL")
    if not url:
        pytest.skip("PATHWAYS_TEST_REDIS_URL is not set: no Redis to test against")
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix no other test uses; every key under it is deleted afterwards."""
    prefix = f"pathways-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def pg_schema_url(pg_url: str) -> str:
    """A new, empty PostgreSQL schema (the shared `pg_url` fixture)."""
    return pg_url


@pytest.fixture
def pg_limits_url(pg_schema_url: str) -> str:
    """A fresh schema migrated to the newest revision (so it has the rate_limit table and functions)."""
    upgrade(pg_schema_url)
    return pg_schema_url


@pytest.fixture(params=BACKENDS)
def backend_name(request) -> str:
    return request.param


@pytest.fixture
def backend_target(request, backend_name: str) -> tuple[str, str]:
    """Where this test's backend lives: (URL, Redis key prefix). Synchronous: PostgreSQL set-up runs its own loop."""
    if backend_name == "redis":
        return request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    if backend_name == "postgresql":
        return request.getfixturevalue("pg_limits_url"), ""
    return "", ""


@pytest.fixture
async def make_limiter(backend_name: str, backend_target: tuple[str, str], clock: Clock, hits: Hits):
    """Open limiters on this test's backend; all are closed afterwards."""
    opened: list[RateLimiter] = []
    shared_memory = MemoryLimitBackend()
    url, prefix = backend_target

    async def make(policy: LimitPolicy, **kwargs) -> RateLimiter:
        if backend_name == "memory":
            backend = shared_memory
        elif backend_name == "redis":
            backend = RedisLimitBackend.connect(url, prefix=prefix)
        else:
            backend = await PostgresLimitBackend.connect(url, pool_size=10)
        kwargs.setdefault("on_limit", hits)
        limiter = RateLimiter(backend, policy, clock=clock, **kwargs)
        opened.append(limiter)
        return limiter

    yield make
    for limiter in opened:
        await limiter.close()
