"""Every node kind, walked as a conversation over the demo flow."""

import pytest


def test_choice_number_yes_no_text_route_and_end(demo_bot):
    demo_bot.start("demo")
    assert "Welcome to the demo." in demo_bot.pop_text()
    assert demo_bot.options() == ["Count things", "Tally a list", "Call the helper flow", "Emergency"]
    demo_bot.push("count things")
    demo_bot.push("4")
    assert demo_bot.answers()["how_many"] == 4
    demo_bot.push("yes")
    demo_bot.push("some words")
    assert demo_bot.answers()["words"] == "some words"
    assert demo_bot.outcomes() == ["refer_high"]
    assert "You recorded 4, at or above 3." in demo_bot.pop_text()
    assert "Demo Helpline: 0808 2000 247" in demo_bot.pop_text()


def test_checklist_counts_yes_answers(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("2")
    assert "1/3: First item?" in demo_bot.pop_text()
    demo_bot.push("yes")
    assert "2/3: Second item?" in demo_bot.pop_text()
    demo_bot.push("n")
    demo_bot.push("Y")
    assert demo_bot.answers()["how_many"] == 2
    assert demo_bot.outcomes() == ["low_outcome"]


def test_checklist_skip_goes_to_entering_the_total(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("2")
    demo_bot.push("yes")
    demo_bot.push("skip")
    assert "How many?" in demo_bot.pop_text()


def test_subflow_is_called_and_returns(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("3")
    assert demo_bot.options() == ["Alpha", "Bravo"]
    demo_bot.push("bravo")
    assert demo_bot.answers()["helper_answer"] == "b"
    assert demo_bot.outcomes() == ["helper_finished", "helper_done"]
    assert "The helper said b." in demo_bot.pop_text()


@pytest.mark.parametrize("bad", ["fourteen", "-3", "99", "11", "😀", "x" * 5000, "", "3.5", "1e3"])
def test_a_number_that_does_not_fit_gets_a_reprompt_and_changes_nothing(demo_bot, bad):
    demo_bot.start("demo")
    demo_bot.push("1")
    before = demo_bot.state()
    demo_bot.push(bad)
    assert "Please reply with a number from 0 to 10." in demo_bot.pop_text()
    assert demo_bot.state() == before


@pytest.mark.parametrize("bad", ["maybe", "🙂", "9", "x" * 5000])
def test_yes_no_reprompt(demo_bot, bad):
    demo_bot.start("demo")
    demo_bot.push("1")
    demo_bot.push("2")
    before = demo_bot.state()
    demo_bot.push(bad)
    assert "Please reply YES or NO." in demo_bot.pop_text()
    assert demo_bot.state() == before


def test_free_text_too_long_is_reprompted(demo_bot):
    demo_bot.start("demo")
    for message in ("1", "2", "yes"):
        demo_bot.push(message)
    demo_bot.push("x" * 51)
    assert "up to 50 characters" in demo_bot.pop_text()
    assert "words" not in demo_bot.answers()


def test_option_reply_by_number_text_or_fuzzy_and_reprompt(demo_bot):
    demo_bot.start("demo")
    demo_bot.push("zzz")
    assert "Please reply 1, 2, 3 or 4." in demo_bot.pop_text()
    demo_bot.push("tally a lst")  # a typo still picks the option
    assert "First item?" in demo_bot.pop_text()
