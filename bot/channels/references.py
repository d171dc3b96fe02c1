"""Turn references (guidance, service, flow ids) into text, compactly for SMS or in full."""

from __future__ import annotations

from bot.content.library import Content
from bot.content.services import Service
from bot.engine.outbound import Reference

__all__ = ["describe_reference", "describe_service"]


def describe_service(service: Service, *, compact: bool) -> str:
    """A service in one line (SMS) or a short block."""
    reach = [c.value + (f" ({c.note})" if c.note and not compact else "")
             for c in service.contacts if c.kind in ("phone", "text")]
    if not reach and service.website:
        reach = [service.website]
    line = f"{service.name}: {', '.join(reach)}" if reach else service.name
    if compact:
        return line
    details = [line, service.what]
    if service.hours:
        details.append(f"Hours: {service.hours}")
    if service.example:
        details.append("(Example local service: confirm locally.)")
    return "\n".join(details)


def describe_reference(content: Content, ref: Reference, *, compact: bool, region: str | None = None,
                       limit: int = 3) -> list[str]:
    """Text lines for one reference; an unknown id yields nothing (lint prevents that)."""
    if ref.kind == "service":
        if ref.id.startswith("tag:"):
            found = content.services_for(ref.id.removeprefix("tag:").split("+"), region)[:limit]
            return [describe_service(s, compact=compact) for s in found]
        service = content.services.get(ref.id)
        return [describe_service(service, compact=compact)] if service else []
    if ref.kind == "guidance":
        entry = content.guidance.get(ref.id)
        if entry is None:
            return []
        if compact:
            return [f"{entry.title}: {entry.summary}"]
        sources = "; ".join(f"{s.title} ({s.url})" for s in entry.sources[:3])
        return [f"{entry.title}\n{entry.body or entry.summary}\nSources: {sources}. Reviewed {entry.reviewed}."]
    flow = content.catalog.get(ref.id)
    return [f"Pathway: {flow.title}"] if flow else []
