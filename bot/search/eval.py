"""Measure search quality on a labelled query set (tests/eval/queries.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.content.library import default_content_root
from bot.search.index import SearchIndex

__all__ = ["EvalQuery", "EvalCase", "EvalReport", "load_queries", "evaluate", "default_queries_path"]

QUERIES_FILE = Path("tests") / "eval" / "queries.yaml"
RANKED = 10  # reciprocal rank counts the first expected id among this many hits


@dataclass(frozen=True, slots=True)
class EvalQuery:
    """A query, the role asking (or None) and the ids any of which is a right answer."""

    q: str
    role: str | None
    expect: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EvalCase:
    query: EvalQuery
    got: tuple[str, ...]
    rank: int | None  # 1-based rank of the first expected id, None if not in the first RANKED hits


@dataclass
class EvalReport:
    cases: list[EvalCase] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.cases)

    def _share(self, ok) -> float:
        return round(sum(1 for c in self.cases if ok(c)) / self.n, 4) if self.n else 0.0

    @property
    def top1(self) -> float:
        return self._share(lambda c: c.rank == 1)

    @property
    def top3(self) -> float:
        return self._share(lambda c: c.rank is not None and c.rank <= 3)

    @property
    def mrr(self) -> float:
        return round(sum(1 / c.rank for c in self.cases if c.rank) / self.n, 4) if self.n else 0.0

    @property
    def misses(self) -> list[EvalCase]:
        """Cases whose first hit is not an expected id."""
        return [c for c in self.cases if c.rank != 1]

    def figures(self) -> dict[str, float | int]:
        return {"n": self.n, "top1": self.top1, "top3": self.top3, "mrr": self.mrr}


def default_queries_path() -> Path:
    """tests/eval/queries.yaml beside the content (the working directory or the source checkout)."""
    return default_content_root() / QUERIES_FILE


def load_queries(path: Path) -> list[EvalQuery]:
    """Read `queries: [{q, role, expect: [ids]}]`; raises ValueError naming a malformed item."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    items = raw.get("queries") if isinstance(raw, dict) else raw
    queries = []
    for number, item in enumerate(items or [], start=1):
        if not isinstance(item, dict) or "q" not in item or not item.get("expect"):
            raise ValueError(f"{path}: query {number} needs 'q' and a non-empty 'expect'")
        expect = item["expect"] if isinstance(item["expect"], list) else [item["expect"]]
        role = item.get("role")
        queries.append(EvalQuery(str(item["q"]), str(role) if role else None, tuple(str(e) for e in expect)))
    return queries


def evaluate(index: SearchIndex, queries: list[EvalQuery]) -> EvalReport:
    """Run every query and rank its expected ids among the hits."""
    report = EvalReport()
    for query in queries:
        got = tuple(index.search(query.q, k=RANKED, role=query.role).ids())
        rank = next((i for i, hit in enumerate(got, start=1) if hit in query.expect), None)
        report.cases.append(EvalCase(query, got, rank))
    return report
