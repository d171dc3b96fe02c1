"""The service directory: national services and local overlays (see docs/content.md)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.content.yamlsource import LineList, load_yaml
from bot.errors import ContentError, ContentProblem
from bot.flows.loader import pydantic_problems
from bot.flows.model import Audience, Source

__all__ = ["Contact", "Service", "load_services", "is_uk_number"]

_UK_NUMBER = re.compile(r"^(999|101|111|112|116\d{3}|18000|55|0[1-9]\d{8,9}|080[08]\d{4,7})$")


def is_uk_number(value: str) -> bool:
    """A well-formed UK phone number (national or +44 form, or a short code such as 999 or 116 123)."""
    digits = re.sub(r"[\s()-]", "", value)
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    return bool(_UK_NUMBER.match(digits))


class Contact(BaseModel):
    """One way to reach a service."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    kind: Literal["phone", "text", "web", "chat", "email", "app"]
    value: str = Field(min_length=2)
    note: str | None = None


class Service(BaseModel):
    """A helpline or specialist service a flow or answer can signpost to."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=2)
    run_by: str | None = None
    what: str = Field(min_length=10)
    who: str | None = None
    audience: list[Audience] = Field(min_length=1)
    region: str
    tags: list[str] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    hours: str | None = None
    hours_checked: dt.date | None = None
    website: str | None = Field(default=None, pattern=r"^https?://\S+$")
    sources: list[Source] = Field(min_length=1)
    reviewed: dt.date
    review_by: dt.date
    example: bool = False
    note: str | None = None
    path: str = Field(default="", exclude=True)
    line: int = Field(default=0, exclude=True)

    def phone(self) -> str | None:
        return next((c.value for c in self.contacts if c.kind == "phone"), None)


def load_services(path: Path) -> tuple[list[Service], list[ContentProblem]]:
    """Read one services file; returns the valid services and the problems of the others."""
    raw = load_yaml(path)
    if not isinstance(raw, LineList):
        raise ContentError([ContentProblem(str(path), 1, "a services file must be a YAML list of services")])
    services, problems = [], []
    for index, item in enumerate(raw):
        line = raw.item_lines[index]
        try:
            service = Service.model_validate(dict(item) | {"path": str(path), "line": line})
        except (ValidationError, TypeError) as exc:
            if isinstance(exc, TypeError):
                problems.append(ContentProblem(str(path), line, "each service must be a mapping"))
            else:
                problems += _item_problems(exc, item, str(path))
            continue
        for contact in service.contacts:
            if contact.kind in ("phone", "text") and not is_uk_number(contact.value):
                problems.append(ContentProblem(str(path), line, f"'{contact.value}' is not a well-formed UK "
                                               "number", node=service.id, field="contacts"))
        services.append(service)
    return services, problems


def _item_problems(exc: ValidationError, item, path: str) -> list[ContentProblem]:
    problems = pydantic_problems(exc, item, path)
    name = item.get("id") if isinstance(item, dict) else None
    for p in problems:
        p.node = name
    return problems
