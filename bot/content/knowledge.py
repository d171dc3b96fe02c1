"""Guidance entries: one Markdown file each, with YAML front matter (see docs/content.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.content.yamlsource import LineDict, parse_yaml
from bot.errors import ContentError, ContentProblem
from bot.flows.loader import pydantic_problems
from bot.flows.model import Audience, Source

__all__ = ["GuidanceEntry", "load_entry", "REGIONS"]

REGIONS = ("England", "Wales", "England & Wales", "UK")


class GuidanceEntry(BaseModel):
    """A curated guidance entry."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=3)
    summary: str = Field(min_length=10, max_length=300)
    tags: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)
    audience: list[Audience] = Field(min_length=1)
    region: str = Field(min_length=2)
    sources: list[Source] = Field(min_length=1)
    reviewed: dt.date
    review_by: dt.date
    related: list[str] = Field(default_factory=list)
    flow: str | None = None
    services: list[str] = Field(default_factory=list)
    body: str = Field(default="", exclude=True)
    path: str = Field(default="", exclude=True)

    @field_validator("tags", "synonyms", mode="after")
    @classmethod
    def _lower(cls, values: list[str]) -> list[str]:
        return [str(v).strip().lower() for v in values if str(v).strip()]


def load_entry(path: Path) -> tuple[GuidanceEntry, LineDict]:
    """Read one entry; raises ContentError naming file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError([ContentProblem(str(path), None, f"cannot read the file: {exc}")]) from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentError([ContentProblem(str(path), 1, "an entry must start with '---' and YAML front matter")])
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ContentError([ContentProblem(str(path), 1, "the front matter has no closing '---'")]) from None
    meta = parse_yaml("\n".join(lines[1:close]), str(path), first_line=2)
    if not isinstance(meta, LineDict):
        raise ContentError([ContentProblem(str(path), 2, "the front matter must be a YAML mapping")])
    body = "\n".join(lines[close + 1 :]).strip()
    try:
        entry = GuidanceEntry.model_validate(dict(meta) | {"body": body, "path": str(path)})
    except ValidationError as exc:
        raise ContentError(pydantic_problems(exc, meta, str(path))) from None
    if entry.id != path.stem:
        raise ContentError([ContentProblem(str(path), meta.key_lines.get("id"),
                                           f"the id '{entry.id}' must match the file name '{path.stem}'",
                                           field="id")])
    return entry, meta
