"""`pathways bench sms`: the SMS hot path against its floor (see bot/server/bench_sms.py)."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer

from bot.cli.bench import bench_app

__all__ = ["bench_sms_command"]


@bench_app.command("sms")
def bench_sms_command(
    messages: Annotated[int, typer.Option(help="Signed webhooks per run")] = 3000,
    phones: Annotated[int, typer.Option(help="Simulated phones")] = 500,
    concurrency: Annotated[int, typer.Option(help="Requests in flight")] = 64,
    postgres_url: Annotated[str | None, typer.Option(
        "--postgres-url", help="PostgreSQL to measure too (default: PATHWAYS_BENCH_POSTGRES_URL, "
                               "then PATHWAYS_TEST_POSTGRES_URL); a fresh schema is made and dropped")] = None,
    instances: Annotated[list[int] | None, typer.Option(
        "--instances",
        help="Server processes sharing PostgreSQL, round-robin (repeat: --instances 1 --instances 2)")] = None,
    redis_url: Annotated[str | None, typer.Option(
        "--redis-url", help="Keep the abuse limits in this Redis (as REDIS_URL) rather than in PostgreSQL")] = None,
) -> None:
    """Turns per second, p50/p99 and the ratio to a signature-only floor, for SQLite and PostgreSQL."""
    from bot.server.bench_sms import bench_sms

    url = postgres_url or os.environ.get("PATHWAYS_BENCH_POSTGRES_URL") or os.environ.get("PATHWAYS_TEST_POSTGRES_URL")
    typer.echo(f"{messages} signed webhooks from {phones} phones, {concurrency} in flight"
               + ("" if url else " (no PostgreSQL URL: SQLite only)"))
    for figures in asyncio.run(bench_sms(postgres_url=url, messages=messages, phones=phones,
                                         concurrency=concurrency, instances=tuple(instances or [1]),
                                         redis_url=redis_url)):
        typer.echo(figures.floor.line())
        typer.echo(figures.full.line())
        typer.echo(f"{figures.database}: full/floor throughput ratio {figures.ratio:.2f}")
