"""Load all content at once (flows, guidance, services, synonyms) and run every check on it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.knowledge import GuidanceEntry, load_entry
from bot.content.services import Service, load_services
from bot.content.yamlsource import load_yaml
from bot.errors import ContentError, ContentProblem
from bot.flows.catalog import FlowCatalog
from bot.flows.loader import load_flow
from bot.flows.model import Flow
from bot.flows.validate import check_flow, check_references, flow_saves
from bot.segments import measure

__all__ = ["Content", "load_content", "default_content_root", "SUMMARY_SEGMENT_BUDGET"]

SUMMARY_SEGMENT_BUDGET = 3


def default_content_root() -> Path:
    """The folder holding `flows/` and `knowledge/`: PATHWAYS_CONTENT_DIR, else the working directory,
    else the source checkout this package was installed from."""
    import os

    env = os.environ.get("PATHWAYS_CONTENT_DIR")
    if env:
        return Path(env)
    cwd = Path.cwd()
    if (cwd / "flows").is_dir():
        return cwd
    return Path(__file__).resolve().parents[2]


@dataclass
class Content:
    """Everything the bot can say, loaded and checked."""

    catalog: FlowCatalog
    guidance: dict[str, GuidanceEntry] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    synonyms: dict[str, Any] = field(default_factory=dict)
    problems: list[ContentProblem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[ContentProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[ContentProblem]:
        return [p for p in self.problems if p.severity == "warning"]

    def latest_review(self) -> dt.date | None:
        dates = [f.reviewed for f in self.catalog] + [g.reviewed for g in self.guidance.values()]
        return max(dates) if dates else None

    def services_for(self, tags: list[str], region: str | None = None) -> list[Service]:
        """Services carrying every tag: the local ones for `region` first, then national ones."""
        wanted = set(tags)
        matches = [s for s in self.services.values() if wanted <= set(s.tags)]
        local = [s for s in matches if region and s.region.casefold() == region.casefold()]
        national = [s for s in matches if s.region in ("England", "Wales", "England & Wales", "UK")]
        return local + [s for s in national if s not in local]


def _flow_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(x for x in p.rglob("*.yaml") if "checklists" not in x.parts)
        elif p.suffix in (".yaml", ".yml"):
            files.append(p)
    return files


def load_content(
    root: Path | None = None,
    *,
    flow_paths: list[Path] | None = None,
    with_knowledge: bool = True,
    today: dt.date | None = None,
    sms_budget: int = 3,
    parameters: dict[str, object] | None = None,
) -> Content:
    """Load and check all content under `root`. Never raises for content problems: they are returned
    in `Content.problems` so `pathways lint` can list them all; callers that serve must refuse errors."""
    root = root or default_content_root()
    problems: list[ContentProblem] = []
    loaded: list[tuple[Flow, Any]] = []
    seen_flows: dict[str, str] = {}
    for path in _flow_files(flow_paths or [root / "flows"]):
        try:
            flow, raw = load_flow(path)
        except ContentError as exc:
            problems += exc.problems
            continue
        if flow.id in seen_flows:
            problems.append(ContentProblem(str(path), raw.key_lines.get("id"),
                                           f"flow id '{flow.id}' is also used by {seen_flows[flow.id]}",
                                           field="id"))
            continue
        seen_flows[flow.id] = str(path)
        loaded.append((flow, raw))

    saves = {f.id: flow_saves(f) for f, _ in loaded}
    for flow, raw in loaded:
        problems += check_flow(flow, raw, today=today, sms_budget=sms_budget,
                               saves_of=lambda fid: saves.get(fid, set()))

    content = Content(catalog=FlowCatalog([f for f, _ in loaded], parameters))
    if with_knowledge:
        _load_knowledge(root / "knowledge", content, problems, today or dt.date.today(), sms_budget)
    for flow, raw in loaded:
        problems += check_references(
            flow, raw, flows=set(seen_flows),
            guidance=set(content.guidance) if with_knowledge else None,
            services=set(content.services) if with_knowledge else None,
        )
    content.problems = problems
    content.counts = {"flows": len(content.catalog), "knowledge": len(content.guidance),
                      "services": len(content.services)}
    return content


def _load_knowledge(folder: Path, content: Content, problems: list[ContentProblem], today: dt.date,
                    sms_budget: int) -> None:
    metas = {}
    for path in sorted((folder / "guidance").glob("*.md")):
        try:
            entry, meta = load_entry(path)
        except ContentError as exc:
            problems += exc.problems
            continue
        if entry.id in content.guidance:
            problems.append(ContentProblem(str(path), 2, f"duplicate id '{entry.id}'", field="id"))
            continue
        content.guidance[entry.id] = entry
        metas[entry.id] = meta
    for path in sorted((folder / "services").glob("*.yaml")):
        try:
            services, service_problems = load_services(path)
        except ContentError as exc:
            problems += exc.problems
            continue
        problems += service_problems
        for service in services:
            if service.id in content.services or service.id in content.guidance:
                problems.append(ContentProblem(str(path), service.line, f"duplicate id '{service.id}'",
                                               field="id"))
                continue
            content.services[service.id] = service
    synonyms_path = folder / "synonyms.yaml"
    if synonyms_path.exists():
        try:
            content.synonyms = load_yaml(synonyms_path) or {}
        except ContentError as exc:
            problems += exc.problems

    for entry in content.guidance.values():
        meta = metas[entry.id]
        _dated(problems, entry.path, meta.key_lines.get("review_by"), entry.review_by, today, entry.id)
        size = measure(entry.summary)
        if size.encoding != "GSM-7":
            problems.append(ContentProblem(entry.path, meta.key_lines.get("summary"),
                                           "the summary is not GSM-7 text (curly quotes, dashes or emoji?): "
                                           "SMS would cost double", node=entry.id, field="summary"))
        if size.segments > sms_budget:
            problems.append(ContentProblem(entry.path, meta.key_lines.get("summary"),
                                           f"summary is {size.segments} SMS segments, over the budget of "
                                           f"{sms_budget}", node=entry.id, field="summary", severity="warning"))
        for ref in entry.related:
            if ref not in content.guidance:
                problems.append(ContentProblem(entry.path, meta.key_lines.get("related"),
                                               f"related entry '{ref}' does not exist", node=entry.id,
                                               field="related"))
        for ref in entry.services:
            if ref not in content.services:
                problems.append(ContentProblem(entry.path, meta.key_lines.get("services"),
                                               f"service '{ref}' does not exist", node=entry.id,
                                               field="services"))
        if entry.flow and entry.flow not in content.catalog:
            problems.append(ContentProblem(entry.path, meta.key_lines.get("flow"),
                                           f"flow '{entry.flow}' does not exist", node=entry.id, field="flow"))
    for service in content.services.values():
        _dated(problems, service.path, service.line, service.review_by, today, service.id)


def _dated(problems, path, line, review_by: dt.date, today: dt.date, subject: str) -> None:
    if review_by < today:
        problems.append(ContentProblem(path, line, f"review_by {review_by} is in the past: re-check it against "
                                       "its sources", node=subject, field="review_by", severity="warning"))
