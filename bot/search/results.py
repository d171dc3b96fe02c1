"""What a search returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

__all__ = ["Hit", "SearchResults"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One matching guidance entry, flow or service; `score` is 0-100."""

    id: str
    kind: Literal["guidance", "flow", "service"]
    title: str
    score: float
    snippet: str


@dataclass(frozen=True, slots=True)
class SearchResults:
    """The best hits, best first. `confident` is False when even the best hit is a guess; then
    `did_you_mean` offers the nearest thing we have. `reason` says why there are no hits."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    confident: bool = False
    did_you_mean: str | None = None
    reason: str | None = None

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    def ids(self) -> list[str]:
        return [h.id for h in self.hits]

    def to_dict(self) -> dict:
        return asdict(self)
