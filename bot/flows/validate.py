"""Static checks of a flow, run at load time: every problem names file, line, node and field."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable
from typing import Any

from bot.content.yamlsource import line_of
from bot.engine.commands import RESERVED_WORDS
from bot.errors import ContentProblem
from bot.flows.expressions import ConditionSyntaxError, compile_condition
from bot.flows.model import Flow, Node
from bot.flows.templates import TemplateSyntaxError, template_fields
from bot.segments import measure, option_lines, to_gsm_friendly

__all__ = ["check_flow", "check_references", "SAFETY_OUTCOME_PREFIXES", "HIGH_RISK_TAG"]

HIGH_RISK_TAG = "high-risk"
SAFETY_OUTCOME_PREFIXES = ("refer", "emergency", "safeguarding")
DEFAULT_SMS_SEGMENT_BUDGET = 3


class _Report:
    def __init__(self, flow: Flow, raw: Any) -> None:
        self.flow, self.raw, self.problems = flow, raw, []

    def add(self, message: str, node: str | None = None, field: str | None = None,
            loc: tuple = (), severity: str = "error") -> None:
        path = ("nodes", node, *loc) if node else loc
        self.problems.append(
            ContentProblem(self.flow.path, line_of(self.raw, path), message, node=node, field=field,
                           severity=severity)
        )


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _targets(node: Node) -> list[tuple[str, tuple, str]]:
    """(target node id, location in YAML, field name) for every exit of a node."""
    out = []
    if node.next:
        out.append((node.next, ("next",), "next"))
    for name in ("yes", "no"):
        if getattr(node, name):
            out.append((getattr(node, name), (name,), name))
    for i, option in enumerate(node.options or []):
        out.append((option.next, ("options", i, "next"), "next"))
    for i, rule in enumerate(node.route or []):
        target = rule.else_ if rule.else_ is not None else rule.next
        if target:
            field = "else" if rule.else_ is not None else "next"
            out.append((target, ("route", i, field), field))
    if node.checklist and node.checklist.skip:
        out.append((node.checklist.skip, ("checklist", "skip"), "skip"))
    return out


def check_flow(flow: Flow, raw: Any, *, today: dt.date | None = None,
               sms_budget: int = DEFAULT_SMS_SEGMENT_BUDGET,
               saves_of: Callable[[str], set[str]] | None = None) -> list[ContentProblem]:
    """Every check that needs only this flow (cross-file references are in `check_references`).

    Also compiles the route conditions into `flow.conditions`.
    """
    today = today or dt.date.today()
    r = _Report(flow, raw)
    nodes = flow.nodes
    if not flow.sources:
        r.add("a flow must cite at least one source under 'sources'", field="sources", loc=("sources",))
    if flow.review_by < today:
        r.add(f"review_by {flow.review_by} is in the past: check the content against its sources and "
              "set new dates", field="review_by", loc=("review_by",), severity="warning")
    if flow.start not in nodes:
        r.add(f"start node '{flow.start}' does not exist{_did_you_mean(flow.start, nodes)}",
              field="start", loc=("start",))

    for node_id, node in nodes.items():
        _check_node_shape(r, node_id, node, flow)
        for target, loc, field in _targets(node):
            if target not in nodes:
                r.add(f"routes to '{target}', which does not exist{_did_you_mean(target, nodes)}",
                      node=node_id, field=field, loc=loc)

    _check_graph(r, flow)
    _check_variables(r, flow, saves_of)
    _check_text_size(r, flow, sms_budget)
    return r.problems


def _check_node_shape(r: _Report, node_id: str, node: Node, flow: Flow) -> None:
    actions = node.actions()
    if len(actions) > 1:
        r.add(f"a node can do only one thing; this one has {', '.join(actions)}: split it into two nodes",
              node=node_id, field=actions[1], loc=(actions[1],))
        return
    kind = node.kind
    needs_ask = kind in ("choice", "number", "yes_no", "free_text")
    if needs_ask and not node.ask:
        r.add(f"a {kind} node needs 'ask' (the question to show)", node=node_id, field="ask")
    if kind == "choice":
        if not node.options:
            r.add("'options' is empty: give at least one option", node=node_id, field="options",
                  loc=("options",))
        seen: set[str] = set()
        for i, option in enumerate(node.options or []):
            for word in {option.label.casefold(), (option.key or "").casefold()} - {""}:
                if word in RESERVED_WORDS:
                    r.add(f"option '{option.label}' is the reserved word '{word}', which always means "
                          "the same in every state (menu/back/help/stop...): rename the option",
                          node=node_id, field="label", loc=("options", i, "label"))
                if word in seen:
                    r.add(f"two options are both '{word}': each label and key must be different",
                          node=node_id, field="label", loc=("options", i, "label"))
                seen.add(word)
            if flow.kind == "scenario":
                if not option.feedback:
                    r.add(f"scenario option '{option.label}' needs 'feedback' (why it helps or harms)",
                          node=node_id, field="feedback", loc=("options", i))
                if option.recommended is None:
                    r.add(f"scenario option '{option.label}' needs 'recommended: true' or 'false'",
                          node=node_id, field="recommended", loc=("options", i))
        if flow.kind == "scenario" and node.options and not any(o.recommended for o in node.options):
            r.add("a scenario decision needs at least one option with 'recommended: true'",
                  node=node_id, field="options", loc=("options",))
    if kind in ("number", "checklist") and not node.save:
        r.add(f"a {kind} node needs 'save' (the name to store the answer under)", node=node_id, field="save")
    if kind == "number" and node.number.min > node.number.max:
        r.add("number 'min' is greater than 'max'", node=node_id, field="number", loc=("number",))
    if kind == "yes_no":
        if not node.next and not (node.yes and node.no):
            r.add("a yes_no node needs 'next', or both 'yes' and 'no'", node=node_id, field="next")
    elif node.yes or node.no:
        r.add("'yes'/'no' targets belong only on a yes_no node", node=node_id, field="yes")
    if kind in ("number", "free_text", "checklist", "call", "message") and not node.next:
        what = "neither ends nor leads anywhere" if kind == "message" else "needs 'next'"
        r.add(f"this {kind} node {what}: add 'next' (or 'end')", node=node_id, field="next")
    if kind in ("choice", "route", "end") and node.next:
        r.add(f"'next' is not used on a {kind} node (its exits are its options/rules)", node=node_id,
              field="next", loc=("next",))
    if kind == "route":
        _check_route(r, node_id, node, flow)


def _check_route(r: _Report, node_id: str, node: Node, flow: Flow) -> None:
    rules = node.route or []
    if not rules or rules[-1].else_ is None:
        r.add("a route needs a final '- else: NODE' fallback, for when no condition holds",
              node=node_id, field="route", loc=("route",))
    for i, rule in enumerate(rules):
        if rule.else_ is not None:
            if rule.when or rule.next:
                r.add("an 'else' rule has no 'when' or 'next'", node=node_id, field="else", loc=("route", i))
            if i != len(rules) - 1:
                r.add("'else' must be the last rule", node=node_id, field="else", loc=("route", i))
            continue
        if not rule.when or not rule.next:
            r.add("each rule needs 'when' and 'next'", node=node_id, field="when", loc=("route", i))
            continue
        try:
            flow.conditions[f"{node_id}#{i}"] = compile_condition(rule.when)
        except ConditionSyntaxError as exc:
            r.add(f"condition '{rule.when}': {exc}", node=node_id, field="when", loc=("route", i, "when"))


def _check_graph(r: _Report, flow: Flow) -> None:
    nodes = flow.nodes
    if flow.start not in nodes:
        return
    edges = {nid: [t for t, _, _ in _targets(n) if t in nodes] for nid, n in nodes.items()}
    reachable = _reach(flow.start, edges)
    for node_id in nodes:
        if node_id not in reachable:
            r.add("no path leads here from the start node: link it or remove it", node=node_id)
    ends = {nid for nid, n in nodes.items() if n.kind == "end"}
    reverse: dict[str, list[str]] = {nid: [] for nid in nodes}
    for src, targets in edges.items():
        for t in targets:
            reverse[t].append(src)
    can_finish = set()
    for end in ends:
        can_finish |= _reach(end, reverse)
    for node_id in sorted(reachable - can_finish):
        if nodes[node_id].kind != "message" or nodes[node_id].next:
            r.add("no path from here reaches an 'end' node (a cycle with no exit)", node=node_id)
    # A loop made only of nodes that never wait for an answer would spin forever.
    silent = {nid for nid, n in nodes.items() if n.kind in ("route", "message", "call")}
    silent_edges = {nid: [t for t in edges[nid] if t in silent] for nid in silent}
    for node_id in sorted(silent):
        if any(node_id in _reach(t, silent_edges) for t in silent_edges[node_id]):
            r.add("this node is in a loop that never asks a question", node=node_id)
            break
    # Safety: a node tagged high-risk must lead to a referral or emergency outcome.
    safe_ends = {nid for nid in ends if nodes[nid].end.startswith(SAFETY_OUTCOME_PREFIXES)}
    for node_id, node in nodes.items():
        if HIGH_RISK_TAG in node.tags and not (_reach(node_id, edges) & safe_ends):
            r.add("this node is tagged high-risk but no path from it reaches a referral or emergency "
                  "outcome (an 'end' starting refer/emergency/safeguarding)", node=node_id, field="tags")


def _reach(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def flow_saves(flow: Flow) -> set[str]:
    return {n.save for n in flow.nodes.values() if n.save}


def _check_variables(r: _Report, flow: Flow, saves_of: Callable[[str], set[str]] | None) -> None:
    defined = flow_saves(flow) | set(flow.variables) | {"role"}
    for node in flow.nodes.values():
        if node.kind == "call" and saves_of:
            defined |= saves_of(node.flow)
    for node_id, node in flow.nodes.items():
        for i in range(len(node.route or [])):
            cond = flow.conditions.get(f"{node_id}#{i}")
            if cond is None:
                continue
            for name in sorted(cond.variables - defined):
                r.add(f"condition uses '{name}', which no node saves{_did_you_mean(name, defined)}",
                      node=node_id, field="when", loc=("route", i, "when"))
            for name in sorted(cond.parameters - set(flow.parameters)):
                r.add(f"'settings.{name}' is not declared under the flow's 'parameters'",
                      node=node_id, field="when", loc=("route", i, "when"))
        for field in ("say", "ask", "retry", "help"):
            text = getattr(node, field)
            if not text:
                continue
            try:
                names = template_fields(text)
            except TemplateSyntaxError as exc:
                r.add(str(exc), node=node_id, field=field, loc=(field,))
                continue
            for name in sorted(names):
                if name.startswith("settings."):
                    if name.removeprefix("settings.") not in flow.parameters:
                        r.add(f"'{{{name}}}' is not declared under 'parameters'", node=node_id, field=field,
                              loc=(field,))
                elif name not in defined:
                    r.add(f"'{{{name}}}' is not saved by any node{_did_you_mean(name, defined)}",
                          node=node_id, field=field, loc=(field,))


def sms_text(node: Node, field: str) -> str:
    """A node's text as an SMS carries it: a question with its numbered options and how to reply."""
    text = getattr(node, field) or ""
    if field == "ask" and node.options:
        text = "\n".join([text, *option_lines([o.label for o in node.options])])
    return to_gsm_friendly(text)


