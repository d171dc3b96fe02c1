"""The `pathways bench` group: measurements to read, not timed tests. Other modules add their
benchmarks to `bench_app` (e.g. `@bench_app.command("search")` in search_commands)."""

from __future__ import annotations

import typer

from bot.cli import app

__all__ = ["bench_app"]

bench_app = typer.Typer(help="Benchmarks (not timed tests)", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
