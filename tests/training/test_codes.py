"""Join codes are unambiguous on a slide, and JOIN messages are recognised in the ways people type them."""

from __future__ import annotations

import pytest

from bot.training.codes import CODE_ALPHABET, CODE_LENGTH, is_code, new_code, normalise_code
from bot.training.joining import join_request


def test_codes_never_use_characters_people_confuse():
    assert not set(CODE_ALPHABET) & set("0O1I")
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000  # 32**6 codes: no repeats in a few thousand
    assert all(len(c) == CODE_LENGTH and is_code(c) for c in codes)


@pytest.mark.parametrize(("typed", "code"), [
    ("k7px3m", "K7PX3M"), ("K7P-X3M", "K7PX3M"), (" k7p x3m ", "K7PX3M"), ("k7p.x3m", "K7PX3M")])
def test_a_code_is_read_as_people_type_it(typed, code):
    assert normalise_code(typed) == code and is_code(normalise_code(typed))


@pytest.mark.parametrize("typed", ["K7PX30", "K7PXOM", "K7PX1M", "K7PXIM", "K7PX3", "K7PX3MM", "K7PX3!"])
def test_ambiguous_or_wrong_length_codes_are_not_codes(typed):
    assert not is_code(normalise_code(typed))


@pytest.mark.parametrize(("text", "code"), [
    ("JOIN K7PX3M", "K7PX3M"), ("join k7px3m", "k7px3m"), ("Join: K7P-X3M.", "K7P-X3M"), ("/join K7PX3M", "K7PX3M"),
    ("/join@PathwaysBot K7PX3M", "K7PX3M"), ("JOIN", ""), ("/join", ""), ("  join  ", ""),
])
def test_join_messages(text, code):
    assert join_request(text) == code


@pytest.mark.parametrize("text", [
    "joining the MARAC", "how do I join a MARAC meeting as a new agency representative", "K7PX3M", "menu",
    "join me he is here now with a knife", None, "join " + "x" * 80,
])
def test_other_messages_are_not_joins(text):
    assert join_request(text) is None
