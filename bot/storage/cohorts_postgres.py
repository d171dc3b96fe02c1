"""The cohort methods of the PostgreSQL store: raw asyncpg; a join holds the user key's advisory lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.storage.cohorts import Cohort, CohortAnswer, CohortFinish, CohortResults, JoinResult, Membership

__all__ = ["PostgresCohorts", "UNLINK_PARTICIPANT"]

_INSERT_COHORT = (
    "INSERT INTO cohort (code, name, scenarios, created_at, expires_at, participants) "
    "VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (code) DO NOTHING"
)
_SELECT_COHORT = "SELECT code, name, scenarios, created_at, expires_at, participants FROM cohort WHERE code = $1"
_LIST_COHORTS = (
    "SELECT code, name, scenarios, created_at, expires_at, participants FROM cohort ORDER BY created_at DESC"
)
_MEMBERSHIP = (
    "SELECT p.participant_no, c.code, c.name, c.scenarios, c.created_at, c.expires_at, c.participants "
    "FROM cohort_participant p JOIN cohort c ON c.code = p.cohort_code WHERE p.user_key = $1"
)
_LOCK_KEY = "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))"  # the same lock a turn takes
_RECORD_ANSWER = """
    INSERT INTO cohort_answer
        (cohort_code, participant_no, scenario_id, node_id, option_key, score, recommended, answered_at)
    SELECT $1::text, $2::integer, $3::text, $4::text, $5::text, $6::integer, $7::boolean, $8::timestamptz
    WHERE EXISTS (SELECT 1 FROM cohort WHERE code = $1 AND expires_at > $8)
    ON CONFLICT DO NOTHING
"""
_RECORD_FINISH = """
    INSERT INTO cohort_finish (cohort_code, participant_no, scenario_id, outcome, finished_at)
    SELECT $1::text, $2::integer, $3::text, $4::text, $5::timestamptz
    WHERE EXISTS (SELECT 1 FROM cohort WHERE code = $1 AND expires_at > $5)
    ON CONFLICT DO NOTHING
"""
_PURGE_COHORTS = """
    WITH expired AS (DELETE FROM cohort WHERE expires_at <= $1 RETURNING code),
         answers AS (DELETE FROM cohort_answer WHERE cohort_code IN (SELECT code FROM expired) RETURNING 1),
         finishes AS (DELETE FROM cohort_finish WHERE cohort_code IN (SELECT code FROM expired) RETURNING 1),
         members AS (DELETE FROM cohort_participant WHERE cohort_code IN (SELECT code FROM expired) RETURNING 1)
    SELECT (SELECT count(*) FROM expired) + (SELECT count(*) FROM answers) + (SELECT count(*) FROM finishes)
         + (SELECT count(*) FROM members)
"""
UNLINK_PARTICIPANT = "UPDATE cohort_participant SET user_key = NULL WHERE user_key = $1"


def _inserted(status: str) -> bool:
    return status.rsplit(" ", 1)[-1] == "1"  # "INSERT 0 1"


def _cohort(row: Sequence) -> Cohort:
    code, name, scenarios, created_at, expires_at, participants = row
    return Cohort(code, name, tuple(s for s in scenarios.split(",") if s), created_at, expires_at, participants)


class PostgresCohorts:
    """Mixed into `PostgresStore`, which provides `_pool`, `_connection()` and `_translate(tx=None)`."""

    async def create_cohort(self, cohort: Cohort) -> bool:
        async with self._translate():
            status = await self._pool.execute(
                _INSERT_COHORT,
                cohort.code, cohort.name, ",".join(cohort.scenarios), cohort.created_at, cohort.expires_at,
            )
        return _inserted(status)

    async def get_cohort(self, code: str) -> Cohort | None:
        async with self._translate():
            row = await self._pool.fetchrow(_SELECT_COHORT, code)
        return _cohort(row) if row else None

    async def list_cohorts(self) -> list[Cohort]:
        async with self._translate():
            rows = await self._pool.fetch(_LIST_COHORTS)
        return [_cohort(row) for row in rows]

    async def join_cohort(self, code: str, user_key: str, now: dt.datetime) -> JoinResult | None:
        async with self._connection() as conn:
            tx = conn.transaction()
            async with self._translate(tx):
                await tx.start()
                await conn.execute(_LOCK_KEY, user_key)
                if await conn.fetchval("SELECT 1 FROM cohort WHERE code = $1 AND expires_at > $2", code, now) is None:
                    await tx.rollback()
                    return None
                current = await conn.fetchrow(
                    "SELECT cohort_code, participant_no FROM cohort_participant WHERE user_key = $1", user_key)
                if current is not None and current[0] == code:
                    await tx.commit()
                    return JoinResult(current[1], already=True)
                if current is not None:
                    await conn.execute(UNLINK_PARTICIPANT, user_key)
                number = await conn.fetchval(
                    "UPDATE cohort SET participants = participants + 1 WHERE code = $1 RETURNING participants", code)
                await conn.execute("INSERT INTO cohort_participant (cohort_code, participant_no, user_key, joined_at) "
                                   "VALUES ($1, $2, $3, $4)", code, number, user_key, now)
                await tx.commit()
        return JoinResult(number, left=current[0] if current else None)

    async def cohort_membership(self, user_key: str) -> Membership | None:
        async with self._translate():
            row = await self._pool.fetchrow(
                _MEMBERSHIP,
                user_key,
            )
        return Membership(_cohort(tuple(row)[1:]), row[0]) if row else None

    async def record_cohort_answer(self, answer: CohortAnswer) -> bool:
        async with self._translate():
            status = await self._pool.execute(
                _RECORD_ANSWER, answer.cohort, answer.participant, answer.scenario, answer.node, answer.option,
                answer.score, answer.recommended, answer.answered_at,
            )
        return _inserted(status)

    async def record_cohort_finish(self, finish: CohortFinish) -> bool:
        async with self._translate():
            status = await self._pool.execute(
                _RECORD_FINISH, finish.cohort, finish.participant, finish.scenario, finish.outcome, finish.finished_at,
            )
        return _inserted(status)

    async def cohort_results(self, code: str) -> CohortResults | None:
        async with self._connection() as conn:
            tx = conn.transaction(isolation="repeatable_read", readonly=True)  # one snapshot for the three reads
            async with self._translate(tx):
                await tx.start()
                row = await conn.fetchrow(_SELECT_COHORT, code)
                answers = await conn.fetch(
                    "SELECT participant_no, scenario_id, node_id, option_key, score, recommended, answered_at "
                    "FROM cohort_answer WHERE cohort_code = $1 ORDER BY answered_at, participant_no", code)
                finishes = await conn.fetch(
                    "SELECT participant_no, scenario_id, outcome, finished_at FROM cohort_finish "
                    "WHERE cohort_code = $1 ORDER BY finished_at, participant_no", code)
                await tx.commit()
        if row is None:
            return None
        return CohortResults(
            _cohort(row),
            tuple(CohortAnswer(code, *tuple(a)) for a in answers),
            tuple(CohortFinish(code, *tuple(f)) for f in finishes),
        )

    async def purge_cohorts(self, now: dt.datetime) -> int:
        async with self._translate():
            return await self._pool.fetchval(_PURGE_COHORTS, now)
