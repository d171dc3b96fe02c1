"""The cohort methods of the in-memory store (the reference the SQL stores are tested against)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.storage.cohorts import Cohort, CohortAnswer, CohortFinish, CohortResults, JoinResult, Membership

__all__ = ["MemoryCohorts"]


class MemoryCohorts:
    """Mixed into `MemoryStore`. No method awaits, so each runs atomically on the event loop."""

    def _init_cohorts(self) -> None:
        self.cohorts: dict[str, Cohort] = {}
        self.cohort_members: dict[tuple[str, int], str | None] = {}  # (code, number) -> user key, or None
        self.cohort_answers: dict[tuple[str, int, str, str], CohortAnswer] = {}
        self.cohort_finishes: dict[tuple[str, int, str, str], CohortFinish] = {}

    async def create_cohort(self, cohort: Cohort) -> bool:
        if cohort.code in self.cohorts:
            return False
        self.cohorts[cohort.code] = dataclasses.replace(cohort, participants=0)
        return True

    async def get_cohort(self, code: str) -> Cohort | None:
        return self.cohorts.get(code)

    async def list_cohorts(self) -> list[Cohort]:
        return sorted(self.cohorts.values(), key=lambda c: c.created_at, reverse=True)

    def _member_of(self, user_key: str) -> tuple[str, int] | None:
        return next((k for k, v in self.cohort_members.items() if v == user_key), None)

    async def join_cohort(self, code: str, user_key: str, now: dt.datetime) -> JoinResult | None:
        cohort = self.cohorts.get(code)
        if cohort is None or cohort.expired(now):
            return None
        current = self._member_of(user_key)
        if current is not None and current[0] == code:
            return JoinResult(current[1], already=True)
        if current is not None:
            self.cohort_members[current] = None
        number = cohort.participants + 1
        self.cohorts[code] = dataclasses.replace(cohort, participants=number)
        self.cohort_members[(code, number)] = user_key
        return JoinResult(number, left=current[0] if current else None)

    async def cohort_membership(self, user_key: str) -> Membership | None:
        current = self._member_of(user_key)
        if current is None or current[0] not in self.cohorts:
            return None
        return Membership(self.cohorts[current[0]], current[1])

    def _open(self, code: str, at: dt.datetime) -> bool:
        cohort = self.cohorts.get(code)
        return cohort is not None and not cohort.expired(at)

    async def record_cohort_answer(self, answer: CohortAnswer) -> bool:
        key = (answer.cohort, answer.participant, answer.scenario, answer.node)
        if key in self.cohort_answers or not self._open(answer.cohort, answer.answered_at):
            return False
        self.cohort_answers[key] = answer
        return True

    async def record_cohort_finish(self, finish: CohortFinish) -> bool:
        key = (finish.cohort, finish.participant, finish.scenario, finish.outcome)
        if key in self.cohort_finishes or not self._open(finish.cohort, finish.finished_at):
            return False
        self.cohort_finishes[key] = finish
        return True

    async def cohort_results(self, code: str) -> CohortResults | None:
        cohort = self.cohorts.get(code)
        if cohort is None:
            return None
        answers = sorted((a for a in self.cohort_answers.values() if a.cohort == code),
                         key=lambda a: (a.answered_at, a.participant))
        finishes = sorted((f for f in self.cohort_finishes.values() if f.cohort == code),
                          key=lambda f: (f.finished_at, f.participant))
        return CohortResults(cohort, tuple(answers), tuple(finishes))

    def _unlink(self, user_key: str) -> None:
        current = self._member_of(user_key)
        if current is not None:
            self.cohort_members[current] = None

    async def purge_cohorts(self, now: dt.datetime) -> int:
        expired = {code for code, cohort in self.cohorts.items() if cohort.expired(now)}
        deleted = 0
        for table in (self.cohort_answers, self.cohort_finishes, self.cohort_members):
            for key in [k for k in table if k[0] in expired]:
                del table[key]
                deleted += 1
        for code in expired:
            del self.cohorts[code]
        return deleted + len(expired)
