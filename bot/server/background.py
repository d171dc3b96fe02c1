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


async def lifecycle(app: web.Application) -> AsyncIterator[None]:
    """An aiohttp cleanup context: `app.cleanup_ctx.append(lifecycle)`."""
    from bot.storage.retention import purge_periodically

    runtime = app[RUNTIME]
    settings = runtime.settings
    task = asyncio.create_task(purge_periodically(
        runtime.store,
        dt.timedelta(days=settings.retention_days),
        dt.timedelta(minutes=settings.purge_interval_minutes),
    ), name="pathways-purge")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        await runtime.store.close()
