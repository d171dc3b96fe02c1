from __future__ import annotations

import pytest

from bot.search import Document, SearchIndex, SynonymMap


def doc(id, title, audience=("practitioner",), kind="guidance", **fields):
    return Document(id=id, kind=kind, title=title, snippet=title, audience=frozenset(audience),
                    fields={"title": (title,), **{k: tuple(v) for k, v in fields.items()}})


@pytest.mark.parametrize(
    ("query", "role", "expected"),
    [
        ("clares law", None, {"clares-law"}),
        ("claires law", None, {"clares-law"}),
        ("marac threshold", None, {"marac-referral-criteria", "marac-referral"}),
        ("marac thresh", None, {"marac-referral-criteria", "marac-referral"}),
        ("pt disclosed dv in a&e what now", None, {"health-responding-to-disclosure", "health-disclosure",
                                                   "health-risk-assessment"}),
        ("woman in my church being hit by husband", "faith-leader", {"faith-leaders-do", "faith-leaders-dont",
                                                                     "faith-signposting"}),
        ("jewish womens aid number", None, {"jewish-womens-aid"}),
        ("Jewish Women\u2019s Aid phone", None, {"jewish-womens-aid"}),
        ("NON MOLESTATION ORDER", None, {"non-molestation-orders"}),
    ],
)
def test_domain_queries_find_the_entry(search_index, query, role, expected):
    results = search_index.search(query, role=role)
    assert results.hits and results.hits[0].id in expected, results


def test_marac_threshold_offers_the_flow(search_index):
    results = search_index.search("marac threshold")
    assert results.confident
    assert ("marac-referral", "flow") in [(h.id, h.kind) for h in results.hits]


def test_service_hit_snippet_gives_a_way_to_reach_it(search_index):
    top = search_index.search("jewish womens aid number").hits[0]
    assert top.kind == "service" and top.title in top.snippet
    assert any(ch.isdigit() for ch in top.snippet) or "http" in top.snippet


def test_typo_suggests_the_corrected_query(search_index):
    results = search_index.search("marac thresh")
    assert results.confident and results.did_you_mean == "marac threshold"


def test_off_topic_query_is_not_confident(search_index):
    for query in ("pizza near me", "football scores tonight", "asdfghjkl"):
        results = search_index.search(query)
        assert not results.confident, (query, results)


def test_scores_are_bounded_and_sorted(search_index):
    hits = search_index.search("domestic abuse", k=10, role="practitioner").hits
    assert len(hits) == 10
    assert all(0 <= h.score <= 100 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_audience_boost_prefers_the_asking_role():
    index = SearchIndex.from_documents([
        doc("for-practitioners", "Responding to a disclosure", ["practitioner"]),
        doc("for-faith-leaders", "Responding to a disclosure", ["faith-leader"]),
    ])
    assert index.search("responding to a disclosure", role="faith-leader").hits[0].id == "for-faith-leaders"
    assert index.search("responding to a disclosure", role="practitioner").hits[0].id == "for-practitioners"
    assert index.search("responding to a disclosure", role="Faith leader").hits[0].id == "for-faith-leaders"


def test_audience_boost_on_shipped_content(search_index):
    hits = search_index.search("what to do after a disclosure", role="faith-leader").hits
    assert "faith-leader" in next(d for d in search_index.documents if d.id == hits[0].id).audience


def test_field_weights_title_beats_body():
    index = SearchIndex.from_documents([
        doc("in-body", "Something else", body=["a long text that mentions sanctuary once"]),
        doc("in-title", "Sanctuary schemes"),
    ])
    assert index.search("sanctuary").ids() == ["in-title", "in-body"]


def test_synonyms_meet_on_both_sides():
    synonyms = SynonymMap([("a&e", ["ed", "emergency department"]), ("patient", ["pt"])])
    index = SearchIndex.from_documents([doc("ed", "Patients in the emergency department"),
                                        doc("gp", "Patients at the surgery")], synonyms)
    assert index.search("pt in a&e").ids()[0] == "ed"


def test_k_limits_hits(search_index):
    assert len(search_index.search("abuse", k=1).hits) == 1
    assert len(search_index.search("abuse", k=0).hits) == 1


def test_build_is_quick(shipped_content):
    import time

    start = time.perf_counter()
    SearchIndex.build(shipped_content)
    assert time.perf_counter() - start < 1.0


def test_church_query_without_a_role_finds_faith_content(search_index):
    ids = search_index.search("woman in my church being hit by husband").ids()
    assert any(i.startswith("faith-") for i in ids), ids


def test_typo_of_a_synonym_no_document_holds():
    synonyms = SynonymMap([("ddvc", ["destitution concession"]), ("marac", ["marak"])])
    index = SearchIndex.from_documents([doc("m", "MARAC")], synonyms)
    assert index.search("destitution concesion").hits == []
    assert index.search("marka").ids() in ([], ["m"])
