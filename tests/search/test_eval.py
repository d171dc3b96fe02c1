"""Search quality on the labelled query set: fails below top-3 0.90 or top-1 0.75."""

from __future__ import annotations

import pytest

from bot.search import Document, SearchIndex
from bot.search.eval import EvalQuery, default_queries_path, evaluate, load_queries

MIN_TOP3 = 0.90
MIN_TOP1 = 0.75


def test_eval_queries_meet_the_bar(search_index):
    path = default_queries_path()
    if not path.exists():
        pytest.skip(f"{path} does not exist yet: no labelled queries to evaluate")
    report = evaluate(search_index, load_queries(path))
    misses = "\n".join(f"  {c.query.q!r} ({c.query.role}): want {c.query.expect}, got {c.got[:3]}"
                       for c in report.misses)
    assert report.n > 0
    assert report.top3 >= MIN_TOP3 and report.top1 >= MIN_TOP1, f"{report.figures()}\n{misses}"


def test_eval_queries_name_existing_ids(search_index):
    path = default_queries_path()
    if not path.exists():
        pytest.skip(f"{path} does not exist yet")
    known = {d.id for d in search_index.documents}
    unknown = {e for q in load_queries(path) for e in q.expect} - known
    assert not unknown, f"expected ids with no guidance entry, flow or service: {sorted(unknown)}"


def test_figures():
    index = SearchIndex.from_documents([
        Document("a", "guidance", "Refuges", "", frozenset({"any"}), {"title": ("Refuges",)}),
        Document("b", "guidance", "Stalking", "", frozenset({"any"}), {"title": ("Stalking",)}),
        Document("c", "guidance", "Stalking helpline", "", frozenset({"any"}), {"title": ("Stalking helpline",)}),
    ])
    report = evaluate(index, [EvalQuery("refuges", None, ("a",)), EvalQuery("stalking", None, ("c",)),
                              EvalQuery("nothing", None, ("a",))])
    assert report.figures() == {"n": 3, "top1": round(1 / 3, 4), "top3": round(2 / 3, 4), "mrr": 0.5}
    assert [c.query.q for c in report.misses] == ["stalking", "nothing"]


def test_load_queries(tmp_path):
    path = tmp_path / "q.yaml"
    path.write_text("queries:\n  - {q: marac threshold, role: null, expect: [marac-referral]}\n"
                    "  - {q: refuge, role: faith-leader, expect: refuges}\n", encoding="utf-8")
    assert load_queries(path) == [EvalQuery("marac threshold", None, ("marac-referral",)),
                                  EvalQuery("refuge", "faith-leader", ("refuges",))]
    path.write_text("queries:\n  - {q: no answer}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="query 1"):
        load_queries(path)
