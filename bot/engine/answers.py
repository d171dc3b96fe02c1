"""Reading answers: numbers, yes/no, option choices and free text, strictly and kindly."""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

from bot.engine.outbound import Choice

__all__ = ["MAX_INPUT", "clean_input", "read_number", "read_yes_no", "match_choice"]

MAX_INPUT = 2000
_NUMBER = re.compile(r"^\s*([+-]?\d{1,6})\s*[.!]?\s*$")
_YES = {"y", "yes", "yeah", "yep", "yup", "ya", "yes please", "true", "correct", "affirmative", "ok yes"}
_NO = {"n", "no", "nope", "nah", "false", "not", "none", "no it was not", "never"}


def clean_input(text: object) -> str:
    """Text as typed, without control characters or NULs, whitespace folded, capped in length."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " " for ch in text[: MAX_INPUT * 2]
    )
    return " ".join(text.split())[:MAX_INPUT]


def read_number(text: str, low: int, high: int) -> int | None:
    """A whole number within [low, high], typed as digits; anything else is None."""
    match = _NUMBER.match(text)
    if not match:
        return None
    value = int(match.group(1))
    return value if low <= value <= high else None


def read_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when it is neither (also accepts 1 = yes, 2 = no)."""
    word = text.strip().strip(".!").casefold()
    if word in _YES or word == "1":
        return True
    if word in _NO or word == "2":
        return False
    return None


def match_choice(text: str, choices: tuple[Choice, ...] | list[Choice]) -> Choice | None:
    """The option a reply picks: its number, its key, its label, or a clear fuzzy match of the label."""
    reply = text.strip().strip(".!").casefold()
    if not reply:
        return None
    if reply.isdecimal():  # not isdigit: superscripts are "digits" that int() refuses
        index = int(reply) - 1
        return choices[index] if 0 <= index < len(choices) else None
    for choice in choices:
        if reply == choice.key.casefold() or reply == choice.label.casefold():
            return choice
    if len(reply) < 3:
        return None
    labels = [c.label.casefold() for c in choices]
    found = process.extract(reply, labels, scorer=fuzz.WRatio, limit=2)
    if not found or found[0][1] < 86:
        return None
    if len(found) > 1 and found[1][1] >= found[0][1] - 3:
        return None  # too close to call: ask again rather than guess
    return choices[found[0][2]]
