"""A small HTTP load client for the benchmarks: pre-built requests, fixed concurrency, latency figures.

Measurements to read, not timed tests. Run it in a different process from the server under test, so the
two do not share an event loop (on a 2-core machine they still share the CPU: compare ratios).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

__all__ = ["Request", "LoadResult", "drive", "wait_until_up"]


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    data: dict[str, str] | bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class LoadResult:
    label: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        return (f"{self.label:<28} {self.per_second:8.0f} req/s   p50 {self.p50_ms:6.1f} ms   "
                f"p99 {self.p99_ms:6.1f} ms   ({self.requests} requests; status {codes})")


async def drive(base_urls: str | Sequence[str], requests: Sequence[Request], *, concurrency: int,
                label: str) -> LoadResult:
    """Send every request, `concurrency` at a time, in order; time each one. With several base URLs (server
    instances), requests go to them in turn, as a round-robin load balancer would send them."""
    bases = [base_urls] if isinstance(base_urls, str) else list(base_urls)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(enumerate(requests))
    connector = aiohttp.TCPConnector(limit=concurrency * len(bases), force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for n, request in queue:
                url = bases[n % len(bases)] + request.path
                started = time.perf_counter()
                async with session.post(url, data=request.data, headers=request.headers) as response:
                    await response.read()
                latencies.append(time.perf_counter() - started)
                statuses[response.status] = statuses.get(response.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return LoadResult(label, len(latencies), elapsed, statistics.median(latencies) * 1000, p99 * 1000, statuses)


async def wait_until_up(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(base_url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server at {base_url} did not come up within {timeout:.0f} s")
            await asyncio.sleep(0.1)
