"""The engine's part in training: /scenario, the scenario list (all, or a cohort's), the running score and
its summary, and the events a cohort records from (answered, flow_ended, flow_left)."""

from __future__ import annotations

import pytest

from bot.engine import ConversationState, start_flow, step
from bot.engine.scenarios import scenario_ids, scenario_menu, summary_text
from bot.testing import TestBot
from tests.training.conftest import AE, SDAC


@pytest.fixture
def bot(shipped_content):
    bot = TestBot(shipped_content)
    yield bot
    bot.close()


def scenario_titles(content) -> list[str]:
    return [f.title for f in content.catalog.menu_flows(None, kind="scenario")]


def test_slash_scenario_opens_the_scenario_list_from_anywhere(bot):
    bot.push("hello")
    bot.push("/scenario")
    assert "Which scenario?" in bot.pop_text()
    assert bot.options() == scenario_titles(bot.content)
    bot.start("marac-referral")
    bot.push("/scenarios")
    assert bot.options() == scenario_titles(bot.content)
    assert [(e.name, e.flow) for e in bot.last.events] == [("flow_left", "marac-referral")]


def test_the_menu_entry_and_the_start_command_open_the_same_list(bot):
    bot.push("hello")
    bot.push(str(bot.options().index("Practise a scenario") + 1))
    from_menu = bot.options()
    bot.push("", start="menu:scenarios")
    assert bot.options() == from_menu == scenario_titles(bot.content)


def test_a_cohorts_list_shows_only_its_scenarios_in_its_order(shipped_content):
    turn = start_flow(shipped_content.catalog, ConversationState(), "menu:" + scenario_menu([SDAC, AE]))
    question = turn.messages[-1]
    assert question.text.startswith("Which scenario?")
    titles = [c.label for c in question.choices]
    assert titles == [shipped_content.catalog.get(SDAC).title, shipped_content.catalog.get(AE).title]
    picked = step(shipped_content.catalog, turn.state, "2")
    assert picked.state.frames[0].flow == AE


def test_starting_a_flow_mid_flow_leaves_it_rather_than_nesting(bot):
    bot.start("marac-referral")
    bot.start(AE)
    assert [(e.name, e.flow) for e in bot.last.events] == [("flow_left", "marac-referral"), ("flow_started", AE)]
    assert [f["flow"] for f in bot.state()["frames"]] == [AE]
    for answer in ("2", "2", "3", "1"):
        bot.push(answer)
    assert bot.outcomes() == ["scenario_complete"]  # ends cleanly: nothing to return into
    assert bot.state()["frames"] == []


def test_the_summary_counts_points_best_and_recommended_choices(bot):
    bot.start(AE)
    for answer in ("3", "1", "2", "2"):
        bot.push(answer)
    text = bot.pop_text()
    # -1 (treat and discharge) -1 (leave the children out) +0 (grade medium) -1 (leaflets) = -3; best 2+2+2+2.
    assert "Your result: -3 of a possible 8 points. You chose a recommended option at 0 of 4 decisions." in text
    ended = [e for e in bot.last.events if e.name == "flow_ended"]
    assert [(e.outcome, e.score) for e in ended] == [("scenario_complete", -3)]


def test_back_takes_a_changed_answers_points_back(bot):
    bot.start(AE)
    bot.push("3")
    bot.push("back")
    for answer in ("2", "2", "3", "1"):
        bot.push(answer)
    assert "Your result: 8 of a possible 8 points. You chose a recommended option at 4 of 4 decisions." in bot.pop_text()


def test_a_safety_check_where_every_answer_is_fine_is_not_scored(bot):
    bot.start(SDAC)
    answered = bot.push("1")
    event = next(e for e in answered.events if e.name == "answered")
    assert (event.node, event.recommended, event.score) == ("begin", True, 0)
    assert bot.state()["frames"][0]["scored"] is None  # not counted as a decision
    bot.start(SDAC)
    bot.push("2")  # someone is in danger: the practice stops at once, with no summary
    assert bot.outcomes() == ["emergency"]
    assert "Your result" not in bot.pop_text()


def test_every_decision_is_an_answered_event_with_its_score(bot):
    bot.start(AE)
    reply = bot.push("1")
    answered = [e for e in reply.events if e.name == "answered"]
    assert [(e.flow, e.node, e.option, e.score, e.recommended) for e in answered] == [
        (AE, "first_step", "1", 1, False)]
    assert "Calling 999 is right whenever someone is in immediate danger" in bot.pop_text()  # its feedback
    assert "Your result: 1 of a possible 2 points. You chose a recommended option at 0 of 1 decision." \
        in bot.pop_text()


def test_pathways_get_no_score_and_no_summary(bot):
    bot.start("marac-referral")
    assert bot.state()["frames"][0]["scored"] is None
    assert summary_text(None) is None


def test_scenario_menu_keys_round_trip():
    assert scenario_ids(scenario_menu()) == []
    assert scenario_ids(scenario_menu([AE, SDAC])) == [AE, SDAC]
    assert scenario_ids("main") is None
    assert scenario_ids("search:flow:x") is None
