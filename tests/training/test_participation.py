"""A training room, as the participants see it: join by code, decide, get feedback and a summary, and the
bad inputs (unknown or expired codes, joining twice, leaving mid-scenario, two cohorts, FORGET).

Runs on the in-memory store, SQLite and PostgreSQL alike (the `store` fixture)."""

from __future__ import annotations

from tests.training.conftest import AE, SDAC

# The A&E scenario's recommended path: ask privately, protect the children, MARAC on judgement, safe discharge.
RECOMMENDED_PATH = ["2", "2", "3", "1"]


async def test_a_participant_joins_decides_sees_feedback_and_ends_with_a_summary(room):
    cohort = await room.cohort()
    alice = room.person("+447700900001")

    reply = await alice.says(f"JOIN {cohort.code}")
    assert "never your messages" in reply  # first contact: the privacy notice first
    assert 'You joined "CCR Leaders, Leeds" as participant 1.' in reply
    assert "never your name or phone number" in reply
    assert "What do you do first?" in reply
    assert alice.options()[1] == "Ask her, alone, whether someone did this to her"

    reply = await alice.says("3")  # not recommended: the feedback says why
    assert "This misses a serious warning sign" in reply
    reply = await alice.says("2")
    assert "Yes. If he is likely to turn up at the house now" in reply
    reply = await alice.says("3")
    assert "A score under 14 can hide high risk" in reply
    reply = await alice.says("1")
    assert "Scenario complete" in reply
    assert "Your result: 5 of a possible 8 points. You chose a recommended option at 3 of 4 decisions." in reply
    assert "Thank you, participant 1: your choices are in the group's results" in reply
    assert reply.index("Your result") < reply.index("Thank you") < reply.index("Reply MENU")

    results = await room.results(cohort.code)
    assert {(a.participant, a.node, a.option, a.score, a.recommended) for a in results.answers} == {
        (1, "first_step", "3", -1, False), (1, "children", "2", 2, True),
        (1, "risk_score", "3", 2, True), (1, "discharge", "1", 2, True),
    }
    assert [(f.participant, f.outcome) for f in results.finishes] == [(1, "scenario_complete")]


async def test_each_person_gets_the_next_number_and_telegram_joins_with_a_slash_command(room):
    cohort = await room.cohort()
    assert "participant 1." in await room.person("sms-user").says(f"join {cohort.code.lower()}")
    assert "participant 2." in await room.person("42", channel="telegram").says(f"/join {cohort.code}")
    spaced = f"{cohort.code[:3]}-{cohort.code[3:]}"
    assert "participant 3." in await room.person("99", channel="telegram").says(f"/join@PathwaysBot {spaced}")
    assert (await room.store.get_cohort(cohort.code)).participants == 3


async def test_unknown_codes_and_things_that_are_not_codes_get_clear_messages(room):
    bob = room.person("bob")
    reply = await bob.says("JOIN ZZZZ22")
    assert "There is no training session with the code ZZZZ22." in reply
    assert "never 0, O, 1 or I" in reply
    assert "What do you need?" in reply  # a first contact still gets the menu
    reply = await bob.says("JOIN 07700 900123")
    assert "That is not a training code." in reply
    assert "07700" not in reply  # not echoed back
    reply = await bob.says("join")
    assert "send JOIN followed by the 6-character code" in reply
    assert await room.store.cohort_membership(bob.key) is None


async def test_a_refused_code_mid_scenario_keeps_your_place(room):
    cohort = await room.cohort()
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("2")
    reply = await alice.says("JOIN ZZZZ22")
    assert "There is no training session with the code ZZZZ22." in reply
    reply = await alice.says("2")  # still at the children question
    assert "Yes. If he is likely to turn up at the house now" in reply


async def test_an_expired_code_says_the_session_has_ended(room, clock):
    cohort = await room.cohort(days=1)
    clock.advance(days=1)
    reply = await room.person("carol").says(f"JOIN {cohort.code}")
    assert 'The training session "CCR Leaders, Leeds" has ended' in reply
    await room.store.purge_cohorts(clock.now)
    reply = await room.person("carol").says(f"JOIN {cohort.code}")
    assert f"There is no training session with the code {cohort.code}." in reply


async def test_joining_twice_keeps_your_number_and_your_place(room):
    cohort = await room.cohort()
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("2")
    reply = await alice.says(f"JOIN {cohort.code}")
    assert 'You are already in "CCR Leaders, Leeds" as participant 1.' in reply
    assert "Carry on with the question below" in reply
    assert "What do you do about the children?" in reply
    reply = await alice.says("2")
    assert "What do you do with a score of 11?" in reply
    # At the menu, joining again starts the scenario again, with the same number.
    await alice.says("menu")
    reply = await alice.says(f"JOIN {cohort.code}")
    assert "already in" in reply and "What do you do first?" in reply
    assert (await room.store.get_cohort(cohort.code)).participants == 1


async def test_leaving_mid_scenario_keeps_the_answers_so_far(room):
    cohort = await room.cohort()
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("2")
    reply = await alice.says("MENU")
    assert f"You left the scenario before the end. Your answers so far still count for the group; send JOIN " \
           f"{cohort.code} to start it again." in reply
    assert reply.index("You left") < reply.index("What do you need?")
    results = await room.results(cohort.code)
    assert [a.node for a in results.answers] == ["first_step"]
    assert results.finishes == ()


async def test_restarting_counts_only_the_first_answers(room):
    cohort = await room.cohort()
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("3")  # the first answer: treat and discharge
    reply = await alice.says("restart")
    assert "This run is just for you: the group's results keep your first answer at each decision." in reply
    for answer in RECOMMENDED_PATH:
        reply = await alice.says(answer)
    assert "Your result: 8 of a possible 8 points" in reply  # this run's summary
    first = {a.node: a.option for a in (await room.results(cohort.code)).answers}
    assert first == {"first_step": "3", "children": "2", "risk_score": "3", "discharge": "1"}


