"""The cohort methods of the SQLite store: plain SQL on its one connection, writes under BEGIN IMMEDIATE."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.storage.cohorts import Cohort, CohortAnswer, CohortFinish, CohortResults, JoinResult, Membership

__all__ = ["SqliteCohorts", "UNLINK_PARTICIPANT"]

_INSERT_COHORT = (
    "INSERT INTO cohort (code, name, scenarios, created_at, expires_at, participants) "
    "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (code) DO NOTHING"
)
_SELECT_COHORT = "SELECT code, name, scenarios, created_at, expires_at, participants FROM cohort WHERE code = ?"
_LIST_COHORTS = (
    "SELECT code, name, scenarios, created_at, expires_at, participants FROM cohort ORDER BY created_at DESC"
)
_MEMBERSHIP = (
    "SELECT p.participant_no, c.code, c.name, c.scenarios, c.created_at, c.expires_at, c.participants "
    "FROM cohort_participant p JOIN cohort c ON c.code = p.cohort_code WHERE p.user_key = ?"
)
_EXPIRED = "SELECT code FROM cohort WHERE expires_at <= ?"
_RECORD_ANSWER = """
    INSERT INTO cohort_answer
        (cohort_code, participant_no, scenario_id, node_id, option_key, score, recommended, answered_at)
    SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM cohort WHERE code = ? AND expires_at > ?)
    ON CONFLICT DO NOTHING
"""
_RECORD_FINISH = """
    INSERT INTO cohort_finish (cohort_code, participant_no, scenario_id, outcome, finished_at)
    SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM cohort WHERE code = ? AND expires_at > ?)
    ON CONFLICT DO NOTHING
"""
UNLINK_PARTICIPANT = "UPDATE cohort_participant SET user_key = NULL WHERE user_key = ?"


class SqliteCohorts:
    """Mixed into `SqliteStore`, which provides `_db()`, `_time_text` and `_time_of`."""

    def _cohort(self, row: Sequence) -> Cohort:
        code, name, scenarios, created_at, expires_at, participants = row
        return Cohort(code, name, tuple(s for s in scenarios.split(",") if s), self._time_of(created_at),
                      self._time_of(expires_at), participants)

    async def create_cohort(self, cohort: Cohort) -> bool:
        with self._db() as db:
            cursor = db.execute(
                _INSERT_COHORT,
                (cohort.code, cohort.name, ",".join(cohort.scenarios), self._time_text(cohort.created_at),
                 self._time_text(cohort.expires_at)),
            )
        return cursor.rowcount == 1

    async def get_cohort(self, code: str) -> Cohort | None:
        with self._db() as db:
            row = db.execute(_SELECT_COHORT, (code,)).fetchone()
        return self._cohort(row) if row else None

    async def list_cohorts(self) -> list[Cohort]:
        with self._db() as db:
            rows = db.execute(_LIST_COHORTS).fetchall()
        return [self._cohort(row) for row in rows]

    async def join_cohort(self, code: str, user_key: str, now: dt.datetime) -> JoinResult | None:
        at = self._time_text(now)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            if db.execute("SELECT 1 FROM cohort WHERE code = ? AND expires_at > ?", (code, at)).fetchone() is None:
                db.execute("ROLLBACK")
                return None
            current = db.execute("SELECT cohort_code, participant_no FROM cohort_participant WHERE user_key = ?",
                                 (user_key,)).fetchone()
            if current is not None and current[0] == code:
                db.execute("COMMIT")
                return JoinResult(current[1], already=True)
            if current is not None:
                db.execute(UNLINK_PARTICIPANT, (user_key,))
            (number,) = db.execute(
                "UPDATE cohort SET participants = participants + 1 WHERE code = ? RETURNING participants", (code,)
            ).fetchone()
            db.execute("INSERT INTO cohort_participant (cohort_code, participant_no, user_key, joined_at) "
                       "VALUES (?, ?, ?, ?)", (code, number, user_key, at))
            db.execute("COMMIT")
        return JoinResult(number, left=current[0] if current else None)

    async def cohort_membership(self, user_key: str) -> Membership | None:
        with self._db() as db:
            row = db.execute(
                _MEMBERSHIP,
                (user_key,),
            ).fetchone()
        return Membership(self._cohort(row[1:]), row[0]) if row else None

    async def record_cohort_answer(self, answer: CohortAnswer) -> bool:
        at = self._time_text(answer.answered_at)
        recommended = None if answer.recommended is None else int(answer.recommended)
        with self._db() as db:
            cursor = db.execute(_RECORD_ANSWER, (answer.cohort, answer.participant, answer.scenario, answer.node,
                                                 answer.option, answer.score, recommended, at, answer.cohort, at))
        return cursor.rowcount == 1

    async def record_cohort_finish(self, finish: CohortFinish) -> bool:
        at = self._time_text(finish.finished_at)
        with self._db() as db:
            cursor = db.execute(_RECORD_FINISH, (finish.cohort, finish.participant, finish.scenario, finish.outcome,
                                                 at, finish.cohort, at))
        return cursor.rowcount == 1

    async def cohort_results(self, code: str) -> CohortResults | None:
        with self._db() as db:
            db.execute("BEGIN")  # one snapshot for the three reads
            row = db.execute(_SELECT_COHORT, (code,)).fetchone()
            if row is None:
                db.execute("COMMIT")
                return None
            answers = db.execute(
                "SELECT participant_no, scenario_id, node_id, option_key, score, recommended, answered_at "
                "FROM cohort_answer WHERE cohort_code = ? ORDER BY answered_at, participant_no", (code,)
            ).fetchall()
            finishes = db.execute(
                "SELECT participant_no, scenario_id, outcome, finished_at FROM cohort_finish "
                "WHERE cohort_code = ? ORDER BY finished_at, participant_no", (code,)
            ).fetchall()
            db.execute("COMMIT")
        return CohortResults(
            self._cohort(row),
            tuple(CohortAnswer(code, p, s, n, o, score, None if rec is None else bool(rec), self._time_of(at))
                  for p, s, n, o, score, rec, at in answers),
            tuple(CohortFinish(code, p, s, outcome, self._time_of(at)) for p, s, outcome, at in finishes),
        )

    async def purge_cohorts(self, now: dt.datetime) -> int:
        at = self._time_text(now)
        deleted = 0
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            for table in ("cohort_answer", "cohort_finish", "cohort_participant"):
                deleted += db.execute(f"DELETE FROM {table} WHERE cohort_code IN ({_EXPIRED})", (at,)).rowcount  # noqa: S608 - fixed names
            deleted += db.execute("DELETE FROM cohort WHERE expires_at <= ?", (at,)).rowcount
            db.execute("COMMIT")
        return deleted
