"""`pathways bench telegram`: updates per second through the Telegram channel, end to end."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.bench import bench_app

__all__ = ["bench_telegram"]


@bench_app.command("telegram")
def bench_telegram(
    users: Annotated[int, typer.Option(help="Simulated users, each sending its next update after its reply")] = 20,
    rounds: Annotated[int, typer.Option(help="Passes through the MARAC pathway per user (11 updates each)")] = 5,
    database_url: Annotated[str | None, typer.Option(help="Store to use (default: SQLite in a temporary folder)")]
    = None,
) -> None:
    """Webhook POST to reply at a local recording Bot API: updates per second, median and p99, against a
    floor (the same POST, secret check and one sendMessage, no conversation) measured in the same run."""
    from bot.channels.telegram_bench import run_bench

    result = asyncio.run(run_bench(users=users, rounds=rounds, database_url=database_url))
    typer.echo(f"{result.users} users x {result.rounds} rounds of the MARAC pathway, {result.database} store")
    typer.echo(f"{'path':<13} {'updates':>8} {'upd/s':>8} {'median':>9} {'p99':>9} {'ack median':>11}")
    for label, timing in (("conversation", result.conversation), ("floor", result.floor)):
        typer.echo(f"{label:<13} {timing.updates:>8} {timing.per_second:>8.0f} {timing.median_ms:>7.2f}ms "
                   f"{timing.p99_ms:>7.2f}ms {timing.ack_median_ms:>9.2f}ms")
    typer.echo(f"ratio (conversation median / floor median): {result.ratio:.2f}; "
               f"throughput ratio: {result.floor.per_second / max(result.conversation.per_second, 1e-9):.2f}")
    typer.echo("latency = webhook POST start to the reply's sendMessage at the Bot API; ack = POST to its 200")
