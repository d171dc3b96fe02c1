"""Shared fixtures: the demo content (every node kind) and the shipped content."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.content.library import load_content
from bot.testing import TestBot

ROOT = Path(__file__).resolve().parents[1]
DEMO = Path(__file__).parent / "fixtures" / "demo"


@pytest.fixture(scope="session")
def demo_content():
    content = load_content(DEMO)
    assert not content.errors, [str(p) for p in content.errors]
    return content


@pytest.fixture
def demo_bot(demo_content):
    bot = TestBot(demo_content)
    yield bot
    bot.close()


@pytest.fixture(scope="session")
def shipped_content():
    return load_content(ROOT)


@pytest.fixture
def postgres_url():
    url = os.environ.get("PATHWAYS_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PATHWAYS_TEST_POSTGRES_URL is not set: no PostgreSQL to test against")
    return url


@pytest.fixture(scope="session")
def shipped_searcher(shipped_content):
    try:
        from bot.search import SearchIndex
    except ImportError:
        return None
    return SearchIndex.build(shipped_content)
