"""The test harness shipped in the package: a conversation fixture that reads like a conversation.

    bot = TestBot.with_content()
    bot.push("1")
    assert "0 to 24" in bot.pop_text()
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from bot.channels.console import render_console
from bot.content.library import Content, load_content
from bot.conversation.respond import Reply
from bot.conversation.service import ConversationService
from bot.engine.outbound import Outbound
from bot.storage.memory import MemoryStore

__all__ = ["TestBot", "FakeChannel"]

TEST_SECRET = "test-secret-not-for-production"  # noqa: S105 - tests only


class FakeChannel:
    """Collects what the bot would send, like Rasa's CollectingOutputChannel."""

    def __init__(self) -> None:
        self.sent: list[Reply] = []


class TestBot:
    """A user talking to the real conversation core over an in-memory store."""

    __test__ = False  # not a pytest class

    def __init__(self, content: Content, *, searcher: Any = None, channel: str = "test",
                 sender: str = "user-1", expiry: dt.timedelta = dt.timedelta(minutes=30)) -> None:
        self.content = content
        self.store = MemoryStore()
        self.service = ConversationService(content, self.store, TEST_SECRET, expiry=expiry, searcher=searcher)
        self.channel, self.sender = channel, sender
        self.replies: list[Reply] = []
        self._loop = asyncio.new_event_loop()

    @classmethod
    def with_content(cls, root=None, **kwargs) -> TestBot:
        content = load_content(root)
        if content.errors:
            raise AssertionError("content has errors:\n" + "\n".join(map(str, content.errors)))
        return cls(content, **kwargs)

    def push(self, text: str, *, start: str | None = None, message_id: str | None = None) -> Reply:
        """Send one message as the user; returns (and remembers) the reply."""
        reply = self._loop.run_until_complete(
            self.service.handle(self.channel, self.sender, text, start=start, message_id=message_id)
        )
        self.replies.append(reply)
        return reply

    def start(self, flow_id: str) -> Reply:
        return self.push("", start=flow_id)

    @property
    def last(self) -> Reply:
        return self.replies[-1]

    def pop_text(self) -> str:
        """The last reply as console text."""
        return render_console(self.content, self.last.messages)

    def question(self) -> Outbound | None:
        return next((m for m in reversed(self.last.messages) if m.kind == "question"), None)

    def options(self) -> list[str]:
        q = self.question()
        return [c.label for c in q.choices] if q else []

    def state(self) -> dict[str, Any]:
        stored = self.store.conversations.get(self.service.key(self.channel, self.sender))
        return stored.state if stored else {}

    def answers(self) -> dict[str, Any]:
        return self.state().get("answers", {})

    def outcomes(self) -> list[str]:
        return [e.outcome for e in self.last.events if e.name == "flow_ended" and e.outcome]

    def close(self) -> None:
        self._loop.close()
