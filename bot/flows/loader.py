"""Read flow files into typed `Flow` models; every problem names file, line, node and field."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.content.yamlsource import LineDict, line_of, load_yaml
from bot.errors import ContentError, ContentProblem, FlowError
from bot.flows.model import Flow, Node, Option

__all__ = ["load_flow", "parse_flow", "pydantic_problems"]

_FIELDS_BY_CONTAINER = {
    "flow": set(Flow.model_fields) - {"path", "conditions"},
    "node": set(Node.model_fields),
    "option": set(Option.model_fields),
}


def load_flow(path: Path) -> tuple[Flow, Any]:
    """Load one flow file. Returns the flow and its raw (line-numbered) data; raises FlowError."""
    try:
        raw = load_yaml(path)
    except ContentError as exc:
        raise FlowError(exc.problems) from None
    return parse_flow(raw, str(path)), raw


def parse_flow(raw: Any, path: str) -> Flow:
    """Turn line-numbered YAML data into a Flow; raises FlowError listing every field problem."""
    if not isinstance(raw, LineDict):
        raise FlowError([ContentProblem(path, 1, "a flow file must be a mapping with 'id', 'title', 'nodes', ...")])
    try:
        flow = Flow.model_validate(dict(raw) | {"path": path})
    except ValidationError as exc:
        raise FlowError(pydantic_problems(exc, raw, path)) from None
    return flow


def pydantic_problems(exc: ValidationError, raw: Any, path: str) -> list[ContentProblem]:
    """Translate pydantic's errors into ContentProblems with line, node, field and a fix."""
    problems = []
    seen: set[tuple] = set()
    for error in exc.errors():
        loc = _real_loc(raw, error["loc"], error["type"])
        if (loc, error["type"]) in seen:
            continue  # one message per field, even when several union members complained
        seen.add((loc, error["type"]))
        node = loc[1] if len(loc) > 1 and loc[0] == "nodes" and isinstance(loc[1], str) else None
        fields = [p for p in loc if isinstance(p, str)]
        field = fields[-1] if fields else None
        if field == node:
            field = None
        line = line_of(raw, loc)
        problems.append(ContentProblem(path, line, _explain(error, loc, node), node=node, field=field))
    return problems


def _real_loc(raw: Any, loc: tuple, kind: str) -> tuple:
    """The part of pydantic's location that names keys in the file (drops union-member tags)."""
    real: list = []
    current = raw
    for part in loc:
        if isinstance(current, dict) and isinstance(part, str):
            real.append(part)
            if part not in current:
                break
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int):
            real.append(part)
            if not 0 <= part < len(current):
                break
            current = current[part]
        else:
            break
    return tuple(real)


def _explain(error: dict, loc: tuple, node: str | None) -> str:
    kind = error["type"]
    name = loc[-1] if loc else ""
    if kind == "missing":
        return f"'{name}' is required here"
    if kind == "extra_forbidden":
        container = "node" if node and len(loc) == 3 else ("option" if "options" in loc else "flow")
        if "options" in loc and len(loc) == 5:
            container = "option"
        elif loc and len(loc) == 1:
            container = "flow"
        known = sorted(_FIELDS_BY_CONTAINER.get(container, ()))
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(known)})"
        return f"unknown key '{name}'{hint}"
    message = error.get("msg", "invalid value")
    return f"{message}; got {error.get('input')!r}"[:300]
