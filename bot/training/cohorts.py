"""Creating a cohort, and reading one for a report: the rules a trainer meets at the command line."""

from __future__ import annotations

import datetime as dt

from bot.content.library import Content
from bot.errors import CohortError
from bot.storage.cohorts import Cohort, CohortResults, CohortStore
from bot.training.codes import is_code, new_code, normalise_code

__all__ = ["create_cohort", "open_results", "scenario_ids", "MAX_EXPIRY", "MIN_EXPIRY", "MAX_NAME"]

MIN_EXPIRY = dt.timedelta(minutes=10)
MAX_EXPIRY = dt.timedelta(days=90)  # training answers are kept for a session, not for ever
MAX_NAME = 80
_DRAWS = 8


def scenario_ids(content: Content) -> list[str]:
    """The training scenarios in the content, in menu order."""
    return [f.id for f in content.catalog.menu_flows(None, kind="scenario")] or sorted(
        f.id for f in content.catalog if f.kind == "scenario")


async def create_cohort(store: CohortStore, content: Content, *, name: str, scenarios: list[str] | tuple[str, ...],
                        expires_in: dt.timedelta, now: dt.datetime) -> Cohort:
    """Check the name, scenarios and expiry; save the cohort under a fresh join code and return it."""
    name = " ".join(name.split())
    if not name:
        raise CohortError("--name: give the session a name participants will recognise, e.g. 'CCR Leaders, March'")
    if len(name) > MAX_NAME:
        raise CohortError(f"--name: {len(name)} characters; keep it to {MAX_NAME}")
    known = scenario_ids(content)
    for scenario in scenarios:
        flow = content.catalog.get(scenario)
        if flow is None or flow.kind != "scenario":
            raise CohortError(f"--scenario: no training scenario '{scenario}'; known: {', '.join(known)}")
    if len(set(scenarios)) != len(scenarios):
        raise CohortError("--scenario: a scenario is listed twice")
    if not MIN_EXPIRY <= expires_in <= MAX_EXPIRY:
        raise CohortError("--expires: between 10 minutes (10m) and 90 days (90d); the answers are deleted then")
    for _ in range(_DRAWS):
        cohort = Cohort(new_code(), name, tuple(scenarios), now, now + expires_in)
        if await store.create_cohort(cohort):
            return cohort
    raise CohortError("could not find an unused join code; try again")  # 8 collisions in 10**9: never


async def open_results(store: CohortStore, code: str, now: dt.datetime) -> CohortResults:
    """A cohort's results for a report; CohortError for an unknown or expired code."""
    code = normalise_code(code)
    results = await store.cohort_results(code) if is_code(code) else None
    if results is None:
        raise CohortError(f"no cohort has the code {code!r} (a cohort's data is deleted when it expires)")
    if results.cohort.expired(now):
        ended = results.cohort.expires_at.strftime("%d %b %Y %H:%M UTC")
        raise CohortError(f"cohort {code} ({results.cohort.name}) ended on {ended}; its answers are deleted")
    return results
