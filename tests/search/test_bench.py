from __future__ import annotations

from bot.search import SynonymMap, documents_from_content
from bot.search.bench import bench_index, fallback_queries, synthesise_documents, time_calls


def test_synthesised_documents_use_the_shipped_words(shipped_content):
    base = documents_from_content(shipped_content)
    docs = synthesise_documents(base, len(base) + 50)
    assert len(docs) == len(base) + 50
    assert len({d.id for d in docs}) == len(docs)
    shipped_words = {w for d in base for texts in d.fields.values() for t in texts for w in t.split()}
    assert set(docs[-1].title.split()) <= shipped_words


def test_bench_index_measures_search_and_floor(shipped_content):
    base = documents_from_content(shipped_content)
    row = bench_index("small", base, SynonymMap.from_content(shipped_content.synonyms),
                      fallback_queries(base, 5), rounds=1)
    assert row.documents == len(base)
    assert row.search.median_ms > 0 and row.floor_names.median_ms > 0 and row.ratio > 0 and row.ratio_text > 0
    assert row.search.p99_ms >= row.search.median_ms


def test_time_calls_with_one_sample():
    assert time_calls(lambda q: q, ["x"], 1).median_ms >= 0
