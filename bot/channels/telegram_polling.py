"""Polling for Telegram updates inside the server's own event loop (`pathways serve --telegram-polling`).

PTB's `run_polling()` owns the event loop, so the server runs this loop as one of its tasks instead: fetch
with `getUpdates`, confirm with the next offset, hand each update to the Application's queue. Errors are
waited out, never raised: a long poll that times out just polls again; network errors back off up to
30 s; flood control waits as asked; a rejected token stops polling (logged), the rest of the server runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.telegram_delivery import retry_after_seconds

__all__ = ["poll_updates", "ALLOWED_UPDATES"]

log = logging.getLogger("pathways.telegram")

ALLOWED_UPDATES: Sequence[str] = ("message", "callback_query")
MAX_BACKOFF = 30.0


async def poll_updates(bot: Bot, queue: asyncio.Queue, *, long_poll: int = 10, interval: float = 0.2,
                       backoff: float = 1.0) -> None:
    """Fetch updates until cancelled. `long_poll`: seconds Telegram may hold an empty getUpdates open;
    `interval`: pause after an empty answer (servers that ignore the long poll answer at once)."""
    offset: int | None = None
    failures = 0
    while True:
        try:
            updates: Sequence[Update] = await bot.get_updates(offset=offset, timeout=long_poll,
                                                              allowed_updates=ALLOWED_UPDATES)
        except TimedOut:
            continue  # a long poll that outlived the read timeout: nothing lost, poll again
        except InvalidToken:
            log.error("telegram polling stopped: TELEGRAM_BOT_TOKEN was rejected")
            return
        except RetryAfter as exc:
            await asyncio.sleep(retry_after_seconds(exc))
            continue
        except (Conflict, NetworkError, TelegramError) as exc:
            failures += 1
            pause = min(MAX_BACKOFF, backoff * 2 ** (failures - 1))
            log.warning("telegram polling failed; retrying",
                        extra={"error": type(exc).__name__, "retry_in_s": pause})
            await asyncio.sleep(pause)
            continue
        except Exception as exc:  # noqa: BLE001 - a malformed answer must not end polling
            failures += 1
            log.error("telegram polling: unexpected error", extra={"error": type(exc).__name__})
            await asyncio.sleep(min(MAX_BACKOFF, backoff * 2 ** (failures - 1)))
            continue
        failures = 0
        for update in updates:
            offset = update.update_id + 1
            await queue.put(update)
        if not updates:
            await asyncio.sleep(interval)
