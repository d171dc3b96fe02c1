"""What the index searches: one `Document` per guidance entry, flow and service, with weighted fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Document", "FIELD_WEIGHTS", "documents_from_content", "service_snippet"]

Kind = Literal["guidance", "flow", "service"]

# How much a word counts by where it appears: what an entry is called beats what it is about.
FIELD_WEIGHTS = {
    "title": 1.0,
    "synonyms": 1.0,
    "tags": 0.8,
    "id": 0.75,
    "summary": 0.6,
    "body": 0.4,
}


@dataclass(frozen=True, slots=True)
class Document:
    """One searchable item. `fields` maps a FIELD_WEIGHTS name to its texts."""

    id: str
    kind: Kind
    title: str
    snippet: str
    audience: frozenset[str]
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    phone: bool = False  # a service with a phone number
    exercise: bool = False  # a training scenario rather than guidance to act on

    @property
    def phrases(self) -> tuple[str, ...]:
        """The names people use for it: title and synonyms, compared whole with the query."""
        return (self.title, *self.fields.get("synonyms", ()))


def _tags(tags) -> tuple[str, ...]:
    return tuple(t.replace("-", " ") for t in tags)


def service_snippet(service) -> str:
    """A service's name and the first way to reach it: a phone number, else its website."""
    reach = service.phone() or service.website
    if not reach:
        reach = next((c.value for c in service.contacts), None)
    return f"{service.name}: {reach}" if reach else service.name


def documents_from_content(content) -> list[Document]:
    """Guidance entries, flows people can start (not sub-flows) and services, as documents."""
    docs: list[Document] = []
    for entry in content.guidance.values():
        docs.append(Document(
            id=entry.id, kind="guidance", title=entry.title, snippet=entry.summary,
            audience=frozenset(entry.audience),
            fields={"title": (entry.title,), "synonyms": tuple(entry.synonyms), "tags": _tags(entry.tags),
                    "id": (entry.id.replace("-", " "),), "summary": (entry.summary,), "body": (entry.body,)},
        ))
    for flow in content.catalog:
        if flow.kind == "subflow":
            continue
        docs.append(Document(
            id=flow.id, kind="flow", title=flow.title, snippet=flow.summary, audience=frozenset(flow.audience),
            fields={"title": (flow.title,), "synonyms": tuple(flow.synonyms), "tags": _tags(flow.tags),
                    "id": (flow.id.replace("-", " "),), "summary": (flow.summary,)},
            exercise=flow.kind == "scenario",
        ))
    for service in content.services.values():
        about = tuple(t for t in (service.what, service.who, service.run_by, service.region) if t)
        docs.append(Document(
            id=service.id, kind="service", title=service.name, snippet=service_snippet(service),
            audience=frozenset(service.audience),
            fields={"title": (service.name,), "tags": _tags(service.tags), "id": (service.id.replace("-", " "),),
                    "summary": about},
            phone=service.phone() is not None,
        ))
    return docs
