"""Diagrams of a flow for reviewers: Mermaid (renders on GitHub) and Graphviz dot."""

from __future__ import annotations

import re

from bot.flows.model import Flow, Node

__all__ = ["to_mermaid", "to_dot"]


def _edges(node: Node) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for option in node.options or []:
        out.append((option.next, option.label))
    for rule in node.route or []:
        if rule.else_ is not None:
            out.append((rule.else_, "else"))
        elif rule.next:
            out.append((rule.next, rule.when or ""))
    if node.yes:
        out.append((node.yes, "yes"))
    if node.no:
        out.append((node.no, "no"))
    if node.checklist and node.checklist.skip:
        out.append((node.checklist.skip, "skip"))
    if node.next:
        out.append((node.next, f"after {node.flow}" if node.flow else ""))
    return out


def _label(node_id: str, node: Node) -> str:
    if node.end:
        return f"{node_id}\\nend: {node.end}"
    if node.checklist:
        return f"{node_id}\\nchecklist ({len(node.checklist.items)} items)"
    return f"{node_id}\\n({node.kind})"


def _safe(node_id: str) -> str:
    return re.sub(r"\W", "_", node_id)


def _quote(text: str) -> str:
    return text.replace('"', "'").replace("\n", " ")[:60]


def to_mermaid(flow: Flow) -> str:
    lines = ["flowchart TD", f"  %% {flow.id} v{flow.version}: {_quote(flow.title)}"]
    for node_id, node in flow.nodes.items():
        label = _quote(_label(node_id, node)).replace("\\n", "<br/>")
        shape = f'(["{label}"])' if node.end else (f'{{"{label}"}}' if node.route else f'["{label}"]')
        lines.append(f"  {_safe(node_id)}{shape}")
    for node_id, node in flow.nodes.items():
        for target, label in _edges(node):
            arrow = f' -->|"{_quote(label)}"| ' if label else " --> "
            lines.append(f"  {_safe(node_id)}{arrow}{_safe(target)}")
    for node_id, node in flow.nodes.items():
        if "high-risk" in node.tags or (node.end or "").startswith("emergency"):
            lines.append(f"  style {_safe(node_id)} stroke:#b00,stroke-width:3px")
    return "\n".join(lines) + "\n"


def to_dot(flow: Flow) -> str:
    lines = [f'digraph "{flow.id}" {{', "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];']
    for node_id, node in flow.nodes.items():
        shape = "oval" if node.end else ("diamond" if node.route else "box")
        lines.append(f'  "{node_id}" [label="{_quote(_label(node_id, node))}", shape={shape}];')
    for node_id, node in flow.nodes.items():
        for target, label in _edges(node):
            lines.append(f'  "{node_id}" -> "{target}" [label="{_quote(label)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
