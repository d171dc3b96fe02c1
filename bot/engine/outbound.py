"""The channel-neutral message type. Channels render it by their capabilities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Choice", "Reference", "Outbound", "Event"]

Kind = Literal["info", "question", "reprompt", "emergency", "notice", "feedback", "outcome", "search"]


@dataclass(frozen=True)
class Choice:
    """One option the user can pick: `key` is short and safe to put in a button's callback data."""

    key: str
    label: str


@dataclass(frozen=True)
class Reference:
    """A pointer to a guidance entry, a service or a flow, resolved to text by the channel's renderer."""

    kind: Literal["guidance", "service", "flow"]
    id: str


@dataclass(frozen=True)
class Outbound:
    """One message to the user."""

    text: str
    kind: Kind = "info"
    choices: tuple[Choice, ...] = ()
    references: tuple[Reference, ...] = ()
    expects: Literal["choice", "number", "yes_no", "text"] | None = None


@dataclass(frozen=True)
class Event:
    """Something that happened in a turn, for metrics and training cohorts (never holds free text)."""

    name: Literal["flow_started", "flow_ended", "answered", "search", "flow_restarted", "flow_left"]
    flow: str | None = None
    node: str | None = None
    outcome: str | None = None
    option: str | None = None
    score: int | None = None
    recommended: bool | None = None
    query: str | None = field(default=None, repr=False)
