"""`pathways cohort create|list|link` and `pathways report`: training cohorts, for trainers.

Each works on DATABASE_URL (the database `pathways serve` uses). Failures are one line on stderr: exit 1 when
the cohort or the database fails, 2 for a bad option or setting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from bot.cli import app
from bot.content.library import Content, load_content
from bot.errors import CohortError, ConfigError, StorageError
from bot.settings import Settings, load_settings
from bot.storage.base import ConversationStore
from bot.storage.cohorts import Cohort
from bot.storage.retention import parse_duration
from bot.training.cohorts import create_cohort, open_results, scenario_ids
from bot.training.links import live_path
from bot.training.report_files import write_report
from bot.training.results import build_report

__all__ = ["cohort_app", "cohort_create", "cohort_list", "cohort_link", "report"]

T = TypeVar("T")

cohort_app = typer.Typer(help="Training cohorts: groups who work through a scenario together, joining by code.",
                         no_args_is_help=True)
app.add_typer(cohort_app, name="cohort")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@cohort_app.command("create")
def cohort_create(
    name: Annotated[str, typer.Option("--name", help="What participants see, e.g. 'CCR Leaders, Leeds, March'")],
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", help="A scenario id (repeat for several; default: participants choose any scenario)")] = None,
    expires: Annotated[str, typer.Option(
        "--expires", help="When the cohort and all its answers are deleted: 7d, 12h or 90m from now")] = "7d",
) -> None:
    """Create a cohort and print its join code."""
    settings = _settings()
    content = _content(settings)
    try:
        expires_in = parse_duration(expires)
    except ValueError as exc:
        _fail(f"--expires: {exc}", code=2)

    async def create(store: ConversationStore) -> Cohort:
        return await create_cohort(store, content, name=name, scenarios=tuple(scenario or ()),
                                   expires_in=expires_in, now=_utcnow())

    cohort = _with_store(settings, create, refused=2)
    typer.echo(f"Join code: {cohort.code}")
    typer.echo(f"Cohort:    {cohort.name}")
    typer.echo(f"Scenarios: {', '.join(cohort.scenarios) or 'any (participants pick from the list)'}")
    typer.echo(f"Ends:      {_when(cohort.expires_at)} (the cohort and its answers are deleted then)")
    typer.echo(f"Join by SMS: JOIN {cohort.code}   Telegram: /join {cohort.code}   "
               f"Console: pathways chat --join {cohort.code}")
    link = _live_link(settings, cohort.code)
    if link:
        typer.echo(f"Live report: {link}")
    typer.echo(f"Report files: pathways report {cohort.code} --out DIR")


@cohort_app.command("list")
def cohort_list() -> None:
    """List the cohorts not yet deleted, newest first."""
    settings = _settings()

    async def fetch(store: ConversationStore) -> list[Cohort]:
        return await store.list_cohorts()

    cohorts = _with_store(settings, fetch)
    if not cohorts:
        typer.echo("No cohorts. Create one with: pathways cohort create --name NAME")
        return
    now = _utcnow()
    for cohort in cohorts:
        state = "ended" if cohort.expired(now) else f"ends {_when(cohort.expires_at)}"
        scenarios = ", ".join(cohort.scenarios) or "any scenario"
        typer.echo(f"{cohort.code}  {cohort.name}  ({cohort.participants} joined; {scenarios}; {state})")


@cohort_app.command("link")
def cohort_link(code: Annotated[str, typer.Argument(help="The cohort's join code")]) -> None:
    """Print the signed link to a cohort's live report (needs TRAINER_TOKEN; PUBLIC_BASE_URL for a full URL)."""
    settings = _settings()
    link = _live_link(settings, code.strip().upper())
    if link is None:
        _fail("TRAINER_TOKEN: not set, so there is no live report to link to", code=2)
    typer.echo(link)


@app.command()
def report(
    code: Annotated[str, typer.Argument(help="The cohort's join code")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.html, results.csv and summary.csv")],
) -> None:
    """Write a cohort's report: report.html (charts for the debrief), results.csv and summary.csv."""
    settings = _settings()
    content = _content(settings)

    async def load(store: ConversationStore):
        return build_report(await open_results(store, code, _utcnow()), content.catalog, _utcnow())

    cohort_report = _with_store(settings, load)
    if cohort_report.empty:
        _fail(f"cohort {cohort_report.cohort.code} ({cohort_report.cohort.name}) has no answers yet "
              f"({cohort_report.joined} joined); nothing written")
    titles = {g.id: g.title for g in content.guidance.values()}
    for path in write_report(cohort_report, out, titles):
        typer.echo(f"wrote {path}")
    typer.echo(f"{cohort_report.joined} joined, {cohort_report.answers} answers.")


# --- helpers --------------------------------------------------------------------------------------------


def _fail(message: str, *, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        _fail(str(exc), code=2)


def _content(settings: Settings) -> Content:
    content = load_content(settings.pathways_content_dir, parameters=settings.flow_parameters())
    if content.errors:
        _fail(f"the content has {len(content.errors)} errors; run `pathways lint`", code=2)
    if not scenario_ids(content):
        _fail("the content has no training scenarios (flows with kind: scenario)", code=2)
    return content


def _with_store(settings: Settings, work: Callable[[ConversationStore], Awaitable[T]], *, refused: int = 1) -> T:
    async def run() -> T:
        from bot.storage.sql import open_store

        store = await open_store(settings.database_url)
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except CohortError as exc:
        _fail(str(exc), code=refused)
    except (StorageError, ConfigError) as exc:
        _fail(str(exc))


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%-d %b %Y, %H:%M UTC")


def _live_link(settings: Settings, code: str) -> str | None:
    if settings.trainer_token is None:
        return None
    path = live_path(settings.trainer_token.get_secret_value(), code)
    base = (settings.public_base_url or "").rstrip("/")
    return f"{base}{path}" if base else f"{path}  (prefix your server's address, or set PUBLIC_BASE_URL)"
