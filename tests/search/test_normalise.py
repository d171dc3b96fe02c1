from __future__ import annotations

import pytest

from bot.search.normalise import Spellings, fold, stem, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Clare's Law", ["clares", "law"]),
        ("Clare\u2019s law", ["clares", "law"]),
        ("A&E", ["a", "and", "e"]),
        ("DV / DA?!", ["dv", "da"]),
        ("Café naïve", ["cafe", "naive"]),
        ("N.H.S. trust", ["nhs", "trust"]),
        ("non-fatal strangulation", ["non", "fatal", "strangulation"]),
        ("\uff2d\uff21\uff32\uff21\uff23", ["marac"]),  # full-width letters
        ("14+ yes answers", ["14", "yes", "answers"]),
        ("domestic\x00abuse\x1f", ["domestic", "abuse"]),
        ("\U0001f600\U0001f44d", []),
        ("\u0434\u043e\u043c\u0430\u0448\u043d\u0435\u0435", []),  # Cyrillic
        ("", []),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


def test_fold_reads_ampersand_as_and():
    assert "and" in fold("b&b").split()


def test_american_spellings_become_british():
    spellings = Spellings.from_mapping({"behavior": "behaviour", "program": "programme", "bad": ["x"]})
    assert words("Behavior change PROGRAM", spellings) == ["behaviour", "change", "programme"]


def test_stem_joins_word_forms_but_keeps_short_words():
    assert stem("referrals") == stem("referral") or stem("referrals")[:6] == stem("referral")[:6]
    assert stem("discloses") == stem("disclose")
    assert stem("dash") == "dash"
    assert stem("999") == "999"
