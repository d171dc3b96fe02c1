from __future__ import annotations

from bot.search.lexicon import Lexicon, max_edits

LEXICON = Lexicon.from_words(["threshold", "clares", "husband", "refuge", "refugee", "hit", "safety"],
                             {"strangled": "non_fatal_strangulation"})


def terms(word):
    return [m.term for m in LEXICON.lookup(word)]


def test_known_word_is_itself_only():
    assert terms("refuge") == ["refuge"]


def test_typos_within_the_allowance():
    assert terms("husbnad") == ["husband"]  # a transposition counts once
    assert terms("claers")[0] == "clares"
    assert LEXICON.lookup("husbnad")[0].corrected


def test_prefix_of_a_longer_word():
    (match,) = LEXICON.lookup("thresh")
    assert match.term == "threshold" and match.corrected and 0.7 < match.similarity < 1


def test_typo_lands_on_a_variant_concept():
    assert terms("strangeld") == ["non_fatal_strangulation"]


def test_short_words_need_an_exact_match():
    assert max_edits("hit") == 0
    assert terms("hat") == []
    assert terms("x" * 500) == []


def test_typo_must_keep_the_first_letter():
    lexicon = Lexicon.from_words(["well", "number", "hitting"], {})
    assert lexicon.lookup("hell") == []
    assert lexicon.lookup("summer") == []
    assert [m.term for m in lexicon.lookup("hittign")] == ["hitting"]
