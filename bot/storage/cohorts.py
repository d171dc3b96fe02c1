"""The cohort part of the store contract: training sessions joined by code, and their anonymous answers.

A participant is a number within a cohort. The only link from a user key to that number is the membership
row, which FORGET (`erase`) and joining another cohort clear; the answers themselves carry no user key and
are deleted, with the cohort, when it expires (`purge_cohorts`, also run by `purge`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Cohort",
    "CohortAnswer",
    "CohortFinish",
    "CohortResults",
    "CohortStore",
    "JoinResult",
    "Membership",
]


@dataclass(frozen=True)
class Cohort:
    """A training session: its join code, a name for people to recognise, the scenarios it runs."""

    code: str
    name: str
    scenarios: tuple[str, ...]
    created_at: dt.datetime
    expires_at: dt.datetime
    participants: int = 0  # participant numbers handed out so far (people who joined)

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True)
class Membership:
    """The cohort a user key is in now, and its participant number there."""

    cohort: Cohort
    participant: int


@dataclass(frozen=True)
class JoinResult:
    """What `join_cohort` did: the participant number, whether it was already held, the cohort left."""

    participant: int
    already: bool = False
    left: str | None = None  # code of the cohort this key was in before


@dataclass(frozen=True)
class CohortAnswer:
    """One decision: which option a participant chose first at one node of a scenario."""

    cohort: str
    participant: int
    scenario: str
    node: str
    option: str
    score: int | None
    recommended: bool | None
    answered_at: dt.datetime


@dataclass(frozen=True)
class CohortFinish:
    """A participant reached an end of a scenario (e.g. scenario_complete, emergency)."""

    cohort: str
    participant: int
    scenario: str
    outcome: str
    finished_at: dt.datetime


@dataclass(frozen=True)
class CohortResults:
    """Everything a report needs, in answer order."""

    cohort: Cohort
    answers: tuple[CohortAnswer, ...]
    finishes: tuple[CohortFinish, ...]


class CohortStore(Protocol):
    """Implemented by every conversation store (in-memory, SQLite, PostgreSQL)."""

    async def create_cohort(self, cohort: Cohort) -> bool:
        """Save a new cohort; False (and nothing saved) if its code is already taken."""

    async def get_cohort(self, code: str) -> Cohort | None:
        """The cohort with this code, expired or not, until it is purged."""

    async def list_cohorts(self) -> list[Cohort]:
        """Every cohort not yet purged, newest first."""

    async def join_cohort(self, code: str, user_key: str, now: dt.datetime) -> JoinResult | None:
        """Give this key a participant number (leaving any other cohort); None if no unexpired cohort has the code.

        Joining the cohort the key is already in keeps its number (`already=True`).
        """

    async def cohort_membership(self, user_key: str) -> Membership | None:
        """The cohort this key is in now, if any."""

    async def record_cohort_answer(self, answer: CohortAnswer) -> bool:
        """Keep a participant's first answer at a node; False if one was already kept or the cohort expired."""

    async def record_cohort_finish(self, finish: CohortFinish) -> bool:
        """Keep the first time a participant reached this outcome; False if already kept or the cohort expired."""

    async def cohort_results(self, code: str) -> CohortResults | None:
        """The cohort and all its answers and finishes; None if there is no such cohort."""

    async def purge_cohorts(self, now: dt.datetime) -> int:
        """Delete expired cohorts with their memberships, answers and finishes; returns rows deleted."""
