"""Conversation state: where the user is (a stack of flow frames) and the answers a flow saved.

It is plain data that round-trips through JSON; it never holds message text, only answers that a
flow explicitly saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Frame", "ConversationState", "CorruptState", "HISTORY_LIMIT"]

HISTORY_LIMIT = 20


class CorruptState(ValueError):
    """A stored state cannot be read; the conversation restarts with an explanation."""


@dataclass
class Frame:
    """One flow in progress: its id and pinned version, the current node, and the checklist position."""

    flow: str
    version: str
    node: str
    item: int = 0
    tally: int = 0
    scored: dict[str, int] | None = None  # a training scenario's running score (bot.engine.scenarios)

    def to_dict(self) -> dict[str, Any]:
        # By hand rather than dataclasses.asdict (a recursive deep copy): this runs several times a turn.
        return {"flow": self.flow, "version": self.version, "node": self.node, "item": self.item,
                "tally": self.tally, "scored": dict(self.scored) if self.scored is not None else None}


@dataclass
class ConversationState:
    """Everything the engine needs between two messages."""

    frames: list[Frame] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    menu: str = "main"

    @property
    def at_menu(self) -> bool:
        return not self.frames

    @property
    def role(self) -> str | None:
        role = self.answers.get("role")
        return role if isinstance(role, str) else None

    def snapshot(self) -> dict[str, Any]:
        return {"frames": [f.to_dict() for f in self.frames], "answers": dict(self.answers), "menu": self.menu}

    def push_history(self) -> None:
        self.history.append(self.snapshot())
        del self.history[:-HISTORY_LIMIT]

    def restore(self, snapshot: dict[str, Any]) -> None:
        self.frames = [Frame(**f) for f in snapshot["frames"]]
        self.answers = dict(snapshot["answers"])
        self.menu = snapshot.get("menu", "main")

    def to_dict(self) -> dict[str, Any]:
        return self.snapshot() | {"history": list(self.history)}

    @classmethod
    def from_dict(cls, data: Any) -> ConversationState:
        """Rebuild a state; anything malformed raises CorruptState (never a KeyError or TypeError)."""
        try:
            if not isinstance(data, dict):
                raise TypeError("not a mapping")
            state = cls(
                frames=[Frame(**f) for f in data.get("frames", [])],
                answers=dict(data.get("answers", {})),
                history=list(data.get("history", [])),
                menu=str(data.get("menu", "main")),
            )
            for snap in state.history:
                [Frame(**f) for f in snap["frames"]]
                dict(snap["answers"])
        except (TypeError, KeyError, ValueError) as exc:
            raise CorruptState(f"stored conversation state is unreadable ({type(exc).__name__})") from None
        return state

    def copy(self) -> ConversationState:
        return ConversationState.from_dict(self.to_dict())
