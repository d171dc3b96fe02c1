"""Immediate-danger detection: precision and recall on a labelled set, and first place in every reply."""

from pathlib import Path

import pytest
import yaml

from bot.safety import detect_danger, detect_personal_data

CASES = yaml.safe_load((Path(__file__).parent / "danger_cases.yaml").read_text())


def test_recall_and_precision_on_the_labelled_set():
    danger = CASES["danger"]
    benign = CASES["benign"]
    caught = [m for m in danger if detect_danger(m)]
    false_alarms = [m for m in benign if detect_danger(m)]
    recall = len(caught) / len(danger)
    precision = len(caught) / (len(caught) + len(false_alarms))
    assert recall >= 0.95, sorted(set(danger) - set(caught))
    assert precision >= 0.95, false_alarms


@pytest.mark.parametrize("message", ["he's here now", "i can't breathe", "he has a knife"])
def test_emergency_comes_first_in_every_state(demo_bot, message):
    for setup in ([], ["1"], ["1", "4"], ["2", "yes"]):
        demo_bot.start("demo")
        for text in setup:
            demo_bot.push(text)
        before = demo_bot.state()
        demo_bot.push(message)
        reply = demo_bot.last
        assert reply.messages[0].kind == "emergency"
        assert "999" in reply.messages[0].text and "55" in reply.messages[0].text
        # the conversation continues: the flow's question is re-asked, nothing advanced
        assert demo_bot.state()["frames"] == before["frames"]


@pytest.mark.parametrize(("message", "kinds"), [
    ("her NHS number is 943 476 5919", ["nhs_number"]),
    ("she lives at W6 9XX", ["postcode"]),
    ("call her on 07700 900123", ["phone"]),
    ("email jane.doe@example.org", ["email"]),
    ("Jane Smith dob 12/03/1985", ["name_and_date_of_birth"]),
    ("what is the marac threshold", []),
    ("14 yes answers", []),
])
def test_personal_data_is_spotted(message, kinds):
    assert detect_personal_data(message) == kinds


def test_personal_data_gets_a_warning_and_is_not_stored(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("3")
    demo_bot.push("her postcode is W6 9XX")
    assert "Please don't share names" in demo_bot.pop_text()
    assert "W6 9XX" not in str(demo_bot.state())
