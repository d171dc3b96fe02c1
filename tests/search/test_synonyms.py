from __future__ import annotations

import pytest

from bot.search.synonyms import SynonymMap

GROUPS = [
    ("domestic abuse", ["dv", "domestic violence", "da"]),
    ("a&e", ["ed", "a and e", "emergency department"]),
    ("patient", ["pt", "pts"]),
    ("dash", ["domestic abuse stalking and harassment", "domestic abuse"]),  # lists another group's name
    ("by and for", ["by-and-for"]),
]


@pytest.fixture
def synonyms() -> SynonymMap:
    return SynonymMap(GROUPS)


def terms(synonyms, text, **kw):
    return [t.term for t in synonyms.terms(text, **kw)]


def test_abbreviations_become_concepts(synonyms):
    assert terms(synonyms, "pt disclosed dv in A&E what now") == ["patient", "disclosed", "domestic_abuse",
                                                                  "a_and_e"]
    assert terms(synonyms, "ED") == ["a_and_e"]


def test_longest_variant_wins(synonyms):
    assert terms(synonyms, "domestic abuse stalking and harassment") == ["dash"]


def test_a_groups_own_name_means_that_group(synonyms):
    assert terms(synonyms, "domestic abuse") == ["domestic_abuse"]


def test_stop_words_inside_variants_still_match(synonyms):
    assert terms(synonyms, "by and for services") == ["by_and_for", "services"]


def test_content_keeps_the_words_of_long_phrases(synonyms):
    found = terms(synonyms, "the emergency department", keep_phrase_words=True)
    assert found == ["a_and_e", "emergency", "department"]


def test_plural_of_a_variant(synonyms):
    assert terms(synonyms, "pts") == ["patient"]
    assert SynonymMap([("disclosure", ["disclose"])]).terms("she discloses")[0].term == "disclosure"


def test_from_content_skips_malformed_parts():
    raw = {"groups": [{"canonical": "marac", "variants": ["marc", 999, None]}, "junk", {"variants": ["x"]}],
           "spellings": ["not", "a", "mapping"]}
    synonyms = SynonymMap.from_content(raw)
    assert terms(synonyms, "marc 999") == ["marac", "marac"]
    assert SynonymMap.from_content(None).terms("dv") [0].term == "dv"


def test_shipped_synonyms(shipped_content):
    synonyms = SynonymMap.from_content(shipped_content.synonyms)
    assert len(synonyms.concepts) >= 40
    for variant, concept in [("dv", "domestic abuse"), ("a&e", "a&e"), ("ed", "a&e"), ("pt", "patient")]:
        (term,) = synonyms.terms(variant)
        assert term.concept and term.term == "_".join(concept.replace("&", " and ").split()), variant


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15yo girl", ["young_people", "girl"]), ("her 8 y/o son", ["children", "son"]),
     ("woman in her 80s", ["women", "older_people"]), ("he is 40", ["40"]), ("a 40 year old man", ["man"]),
     ("12 months", ["12", "months"])],
)
def test_ages_read_as_the_age_group(text, expected):
    synonyms = SynonymMap([("children", ["child"]), ("young people", ["teen"]), ("older people", ["elderly"]),
                           ("women", ["woman"])])
    assert terms(synonyms, text) == expected


def test_textspeak_is_written_out(synonyms):
    assert terms(synonyms, "wot do u do in ED tho") == ["a_and_e"]
