"""Every naughty string, typed at every kind of question, gets an answer and loses nothing."""

from __future__ import annotations

import pytest

from bot.engine.answers import match_choice, read_number, read_yes_no
from bot.engine.outbound import Choice
from tests.naughty import naughty_strings

# Answers that reach each question kind of the demo flow from its start.
PATHS = {
    "choice": [],
    "number": ["1"],
    "yes_no": ["1", "3"],
    "free text": ["1", "3", "yes"],
    "checklist": ["2"],
}


def test_answer_readers_never_raise():
    choices = (Choice("1", "Yes, she consents"), Choice("2", "No"))
    for text in naughty_strings():
        match_choice(text, choices)
        read_number(text, 0, 24)
        read_yes_no(text)


def test_superscripts_are_not_numbers_but_other_scripts_digits_are():
    choices = (Choice("1", "Yes"), Choice("2", "No"))
    assert match_choice("\u2070\u2074\u2075", choices) is None  # superscript digits: isdigit() but not int()
    assert match_choice("\u00b9", choices) is None
    assert read_number("\u00b9\u2074", 0, 24) is None
    assert match_choice("\u0661", choices) == choices[0]  # Arabic-Indic one
    assert read_number("\u0661\u0664", 0, 24) == 14


@pytest.mark.parametrize("kind", list(PATHS))
def test_every_naughty_string_at_every_question_kind(demo_bot, kind):
    demo_bot.start("demo")
    for answer in PATHS[kind]:
        demo_bot.push(answer)
    where = demo_bot.state()["frames"]
    for text in naughty_strings():
        reply = demo_bot.push(text)
        assert reply.messages, repr(text[:40])
        if demo_bot.state()["frames"] != where:  # it was a valid answer: go back to the same question
            demo_bot.push("back")
            assert demo_bot.state()["frames"] == where, repr(text[:40])
