"""The cohort part of the store contract, on the in-memory reference, SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

from bot.storage.cohorts import Cohort, CohortAnswer, CohortFinish, JoinResult

START = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


def cohort(code="K7PX3M", *, days=7, scenarios=("scenario-ae-strangulation",), name="CCR Leaders, Leeds") -> Cohort:
    return Cohort(code, name, tuple(scenarios), START, START + dt.timedelta(days=days))


def answer(participant, node="first_step", option="2", *, code="K7PX3M", score=2, recommended=True, minutes=1):
    return CohortAnswer(code, participant, "scenario-ae-strangulation", node, option, score, recommended,
                        START + dt.timedelta(minutes=minutes))


async def test_a_cohort_is_created_once_and_read_back(store):
    assert await store.create_cohort(cohort()) is True
    assert await store.create_cohort(cohort(name="someone else's")) is False  # the code is taken
    saved = await store.get_cohort("K7PX3M")
    assert saved == cohort()
    assert saved.expires_at.tzinfo is not None
    assert await store.get_cohort("ZZZZZZ") is None
    await store.create_cohort(cohort("ABC234", scenarios=()))
    assert [c.code for c in await store.list_cohorts()] in (["K7PX3M", "ABC234"], ["ABC234", "K7PX3M"])
    assert (await store.get_cohort("ABC234")).scenarios == ()


async def test_joining_hands_out_numbers_in_order_and_joining_twice_keeps_yours(store):
    await store.create_cohort(cohort())
    assert await store.join_cohort("K7PX3M", "alice", START) == JoinResult(1)
    assert await store.join_cohort("K7PX3M", "bob", START) == JoinResult(2)
    assert await store.join_cohort("K7PX3M", "alice", START) == JoinResult(1, already=True)
    assert (await store.get_cohort("K7PX3M")).participants == 2
    membership = await store.cohort_membership("bob")
    assert (membership.cohort.code, membership.participant) == ("K7PX3M", 2)
    assert await store.cohort_membership("carol") is None


async def test_unknown_and_expired_codes_cannot_be_joined(store):
    await store.create_cohort(cohort(days=1))
    assert await store.join_cohort("NOPE22", "alice", START) is None
    assert await store.join_cohort("K7PX3M", "alice", START + dt.timedelta(days=1)) is None
    assert await store.cohort_membership("alice") is None


async def test_joining_a_second_cohort_leaves_the_first(store):
    await store.create_cohort(cohort())
    await store.create_cohort(cohort("ABC234"))
    await store.join_cohort("K7PX3M", "alice", START)
    assert await store.join_cohort("ABC234", "alice", START) == JoinResult(1, left="K7PX3M")
    assert (await store.cohort_membership("alice")).cohort.code == "ABC234"
    # Back to the first: a new number, the old one stays unlinked.
    assert await store.join_cohort("K7PX3M", "alice", START) == JoinResult(2, left="ABC234")


async def test_first_answer_counts_and_later_ones_are_ignored(store):
    await store.create_cohort(cohort())
    await store.join_cohort("K7PX3M", "alice", START)
    assert await store.record_cohort_answer(answer(1)) is True
    assert await store.record_cohort_answer(answer(1, option="1", score=1, recommended=False, minutes=2)) is False
    assert await store.record_cohort_answer(answer(1, node="children", option="3", score=-1, recommended=False,
                                                   minutes=3)) is True
    finish = CohortFinish("K7PX3M", 1, "scenario-ae-strangulation", "scenario_complete", START + dt.timedelta(minutes=9))
    assert await store.record_cohort_finish(finish) is True
    assert await store.record_cohort_finish(finish) is False
    results = await store.cohort_results("K7PX3M")
    assert results.cohort.code == "K7PX3M"
    assert results.answers == (answer(1), answer(1, node="children", option="3", score=-1, recommended=False,
                                                  minutes=3))
    assert results.finishes == (finish,)
    assert await store.cohort_results("NOPE22") is None


async def test_answers_after_expiry_are_not_kept(store):
    await store.create_cohort(cohort(days=1))
    late = answer(1, minutes=24 * 60)
    assert await store.record_cohort_answer(late) is False
    assert await store.record_cohort_answer(answer(1, code="NOPE22")) is False
    assert (await store.cohort_results("K7PX3M")).answers == ()


async def test_erase_unlinks_the_participant_number_but_keeps_the_anonymous_answers(store):
    await store.create_cohort(cohort())
    await store.join_cohort("K7PX3M", "alice", START)
    await store.record_cohort_answer(answer(1))
    await store.erase("alice")
    assert await store.cohort_membership("alice") is None
    assert len((await store.cohort_results("K7PX3M")).answers) == 1
    # Joining again after FORGET is a new, unlinked participant.
    assert await store.join_cohort("K7PX3M", "alice", START) == JoinResult(2)


async def test_expired_cohorts_are_purged_with_everything_they_hold(store, clock):
    await store.create_cohort(cohort(days=1))
    await store.create_cohort(cohort("ABC234", days=30))
    for key in ("alice", "bob"):
        await store.join_cohort("K7PX3M", key, START)
    await store.join_cohort("ABC234", "carol", START)
    await store.record_cohort_answer(answer(1))
    await store.record_cohort_answer(answer(2))
    await store.record_cohort_answer(answer(1, code="ABC234"))
    await store.record_cohort_finish(CohortFinish("K7PX3M", 1, "scenario-ae-strangulation", "emergency", START))
    assert await store.purge_cohorts(START + dt.timedelta(hours=23)) == 0
    # 1 cohort + 2 members + 2 answers + 1 finish
    assert await store.purge_cohorts(START + dt.timedelta(days=1)) == 6
    assert await store.get_cohort("K7PX3M") is None
    assert await store.cohort_results("K7PX3M") is None
    assert await store.cohort_membership("alice") is None
    assert (await store.cohort_membership("carol")).cohort.code == "ABC234"
    assert len((await store.cohort_results("ABC234")).answers) == 1
    # The regular purge removes expired cohorts too.
    assert await store.purge(dt.timedelta(days=365), now=START + dt.timedelta(days=31)) == 3
    assert await store.list_cohorts() == []


async def test_people_joining_at_once_get_distinct_numbers(store):
    import asyncio

    await store.create_cohort(cohort())
    results = await asyncio.gather(*(store.join_cohort("K7PX3M", f"person-{n}", START) for n in range(20)))
    assert sorted(r.participant for r in results) == list(range(1, 21))
    assert (await store.get_cohort("K7PX3M")).participants == 20
