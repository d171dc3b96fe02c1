"""The server's lifecycle: background work (the retention purge, at an interval) and, at shutdown,
stopping it and closing the store after in-flight requests have finished."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.server.runtime import RUNTIME

__all__ = ["lifecycle"]

log = logging.getLogger("pathways.server")
COUNTER_FLUSH_SECONDS = 10.0
SEGMENT_FLUSH_SECONDS = 1.0


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    """An aiohttp cleanup context: `app.cleanup_ctx.append(lifecycle)`."""
    from bot.storage.retention import purge_periodically

    runtime = app[RUNTIME]
    settings = runtime.settings
    limiter = runtime.extras.get("limiter")

    async def purge_limits(_: int) -> None:
        if limiter is not None:
            await limiter.purge()

    task = asyncio.create_task(purge_periodically(
        runtime.store,
        dt.timedelta(days=settings.retention_days),
        dt.timedelta(minutes=settings.purge_interval_minutes),
        on_purged=purge_limits,
    ), name="pathways-purge")
    flusher = asyncio.create_task(_flush_counts_periodically(runtime), name="pathways-counters")
    segments = asyncio.create_task(_flush_segments_periodically(runtime), name="pathways-segments")
    try:
        yield
    finally:
        for background in (task, flusher, segments):
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await background
        with contextlib.suppress(Exception):
            await runtime.service.flush_counts()
        with contextlib.suppress(Exception):
            await flush_segments(runtime)
        if limiter is not None:
            with contextlib.suppress(Exception):
                await limiter.close()
        await runtime.store.close()


async def _flush_counts_periodically(runtime, interval: float = COUNTER_FLUSH_SECONDS) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await runtime.service.flush_counts()
        except Exception as exc:  # noqa: BLE001 - the database may be down; try again next time
            log.warning("counter flush failed; will retry", extra={"error": exc.__class__.__name__})


async def flush_segments(runtime) -> None:
    """Add the SMS segments sent since the last flush to the shared hourly total."""
    limiter = runtime.extras.get("limiter")
    if limiter is not None:
        await limiter.flush_segments()  # logs and reports the moment the cap is reached


async def _flush_segments_periodically(runtime, interval: float = SEGMENT_FLUSH_SECONDS) -> None:
    while True:
        await asyncio.sleep(interval)
        await flush_segments(runtime)  # spend_segments logs backend failures itself and never raises
