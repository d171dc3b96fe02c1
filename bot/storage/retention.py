"""Retention: how long idle data is kept, and the purge the server runs in the background.

`pathways purge --older-than 30d` runs one purge by hand; `purge_periodically` is the loop `pathways serve`
runs (every PURGE_INTERVAL_MINUTES, deleting what has been idle longer than RETENTION_DAYS). Only counts
are logged: never a user key, never any content.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import re
from collections.abc import Awaitable, Callable

from bot.errors import StorageUnavailable
from bot.storage.base import ConversationStore

__all__ = ["parse_duration", "describe_duration", "purge_periodically"]

log = logging.getLogger("pathways.retention")

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([dhm])\s*$", re.IGNORECASE)
_UNITS = {"d": ("days", "day"), "h": ("hours", "hour"), "m": ("minutes", "minute")}


def parse_duration(text: str) -> dt.timedelta:
    """'30d', '12h' or '90m' → a timedelta; anything else (or zero) raises ValueError with a one-line reason."""
    match = _DURATION.match(text or "")
    if match is None:
        raise ValueError(f"{text!r} is not a duration: give a whole number and d, h or m (e.g. 30d, 12h, 90m)")
    amount, unit = int(match[1]), match[2].lower()
    if amount == 0:
        raise ValueError(f"{text!r} is zero: a purge must keep at least the most recent data")
    return dt.timedelta(**{_UNITS[unit][0]: amount})


def describe_duration(period: dt.timedelta) -> str:
    """A duration in the largest whole unit: '30 days', '12 hours', '90 minutes'."""
    seconds = int(period.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            amount = seconds // size
            plural, singular = _UNITS[unit]
            return f"{amount} {singular if amount == 1 else plural}"
    return f"{seconds} seconds"


PurgeCallback = Callable[[int], Awaitable[None] | None]


async def purge_periodically(
    store: ConversationStore,
    retention: dt.timedelta,
    interval: dt.timedelta,
    *,
    on_purged: PurgeCallback | None = None,
) -> None:
    """Purge what has been idle longer than `retention` now, then every `interval`, until cancelled.

    A database that is down (StorageUnavailable) is logged as a warning, any other failure with its
    traceback (purging touches no content), and the purge is tried again at the next interval: retention
    must not stop because of one bad hour. `on_purged(rows)` (plain or async) is called after each
    successful purge, e.g. to count it in the metrics. Cancel the task to stop: a purge is a single
    transaction, so cancelling never leaves one half-done.
    """
    if retention <= dt.timedelta(0) or interval <= dt.timedelta(0):
        raise ValueError("retention and interval must be positive")
    while True:
        deleted = await _purge_once(store, retention, interval)
        if deleted is not None and on_purged is not None:
            try:
                result = on_purged(deleted)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # noqa: BLE001 - a failing observer must not stop retention
                log.exception("on_purged callback failed")
        await asyncio.sleep(interval.total_seconds())


async def _purge_once(store: ConversationStore, retention: dt.timedelta, interval: dt.timedelta) -> int | None:
    """One purge; the rows deleted, or None (logged) when it failed."""
    try:
        deleted = await store.purge(retention)
    except StorageUnavailable as exc:
        log.warning("purge skipped: database unavailable; retrying at the next interval",
                    extra={"error": type(exc).__name__, "retry_in_s": interval.total_seconds()})
        return None
    except Exception:  # noqa: BLE001 - retention must outlive one bad run; the traceback holds no content
        log.exception("purge failed; retrying at the next interval", extra={"retry_in_s": interval.total_seconds()})
        return None
    log.info("purged idle data", extra={"rows": deleted, "retention_s": retention.total_seconds()})
    return deleted
