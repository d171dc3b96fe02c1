"""The MARAC flow held to the SafeLives criteria exactly (boundaries on every criterion)."""

import pytest

from bot.content.library import load_content
from bot.testing import TestBot
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def marac_content():
    content = load_content(ROOT, flow_paths=[ROOT / "flows" / "marac-referral.yaml"], with_knowledge=False)
    assert not content.errors, [str(p) for p in content.errors]
    return content


def walk(content, *, score=None, incidents=0, previous_months=None, new_incident=True, concern=False,
         children=False, parameters=None):
    if parameters:
        content.catalog.overrides = parameters
    bot = TestBot(content)
    bot.start("marac-referral")
    bot.push("1")  # safe to talk
    if score is None:
        bot.push("3")  # RIC cannot be done now
    else:
        bot.push("1")
        bot.push(str(score))
    bot.push(str(incidents))
    if previous_months is None:
        bot.push("no")
    else:
        bot.push("yes")
        bot.push(str(previous_months))
        bot.push("yes" if new_incident else "no")
    bot.push("yes" if concern else "no")
    if concern:
        bot.push("she is terrified after he strangled her")
    if bot.question() and bot.question().text.startswith("Has she given informed consent"):
        bot.push("1")
    bot.push("yes" if children else "no")
    outcome = bot.outcomes()
    answers = bot.answers()
    bot.close()
    content.catalog.overrides = {}
    return outcome, answers


@pytest.mark.parametrize(("score", "expected"), [(13, ["refer_idva_support"]), (14, ["refer_marac"]),
                                                 (24, ["refer_marac"]), (0, ["refer_idva_support"])])
def test_visible_high_risk_is_14_or_more(marac_content, score, expected):
    assert walk(marac_content, score=score)[0] == expected


@pytest.mark.parametrize(("incidents", "expected"), [(2, ["refer_idva_support"]), (3, ["refer_marac"])])
def test_potential_escalation_is_3_incidents_by_default(marac_content, incidents, expected):
    assert walk(marac_content, score=5, incidents=incidents)[0] == expected


def test_escalation_threshold_is_configurable(marac_content):
    assert walk(marac_content, score=5, incidents=3, parameters={"escalation_incidents": 4})[0] == [
        "refer_idva_support"]
    assert walk(marac_content, score=5, incidents=4, parameters={"escalation_incidents": 4})[0] == ["refer_marac"]


@pytest.mark.parametrize(("months", "expected"), [(11, ["refer_marac"]), (12, ["refer_marac"]),
                                                  (13, ["refer_idva_support"])])
def test_repeat_marac_is_any_incident_within_12_months(marac_content, months, expected):
    assert walk(marac_content, score=3, previous_months=months)[0] == expected


def test_no_new_incident_since_the_last_referral_is_not_a_repeat(marac_content):
    assert walk(marac_content, score=3, previous_months=9, new_incident=False)[0] == ["refer_idva_support"]


def test_professional_judgement_refers_with_a_low_score_and_keeps_no_reason(marac_content):
    outcome, answers = walk(marac_content, score=4, concern=True)
    assert outcome == ["refer_marac"]
    assert "strangled" not in str(answers)  # the reason is never stored


def test_children_below_threshold_lead_to_safeguarding(marac_content):
    assert walk(marac_content, score=5, children=True)[0] == ["safeguarding_children"]


def test_no_score_can_still_refer_on_judgement(marac_content):
    assert walk(marac_content, score=None, concern=True)[0] == ["refer_marac"]


@pytest.mark.parametrize("bad", ["fourteen", "25", "-3", "14.5", "🙂", "x" * 5000])
def test_invalid_scores_are_reprompted(marac_content, bad):
    bot = TestBot(marac_content)
    bot.start("marac-referral")
    bot.push("1")
    bot.push("1")
    before = bot.state()
    bot.push(bad)
    assert "Please reply with a number from 0 to 24" in bot.pop_text()
    assert bot.state() == before
    bot.close()


def test_immediate_danger_ends_with_emergency(marac_content):
    bot = TestBot(marac_content)
    bot.start("marac-referral")
    bot.push("2")
    assert bot.outcomes() == ["emergency"]
    assert "999" in bot.pop_text() and "55" in bot.pop_text()
    bot.close()
