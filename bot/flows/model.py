"""The typed model of a flow file. Field names are the YAML keys content editors write."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.flows.expressions import Condition

__all__ = [
    "AUDIENCES",
    "Source",
    "Option",
    "NumberSpec",
    "TextSpec",
    "ChecklistSpec",
    "RouteRule",
    "Signpost",
    "Node",
    "Flow",
    "NODE_ACTIONS",
]

AUDIENCES = ("practitioner", "faith-leader", "trainer", "any")
Audience = Literal["practitioner", "faith-leader", "trainer", "any"]

# The keys that decide what a node does; a node has at most one of them.
NODE_ACTIONS = ("options", "number", "yes_no", "text", "checklist", "route", "flow", "end")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Strict):
    """A public source a flow or entry rests on."""

    title: str = Field(min_length=3)
    url: str = Field(pattern=r"^https?://\S+$")


class Option(_Strict):
    """One answer to a multiple-choice question."""

    label: str = Field(min_length=1, max_length=120)
    next: str
    key: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,20}$")
    value: str | int | bool | None = None
    # Training scenarios only:
    feedback: str | None = None
    score: int | None = None
    recommended: bool | None = None
    guidance: list[str] = Field(default_factory=list)


class NumberSpec(_Strict):
    """Bounds for a number answer."""

    min: int = 0
    max: int = 1000


class TextSpec(_Strict):
    """Limits for a free-text answer."""

    max_length: int = Field(default=300, ge=1, le=1000)


class ChecklistSpec(_Strict):
    """Yes/no items asked one by one and counted."""

    items: list[str] = Field(min_length=1, max_length=60)
    skip: str | None = None  # node to jump to when the user replies SKIP (e.g. "enter the score")


class RouteRule(_Strict):
    """One rule of a route: `when` a condition holds go to `next`; or an `else` fallback."""

    when: str | None = None
    next: str | None = None
    else_: str | None = Field(default=None, alias="else")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Signpost(_Strict):
    """Guidance entries, services (by id or by tags) and flows to point the user to."""

    guidance: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)
    service_tags: list[str] = Field(default_factory=list)
    flows: list[str] = Field(default_factory=list)


class Node(_Strict):
    """A step of a flow: say something, then at most one action (question, route, call or end)."""

    say: str | None = None
    ask: str | None = None
    options: list[Option] | None = None
    number: NumberSpec | None = None
    yes_no: bool | None = None
    text: TextSpec | None = None
    checklist: ChecklistSpec | None = None
    route: list[RouteRule] | None = None
    flow: str | None = None
    end: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    save: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    retry: str | None = None
    next: str | None = None
    yes: str | None = None
    no: str | None = None
    signpost: Signpost | None = None
    tags: list[str] = Field(default_factory=list)
    help: str | None = None

    @property
    def kind(self) -> str:
        """The node kind, named by its action key; 'message' when it only says something."""
        for action in NODE_ACTIONS:
            if getattr(self, action) is not None:
                return {"options": "choice", "text": "free_text", "flow": "call"}.get(action, action)
        return "message"

    def actions(self) -> list[str]:
        """The action keys this node sets (valid nodes set at most one)."""
        return [a for a in NODE_ACTIONS if getattr(self, a) is not None]


class Flow(_Strict):
    """A decision flow: metadata, parameters and nodes. Built by the loader, checked by the validator."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    audience: list[Audience] = Field(min_length=1)
    summary: str = Field(min_length=3)
    sources: list[Source]
    reviewed: dt.date
    review_by: dt.date
    version: int | str
    start: str
    kind: Literal["pathway", "scenario", "subflow"] = "pathway"
    menu: bool = True
    tags: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)
    parameters: dict[str, int | float | bool | str] = Field(default_factory=dict)
    variables: list[str] = Field(default_factory=list)
    nodes: dict[str, Node] = Field(min_length=1)

    # Filled in by the loader (not YAML keys).
    path: str = Field(default="", exclude=True)
    conditions: dict[str, Condition] = Field(default_factory=dict, exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @property
    def key(self) -> tuple[str, str]:
        """(id, version): a conversation is pinned to this."""
        return (self.id, str(self.version))
