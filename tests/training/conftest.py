"""Fixtures for the training tests: every store (memory, SQLite, PostgreSQL, from the storage tests), a clock
every part reads, and a training room where several people talk to one conversation service."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.channels.console import render_console
from bot.conversation.respond import Reply
from bot.conversation.service import ConversationService
from bot.storage.cohorts import Cohort
from bot.testing import TEST_SECRET
from bot.training.cohorts import create_cohort
from tests.storage import conftest as storage_fixtures
from tests.storage.conftest import Clock

# The storage tests' fixtures: every store (memory, SQLite, PostgreSQL in a fresh schema, via tests/conftest.py pg_url).
store = storage_fixtures.store
store_url = storage_fixtures.store_url
database_url = storage_fixtures.database_url
sqlite_url = storage_fixtures.sqlite_url

AE = "scenario-ae-strangulation"
SDAC = "scenario-sdac-probation"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """One "now" for the stores, the cohort hooks, the live page and the command line."""
    clock = Clock()
    for target in ("bot.storage.memory._now", "bot.storage.sql_sqlite._utcnow", "bot.storage.sql_postgres._utcnow",
                   "bot.training.participation._utcnow", "bot.training.routes._utcnow",
                   "bot.cli.training_commands._utcnow"):
        monkeypatch.setattr(target, clock)
    return clock


class Person:
    """One participant, on one channel, typing messages."""

    def __init__(self, room: Room, sender: str, channel: str) -> None:
        self.room, self.sender, self.channel = room, sender, channel
        self.last = Reply()

    async def says(self, text: str, **kwargs) -> str:
        """Send a message; returns the reply as the console shows it."""
        self.last = await self.room.service.handle(self.channel, self.sender, text, **kwargs)
        return render_console(self.room.content, self.last.messages)

    @property
    def key(self) -> str:
        return self.room.service.key(self.channel, self.sender)

    def options(self) -> list[str]:
        question = next((m for m in reversed(self.last.messages) if m.kind == "question"), None)
        return [c.label for c in question.choices] if question else []


class Room:
    """A training room: one conversation service over a real store, people joining by code."""

    def __init__(self, content, store, clock: Clock) -> None:
        self.content, self.store, self.clock = content, store, clock
        self.service = ConversationService(content, store, TEST_SECRET, expiry=dt.timedelta(minutes=30))

    async def cohort(self, name: str = "CCR Leaders, Leeds", scenarios=(AE,), days: float = 7) -> Cohort:
        return await create_cohort(self.store, self.content, name=name, scenarios=tuple(scenarios),
                                   expires_in=dt.timedelta(days=days), now=self.clock.now)

    def person(self, sender: str, channel: str = "sms") -> Person:
        return Person(self, sender, channel)

    async def results(self, code: str):
        return await self.store.cohort_results(code)


@pytest.fixture
async def room(store, shipped_content, clock) -> Room:
    return Room(shipped_content, store, clock)
