"""The search index over the shipped content, built once per test session."""

from __future__ import annotations

import pytest

from bot.search import SearchIndex


@pytest.fixture(scope="session")
def search_index(shipped_content) -> SearchIndex:
    return SearchIndex.build(shipped_content)
