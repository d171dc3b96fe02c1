"""Odd input never raises and never takes long: the naughty-strings corpus and friends."""

from __future__ import annotations

import time

import pytest

from tests.naughty import naughty_strings

BOUND_S = 0.05  # per query; typical queries take well under a millisecond




EDGE_CASES = [
    "", " ", "\t\n", "?!...", "\U0001f600\U0001f494", "\x00\x07\x1b[31m", "\u200b\u200e\ufeff",
    "\u0645\u0633\u0627\u0639\u062f\u0629", "\u4f60\u597d", "\u0434\u043e\u043c\u0430\u0448\u043d\u0435\u0435",
    "x" * 5000, "marac " * 1000, "a&e" * 2000, "\ud800" if False else "\U0001d54d\U0001d51e\U0001d52f",
]


@pytest.mark.parametrize("query", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases(search_index, query):
    start = time.perf_counter()
    results = search_index.search(query)
    assert time.perf_counter() - start < BOUND_S
    assert isinstance(results.hits, list)
    assert len(results.query) <= 300


@pytest.mark.parametrize("query", ["", "   ", "?!", "\U0001f600", "\x00\x01", "\u4f60\u597d\u4e16\u754c",
                                   "\u0645\u0633\u0627\u0639\u062f\u0629"])
def test_nothing_to_search_is_a_clear_empty_result(search_index, query):
    results = search_index.search(query)
    assert results.hits == [] and not results.confident and results.did_you_mean is None
    assert results.reason


def test_not_a_string(search_index):
    assert search_index.search(None).hits == []  # type: ignore[arg-type]


def test_naughty_strings(search_index):
    slowest = 0.0
    for text in naughty_strings():
        start = time.perf_counter()
        results = search_index.search(text, role="faith-leader")
        slowest = max(slowest, time.perf_counter() - start)
        assert all(0 <= h.score <= 100 for h in results.hits)
    assert slowest < BOUND_S
