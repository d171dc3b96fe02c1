"""The numbers a trainer's report shows, worked out from a cohort's stored answers and the scenario flows.

Pure: no I/O. Each participant's first answer at each decision counts (that is all the store keeps).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bot.engine.scenarios import is_scored
from bot.flows.catalog import FlowCatalog
from bot.flows.model import Flow, Node
from bot.flows.templates import render_template
from bot.storage.cohorts import Cohort, CohortResults

__all__ = ["COMPLETE", "OptionTally", "DecisionResult", "ScenarioResult", "CohortReport", "build_report"]

COMPLETE = "scenario_complete"  # the outcome every scenario's debrief node ends with


@dataclass(frozen=True)
class OptionTally:
    """How many chose one option at a decision."""

    key: str
    label: str
    count: int
    share: float  # of the people who answered this decision, 0..1
    recommended: bool | None
    score: int | None
    feedback: str = ""
    guidance: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionResult:
    """One decision point of a scenario, with every option's count."""

    node: str
    question: str
    options: tuple[OptionTally, ...]
    answered: int
    scored: bool  # False for a safety check where every option is fine

    @property
    def recommended_share(self) -> float | None:
        """The share of answers that were a recommended option (None before anyone answered)."""
        if not self.answered:
            return None
        return sum(o.count for o in self.options if o.recommended) / self.answered

    @property
    def common_mistake(self) -> OptionTally | None:
        """The non-recommended option chosen most often (ties: the lower score): what to debrief."""
        chosen = [o for o in self.options if o.recommended is False and o.count]
        if not chosen:
            return None
        return max(chosen, key=lambda o: (o.count, -(o.score or 0)))


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario's results in one cohort."""

    id: str
    title: str
    decisions: tuple[DecisionResult, ...]
    started: int  # participants who answered at least one decision (or reached an end)
    completed: int  # participants who reached the debrief (outcome scenario_complete)
    outcomes: dict[str, int]  # every end reached: outcome -> participants
    scores: dict[int, int]  # completed participants' scores: score -> participants
    best: int  # the score of the recommended choice at every decision
    worst: int

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.started if self.started else None

    @property
    def mean_score(self) -> float | None:
        values = [score for score, n in self.scores.items() for _ in range(n)]
        return statistics.fmean(values) if values else None


@dataclass(frozen=True)
class CohortReport:
    """Everything the HTML page and the CSV files show."""

    cohort: Cohort
    scenarios: tuple[ScenarioResult, ...]
    answers: int
    finishes: int
    generated_at: dt.datetime
    rows: tuple[dict[str, object], ...] = field(default=(), repr=False)  # one per stored answer, for the CSV

    @property
    def joined(self) -> int:
        return self.cohort.participants

    @property
    def empty(self) -> bool:
        return self.answers == 0

    @property
    def version(self) -> str:
        """Changes whenever the numbers could: what the live page polls for."""
        return f"{self.joined}-{self.answers}-{self.finishes}"


def _decision_nodes(flow: Flow) -> list[tuple[str, Node]]:
    return [(node_id, node) for node_id, node in flow.nodes.items() if node.options]


def _option_keys(node: Node) -> list[str]:
    return [o.key or str(i + 1) for i, o in enumerate(node.options or ())]


def build_report(results: CohortResults, catalog: FlowCatalog, now: dt.datetime) -> CohortReport:
    """Count, per scenario and decision, what the cohort chose; score and completion per scenario."""
    cohort = results.cohort
    order = list(cohort.scenarios) or list(dict.fromkeys(a.scenario for a in results.answers))
    scenarios = tuple(_scenario(s, results, catalog) for s in order)
    rows = tuple(_rows(results, catalog))
    return CohortReport(cohort, tuple(s for s in scenarios if s is not None), len(results.answers),
                        len(results.finishes), now, rows)


def _scenario(scenario_id: str, results: CohortResults, catalog: FlowCatalog) -> ScenarioResult | None:
    flow = catalog.get(scenario_id)
    if flow is None:
        return None
    answers = [a for a in results.answers if a.scenario == scenario_id]
    finishes = [f for f in results.finishes if f.scenario == scenario_id]
    params = catalog.parameters(flow)
    decisions = []
    for node_id, node in _decision_nodes(flow):
        counts = Counter(a.option for a in answers if a.node == node_id)
        answered = sum(counts.values())
        options = tuple(
            OptionTally(key, option.label, counts.get(key, 0), counts.get(key, 0) / answered if answered else 0.0,
                        option.recommended, option.score, option.feedback or "", tuple(option.guidance))
            for key, option in zip(_option_keys(node), node.options or (), strict=True)
        )
        question = render_template(node.ask or "", {}, params)
        decisions.append(DecisionResult(node_id, question, options, answered, is_scored(node)))

    scored_nodes = {node_id for node_id, node in _decision_nodes(flow) if is_scored(node)}
    best = sum(max((o.score or 0) for o in node.options) for node_id, node in _decision_nodes(flow)
               if node_id in scored_nodes)
    worst = sum(min((o.score or 0) for o in node.options) for node_id, node in _decision_nodes(flow)
                if node_id in scored_nodes)
    points: dict[int, int] = defaultdict(int)
    for a in answers:
        if a.node in scored_nodes:
            points[a.participant] += a.score or 0
    completed = {f.participant for f in finishes if f.outcome == COMPLETE}
    outcomes = Counter(f.outcome for f in finishes)
    started = {a.participant for a in answers} | {f.participant for f in finishes}
    scores = Counter(points.get(p, 0) for p in completed)
    return ScenarioResult(flow.id, flow.title, tuple(decisions), len(started), len(completed), dict(outcomes),
                          dict(sorted(scores.items())), best, worst)


def _rows(results: CohortResults, catalog: FlowCatalog) -> list[dict[str, object]]:
    """One CSV row per stored answer: anonymous, with the option's words for people reading it."""
    rows = []
    for a in sorted(results.answers, key=lambda a: (a.scenario, a.participant, a.answered_at)):
        flow = catalog.get(a.scenario)
        node = flow.nodes.get(a.node) if flow else None
        labels = dict(zip(_option_keys(node), (o.label for o in node.options), strict=True)) if node and \
            node.options else {}
        rows.append({
            "cohort": a.cohort, "participant": a.participant, "scenario": a.scenario, "decision": a.node,
            "option": a.option, "option_label": labels.get(a.option, ""), "score": "" if a.score is None else a.score,
            "recommended": "" if a.recommended is None else ("yes" if a.recommended else "no"),
            "answered_at": a.answered_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        })
    return rows