def _check_text_size(r: _Report, flow: Flow, budget: int) -> None:
    for node_id, node in flow.nodes.items():
        for field in ("say", "ask"):
            if not getattr(node, field):
                continue
            size = measure(sms_text(node, field))
            if size.segments > budget:
                r.add(f"'{field}' is {size.segments} SMS segments ({size.encoding}, {size.units} units), over "
                      f"the budget of {budget}: shorten it or split the node", node=node_id, field=field,
                      loc=(field,), severity="warning")


def check_references(flow: Flow, raw: Any, *, flows: set[str], guidance: set[str] | None,
                     services: set[str] | None) -> list[ContentProblem]:
    """Checks that need the other content: called flows, signposted guidance/services/flows."""
    r = _Report(flow, raw)
    for node_id, node in flow.nodes.items():
        if node.kind == "call" and node.flow not in flows:
            r.add(f"calls flow '{node.flow}', which does not exist{_did_you_mean(node.flow, flows)}",
                  node=node_id, field="flow", loc=("flow",))
        refs: list[tuple[str, str, set[str] | None, tuple]] = []
        if node.signpost:
            sp = node.signpost
            refs += [("guidance", g, guidance, ("signpost", "guidance")) for g in sp.guidance]
            refs += [("service", s, services, ("signpost", "services")) for s in sp.services]
            refs += [("flow", f, flows, ("signpost", "flows")) for f in sp.flows]
        for i, option in enumerate(node.options or []):
            refs += [("guidance", g, guidance, ("options", i, "guidance")) for g in option.guidance]
        for kind, ref, known, loc in refs:
            if known is not None and ref not in known:
                r.add(f"signposts {kind} '{ref}', which does not exist{_did_you_mean(ref, known)}",
                      node=node_id, field=loc[-1], loc=loc)
    return r.problems