async def test_back_changes_the_summary_but_not_the_group_results(room):
    cohort = await room.cohort()
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("3")
    await alice.says("back")
    for answer in RECOMMENDED_PATH:
        reply = await alice.says(answer)
    assert "Your result: 8 of a possible 8 points. You chose a recommended option at 4 of 4 decisions." in reply
    answers = (await room.results(cohort.code)).answers
    assert {a.node: a.option for a in answers}["first_step"] == "3"


async def test_joining_a_second_cohort_leaves_the_first(room):
    morning = await room.cohort("Morning group")
    afternoon = await room.cohort("Afternoon group")
    alice = room.person("alice")
    await alice.says(f"JOIN {morning.code}")
    await alice.says("2")
    reply = await alice.says(f"JOIN {afternoon.code}")
    assert 'You have left your previous training session. You joined "Afternoon group" as participant 1.' in reply
    assert "What do you do first?" in reply
    await alice.says("3")
    assert [a.option for a in (await room.results(morning.code)).answers] == ["2"]
    assert [a.option for a in (await room.results(afternoon.code)).answers] == ["3"]
    assert (await room.store.cohort_membership(alice.key)).cohort.code == afternoon.code


async def test_forget_unlinks_the_participant_and_the_anonymous_answers_stay(room):
    cohort = await room.cohort()
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("2")
    reply = await alice.says("FORGET")
    assert "everything we held for you has been erased" in reply
    assert "You are no longer linked to participant 1." in reply
    assert await room.store.cohort_membership(alice.key) is None
    assert len((await room.results(cohort.code)).answers) == 1
    reply = await alice.says(f"JOIN {cohort.code}")
    assert "as participant 2." in reply  # a new, unlinked number


async def test_a_cohort_with_several_scenarios_lists_just_those(room):
    cohort = await room.cohort(scenarios=(SDAC, AE))
    alice = room.person("alice")
    reply = await alice.says(f"JOIN {cohort.code}")
    assert "Which scenario?" in reply
    assert alice.options() == [room.content.catalog.get(SDAC).title, room.content.catalog.get(AE).title]
    await alice.says("2")
    await alice.says("2")
    assert [(a.scenario, a.option) for a in (await room.results(cohort.code)).answers] == [(AE, "2")]


async def test_a_cohort_without_scenarios_offers_every_scenario(room):
    cohort = await room.cohort(scenarios=())
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    scenarios = [f.title for f in room.content.catalog.menu_flows(None, kind="scenario")]
    assert alice.options() == scenarios


async def test_answers_outside_the_cohorts_scenarios_are_not_recorded(room):
    cohort = await room.cohort(scenarios=(AE,))
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("/scenario")
    titles = alice.options()
    await alice.says(str(titles.index(room.content.catalog.get(SDAC).title) + 1))
    await alice.says("1")
    await alice.says("2")
    assert (await room.results(cohort.code)).answers == ()


async def test_after_the_session_ends_answers_are_not_collected(room, clock):
    cohort = await room.cohort(days=15 / (24 * 60))  # a 15-minute session
    alice = room.person("alice")
    await alice.says(f"JOIN {cohort.code}")
    await alice.says("2")
    clock.advance(minutes=20)
    reply = await alice.says("2")  # the conversation is still open (30 minutes) but the session is over
    assert "What do you do with a score of 11?" in reply
    assert "The training session has ended, so your answers no longer go to the group's results." in reply
    assert [a.node for a in (await room.results(cohort.code)).answers] == ["first_step"]


async def test_danger_is_never_taken_for_a_join(room):
    alice = room.person("alice")
    reply = await alice.says("join me he is here now with a knife")
    assert alice.last.danger
    assert "call 999 now" in reply
    assert "training" not in reply


async def test_an_opted_out_sms_sender_is_not_joined(room):
    cohort = await room.cohort()
    alice = room.person("alice")
    await room.store.set_opt_out(alice.key, True)
    assert await alice.says(f"JOIN {cohort.code}", unless_opted_out=True) == ""
    assert await room.store.cohort_membership(alice.key) is None


async def test_nothing_personal_is_stored(room):
    cohort = await room.cohort()
    phone = "+447700900123"
    alice = room.person(phone)
    await alice.says(f"JOIN {cohort.code}")
    for answer in RECOMMENDED_PATH:
        await alice.says(answer)
    results = await room.results(cohort.code)
    stored = repr(results) + repr(await room.store.cohort_membership(alice.key))
    assert phone not in stored and "7700900123" not in stored
    # The rows themselves carry no user key: only the code and the participant number.
    assert alice.key not in repr(results)


async def test_a_failure_recording_an_answer_never_costs_the_participant_their_reply(sqlite_url, shipped_content,
                                                                                   clock, caplog):
    import sqlite3

    from bot.storage.sql import open_store
    from bot.storage.sql_url import parse_database_url
    from tests.training.conftest import Room

    store = await open_store(sqlite_url)
    try:
        room = Room(shipped_content, store, clock)
        cohort = await room.cohort()
        alice = room.person("alice")
        await alice.says(f"JOIN {cohort.code}")
        with sqlite3.connect(parse_database_url(sqlite_url).sqlite_path) as db:
            db.execute("DROP TABLE cohort_answer")  # the database fails after the turn is saved
        reply = await alice.says("2")
        assert "Injuries that do not fit the story" in reply
        assert "cohort answer not recorded" in caplog.text
        assert "Yes. If he is likely to turn up at the house now" in await alice.says("2")  # the turn was kept
    finally:
        await store.close()
