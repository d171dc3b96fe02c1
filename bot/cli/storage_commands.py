"""`pathways db upgrade`, `pathways db current` and `pathways purge`: the conversation database.

Each works on DATABASE_URL. Failures are one line on stderr, never a traceback: exit 1 when the database
is unavailable or fails, 2 for a bad option or setting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn, TypeVar

import typer

from bot.cli import app
from bot.errors import ConfigError, StorageError
from bot.settings import Settings, load_settings
from bot.storage.migrate import head_revision, upgrade
from bot.storage.retention import describe_duration, parse_duration
from bot.storage.sql_url import parse_database_url

__all__ = ["db_app", "db_upgrade", "db_current", "purge", "stats"]

T = TypeVar("T")

db_app = typer.Typer(help="The conversation database: schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database named by DATABASE_URL to the newest schema (Alembic upgrade to head)."""
    url = _database_url()
    before = _run(lambda: _schema_revision(url))
    _run(lambda: asyncio.to_thread(upgrade, url))
    after = _run(lambda: _schema_revision(url))
    if before == after:
        typer.echo(f"Database schema already at {after} (newest); nothing to do.")
    else:
        typer.echo(f"Database schema upgraded: {_revision_text(before)} -> {after} (newest).")


@db_app.command("current")
def db_current() -> None:
    """Show which migration the database named by DATABASE_URL is at, and whether it is the newest."""
    url = _database_url()
    current = _run(lambda: _schema_revision(url))
    head = head_revision()
    if current == head:
        typer.echo(f"{current} (newest)")
    else:
        typer.echo(f"{_revision_text(current)}; the newest is {head}: run `pathways db upgrade`")


@app.command()
def purge(
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", help="Delete data idle longer than this: 30d, 12h or 90m "
                                          "(default: RETENTION_DAYS days)", show_default=False),
    ] = None,
) -> None:
    """Delete conversations and message ids idle longer than the retention period, and expired training
    cohorts; opt-outs and the aggregate counters are kept."""
    settings = _settings()
    if older_than is None:
        period = dt.timedelta(days=settings.retention_days)
    else:
        try:
            period = parse_duration(older_than)
        except ValueError as exc:
            _fail(f"--older-than: {exc}", code=2)
    deleted = _run(lambda: _purge(settings.database_url, period))
    typer.echo(f"Deleted {deleted} row{'' if deleted == 1 else 's'} idle for more than {describe_duration(period)}.")


async def _purge(url: str, period: dt.timedelta) -> int:
    from bot.abuse import open_limiter
    from bot.storage.sql import open_store

    store = await open_store(url)
    try:
        deleted = await store.purge(period)
        limiter = await open_limiter(_settings(), store)  # expired rate-limit rows (PostgreSQL or Redis)
        try:
            deleted += await limiter.purge()
        finally:
            await limiter.close()
        return deleted
    finally:
        await store.close()


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the counters as JSON")] = False,
) -> None:
    """The aggregate, content-free counters for service owners: messages by channel, pathways started and
    ended by outcome, searches with and without a confident result (see docs/metrics.md)."""
    counters = _run(lambda: _counters(_database_url()))
    if as_json:
        import json

        typer.echo(json.dumps([{"name": n, "label": label, "count": c} for (n, label), c in sorted(counters.items())],
                              indent=2))
        return
    if not counters:
        typer.echo("No counts yet.")
        return
    for name in sorted({n for n, _ in counters}):
        rows = sorted(((label, c) for (n, label), c in counters.items() if n == name), key=lambda r: (-r[1], r[0]))
        typer.echo(f"{name}: {sum(c for _, c in rows)}")
        for label, count in rows:
            typer.echo(f"  {label or '-':<60} {count:>8}")


async def _counters(url: str) -> dict[tuple[str, str], int]:
    from bot.storage.sql import open_store

    store = await open_store(url)
    try:
        return await store.counters()
    finally:
        await store.close()


async def _schema_revision(url: str) -> str | None:
    """The Alembic revision the database is at (None: empty), without migrating anything."""
    target = parse_database_url(url)
    if target.backend == "sqlite":
        from bot.storage.sql_sqlite import SqliteStore

        store = SqliteStore.connect(target.sqlite_path)
    else:
        from bot.storage.sql_postgres import PostgresStore

        store = await PostgresStore.connect(target.postgres_dsn, pool_size=1)
    try:
        return await store.schema_revision()
    finally:
        await store.close()


def _revision_text(revision: str | None) -> str:
    return revision or "nothing (an empty database)"


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        _fail(str(exc), code=2)


def _database_url() -> str:
    url = _settings().database_url
    try:
        parse_database_url(url)
    except ConfigError as exc:
        _fail(str(exc), code=2)
    return url


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run one database task; a storage or configuration failure ends the command with one line."""
    try:
        return asyncio.run(work())
    except ConfigError as exc:
        _fail(str(exc), code=2)
    except StorageError as exc:
        _fail(str(exc), code=1)


def _fail(message: str, *, code: int) -> NoReturn:
    one_line = " ".join(part.strip() for part in message.strip().splitlines()) or "failed"
    typer.echo(f"error: {one_line}", err=True)
    raise typer.Exit(code)
