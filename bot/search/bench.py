"""Latency of the search index against a bare rapidfuzz floor (used by `pathways bench search`).

These are measurements to read, not timed tests: figures are noisy, ratios are what to compare."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import process, utils

from bot.search.documents import Document
from bot.search.index import SearchIndex
from bot.search.normalise import words
from bot.search.synonyms import SynonymMap

__all__ = ["Timing", "BenchRow", "time_calls", "synthesise_documents", "bench_index", "fallback_queries"]

AUDIENCE_CHOICES = (("practitioner",), ("faith-leader",), ("trainer",), ("practitioner", "faith-leader"), ("any",))


@dataclass(frozen=True, slots=True)
class Timing:
    median_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class BenchRow:
    """One index measured in one run: its size, build time, per-query latency, and two floors: a bare
    extract over each document's names (title and synonyms) and over all its text."""

    label: str
    documents: int
    build_s: float
    search: Timing
    floor_names: Timing
    floor_text: Timing

    @property
    def ratio(self) -> float:
        """Median search latency over the names floor's median (above 1: slower than a bare extract)."""
        return self.search.median_ms / self.floor_names.median_ms if self.floor_names.median_ms else float("inf")

    @property
    def ratio_text(self) -> float:
        return self.search.median_ms / self.floor_text.median_ms if self.floor_text.median_ms else float("inf")


def time_calls(call: Callable[[str], object], queries: list[str], rounds: int) -> Timing:
    """Median and 99th percentile of single calls, over `rounds` passes through `queries`."""
    samples = []
    clock = time.perf_counter
    for _ in range(rounds):
        for q in queries:
            start = clock()
            call(q)
            samples.append((clock() - start) * 1000)
    p99 = statistics.quantiles(samples, n=100)[98] if len(samples) >= 2 else samples[0]
    return Timing(statistics.median(samples), p99)


def synthesise_documents(base: list[Document], total: int, seed: int = 7) -> list[Document]:
    """`base` plus made-up documents up to `total`, each field drawn from the words the shipped
    documents use in that field (so word frequencies, typos' neighbours and synonyms look real)."""
    rng = random.Random(seed)
    pools: dict[str, list[str]] = {}
    for doc in base:
        for name, texts in doc.fields.items():
            for text in texts:
                pools.setdefault(name, []).extend(text.split())
    fallback = pools.get("summary") or ["abuse"]

    def draw(name: str, low: int, high: int) -> str:
        pool = pools.get(name) or fallback
        return " ".join(rng.choice(pool) for _ in range(rng.randint(low, high)))

    docs = list(base)
    for number in range(max(0, total - len(base))):
        title = draw("title", 2, 6)
        docs.append(Document(
            id=f"synthetic-{number}", kind=rng.choice(("guidance", "guidance", "flow", "service")), title=title,
            snippet=draw("summary", 10, 20), audience=frozenset(rng.choice(AUDIENCE_CHOICES)),
            fields={"title": (title,), "synonyms": tuple(draw("synonyms", 2, 4) for _ in range(rng.randint(0, 4))),
                    "tags": tuple(draw("tags", 1, 2) for _ in range(rng.randint(1, 5))),
                    "summary": (draw("summary", 20, 45),), "body": (draw("body", 60, 250),)},
        ))
    return docs


def bench_index(label: str, documents: list[Document], synonyms: SynonymMap, queries: list[str],
                rounds: int, k: int = 3) -> BenchRow:
    """Build an index over `documents`, then time `queries` through it and through the floors: a bare
    `rapidfuzz.process.extract` (default WRatio, one worker) over the documents' names, and over all
    their text, each string processed once beforehand as the index does."""
    start = time.perf_counter()
    index = SearchIndex.from_documents(documents, synonyms)
    build_s = time.perf_counter() - start
    names = [utils.default_process(" ".join(d.phrases)) for d in documents]
    texts = [utils.default_process(" ".join(t for texts in d.fields.values() for t in texts)) for d in documents]

    def floor(choices: list[str]) -> Callable[[str], object]:
        return lambda q: process.extract(utils.default_process(q), choices, limit=k, processor=None)

    search = time_calls(lambda q: index.search(q, k=k), queries, rounds)
    return BenchRow(label, len(documents), build_s, search, time_calls(floor(names), queries, rounds),
                    time_calls(floor(texts), queries, max(1, rounds // 5)))


def fallback_queries(documents: list[Document], count: int = 50) -> list[str]:
    """Queries when no eval set exists: titles, lower-cased, some with their last letter dropped."""
    out = []
    for i, doc in enumerate(documents[:count]):
        title = " ".join(words(doc.title))
        out.append(title[:-1] if i % 3 == 0 else title)
    return out
