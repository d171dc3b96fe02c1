"""`pathways bench sms`: the full SMS turn against a floor, on SQLite and PostgreSQL.

For each database: start the real server (bot.server.bench_target: `pathways serve` plus a floor route)
in its own process on loopback with a fresh database; build distinct signed Twilio webhooks from many
simulated phones, each walking a pathway; drive the floor (signature check + empty TwiML) and then the
full turn (signature, opt-out check, dedupe, state load and save, engine step, TwiML) at a fixed
concurrency; report turns/s, p50/p99 and the ratio full/floor.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from twilio.request_validator import RequestValidator

from bot.server.load import LoadResult, Request, drive, wait_until_up

__all__ = ["BenchFigures", "bench_sms", "conversation_script"]

PUBLIC_BASE_URL = "https://bench.pathways.invalid"
# One phone's messages: a walk through the MARAC pathway and back to the menu, then a search.
SCRIPT = ["hi", "1", "1", "1", "14", "0", "no", "no", "1", "no", "menu", "what is coercive control"]


def conversation_script(messages: int, phones: int) -> list[tuple[int, str]]:
    """(phone number index, text) in round order: message k of every phone before message k+1 of any."""
    order = []
    for round_ in range(len(SCRIPT) * (messages // (phones * len(SCRIPT)) + 1)):
        for phone in range(phones):
            order.append((phone, SCRIPT[round_ % len(SCRIPT)]))
            if len(order) == messages:
                return order
    return order


def signed_requests(path: str, token: str, script: list[tuple[int, str]], tag: str) -> list[Request]:
    validator = RequestValidator(token)
    out = []
    for n, (phone, text) in enumerate(script):
        data = {"From": f"+4477009{phone:05d}", "To": "+447700900000", "Body": text,
                "MessageSid": f"SM{tag}{n:024d}", "NumMedia": "0"}
        signature = validator.compute_signature(PUBLIC_BASE_URL + path, data)
        out.append(Request(path, data, {"X-Twilio-Signature": signature}))
    return out


@dataclass(frozen=True)
class BenchFigures:
    database: str
    floor: LoadResult
    full: LoadResult

    @property
    def ratio(self) -> float:
        return self.full.per_second / self.floor.per_second if self.floor.per_second else 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _bench_one(label: str, database_url: str, *, messages: int, phones: int, concurrency: int,
                     content_dir: Path | None, instances: int = 1, redis_url: str | None = None) -> BenchFigures:
    token = secrets.token_hex(16)
    env = {**os.environ, "DATABASE_URL": database_url, "PATHWAYS_SECRET": secrets.token_hex(32),
           "TWILIO_AUTH_TOKEN": token, "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "LOG_LEVEL": "WARNING",
           # The limits are checked on every turn (that cost is measured) but set too high to be reached:
           # 3,000 messages from 500 new numbers would otherwise hit the default hourly caps.
           "RATE_LIMIT_PER_MINUTE": "1000000", "SMS_SEGMENTS_PER_HOUR": "1000000000",
           "NEW_SMS_SENDERS_PER_HOUR": "1000000000"}
    for name in ("TELEGRAM_BOT_TOKEN", "TRAINER_TOKEN", "REDIS_URL"):
        env.pop(name, None)
    if redis_url:
        env["REDIS_URL"] = redis_url  # the abuse limits in Redis rather than the database
    if content_dir:
        env["PATHWAYS_CONTENT_DIR"] = str(content_dir)
    ports = [_free_port() for _ in range(instances)]
    servers = [subprocess.Popen([sys.executable, "-m", "bot.server.bench_target", "--port", str(port)], env=env)
               for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            await wait_until_up(base)
        script = conversation_script(messages, phones)
        warm = signed_requests("/sms/inbound", token, conversation_script(200, 50), "warm")
        await drive(bases, warm, concurrency=concurrency, label="warm-up")
        floor = await drive(bases, signed_requests("/bench/floor", token, script, "floor"),
                            concurrency=concurrency, label=f"{label} floor")
        full = await drive(bases, signed_requests("/sms/inbound", token, script, "full"),
                           concurrency=concurrency, label=f"{label} full turn")
        return BenchFigures(label, floor, full)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


async def bench_sms(*, postgres_url: str | None, messages: int = 3000, phones: int = 500, concurrency: int = 64,
                    content_dir: Path | None = None, instances: tuple[int, ...] = (1,),
                    redis_url: str | None = None) -> list[BenchFigures]:
    """One row per database (and, on PostgreSQL, per number of server instances sharing it)."""
    results = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        results.append(await _bench_one("SQLite", sqlite_url, messages=messages, phones=phones,
                                        concurrency=concurrency, content_dir=content_dir))
    if postgres_url:
        for count in instances:
            schema, url = await _fresh_schema(postgres_url)
            label = "PostgreSQL" if count == 1 else f"PostgreSQL x{count} instances"
            label += " + Redis limits" if redis_url else ""
            try:
                results.append(await _bench_one(label, url, messages=messages, phones=phones,
                                                concurrency=concurrency, content_dir=content_dir, instances=count,
                                                redis_url=redis_url))
            finally:
                await _drop_schema(postgres_url, schema)
    return results


async def _fresh_schema(postgres_url: str) -> tuple[str, str]:
    """A new schema for this run, migrated, and a URL whose connections use it."""
    import asyncpg

    from bot.storage.migrate import upgrade

    schema = f"pathways_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}search_path={schema}"
    await asyncio.to_thread(upgrade, url)
    return schema, url


async def _drop_schema(postgres_url: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()
