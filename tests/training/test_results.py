"""The report's numbers, from a cohort whose answers are known."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.storage.cohorts import Cohort, CohortAnswer, CohortFinish, CohortResults
from bot.training.results import build_report
from tests.training.conftest import AE, SDAC

START = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
SCORES = {  # the A&E scenario's option scores, decision by decision
    "first_step": {"1": 1, "2": 2, "3": -1},
    "children": {"1": -1, "2": 2, "3": -1},
    "risk_score": {"1": -1, "2": 0, "3": 2},
    "discharge": {"1": 2, "2": -1, "3": -1},
}
RECOMMENDED = {"first_step": "2", "children": "2", "risk_score": "3", "discharge": "1"}
NODES = list(SCORES)

# participant -> their first answers (in scenario order), and how they ended
ROOM = {
    1: ("2231", "scenario_complete"),  # the recommended path: 8
    2: ("3122", "scenario_complete"),  # -1 -1 +0 -1 = -3
    3: ("3221", "scenario_complete"),  # -1 +2 +0 +2 = 3
    4: ("1", "emergency"),  # called 999 at once: stopped there
    5: ("23", None),  # left after two decisions
}


def known_results(joined: int = 6) -> CohortResults:
    cohort = Cohort("K7PX3M", "CCR Leaders, Leeds", (AE, SDAC), START, START + dt.timedelta(days=7), joined)
    answers, finishes = [], []
    for number, (choices, outcome) in ROOM.items():
        for index, option in enumerate(choices):
            node = NODES[index]
            answers.append(CohortAnswer("K7PX3M", number, AE, node, option, SCORES[node][option],
                                        option == RECOMMENDED[node], START + dt.timedelta(minutes=index)))
        if outcome:
            finishes.append(CohortFinish("K7PX3M", number, AE, outcome, START + dt.timedelta(minutes=9)))
    return CohortResults(cohort, tuple(answers), tuple(finishes))


@pytest.fixture
def report(shipped_content):
    return build_report(known_results(), shipped_content.catalog, START + dt.timedelta(hours=1))


def test_counts_per_option_with_the_recommended_one_marked(report):
    ae = report.scenarios[0]
    assert ae.id == AE
    counts = {d.node: {o.key: o.count for o in d.options} for d in ae.decisions}
    assert counts == {
        "first_step": {"1": 1, "2": 2, "3": 2},
        "children": {"1": 1, "2": 2, "3": 1},
        "risk_score": {"1": 0, "2": 2, "3": 1},
        "discharge": {"1": 2, "2": 1, "3": 0},
    }
    assert {d.node: [o.key for o in d.options if o.recommended] for d in ae.decisions} == {
        node: [key] for node, key in RECOMMENDED.items()}
    first = ae.decisions[0]
    assert (first.answered, first.recommended_share) == (5, pytest.approx(0.4))
    assert [round(o.share, 2) for o in first.options] == [0.2, 0.4, 0.4]
    assert first.question == "She is alone in a cubicle. What do you do first?"


def test_the_most_common_non_recommended_choice_comes_with_its_feedback(report):
    mistakes = {d.node: d.common_mistake for d in report.scenarios[0].decisions}
    assert mistakes["first_step"].label == "Treat her throat and discharge her with painkillers"
    assert mistakes["first_step"].count == 2
    assert mistakes["first_step"].feedback.startswith("This misses a serious warning sign.")
    assert mistakes["first_step"].guidance == ("non-fatal-strangulation", "health-ask-privately")
    assert mistakes["children"].key == "1"  # a tie (1 each, same score): the first in the scenario
    assert mistakes["risk_score"].label == "Grade it medium under local practice and refer to outreach"
    assert mistakes["discharge"].key == "2"


def test_completion_and_the_score_distribution(report):
    ae = report.scenarios[0]
    assert (ae.started, ae.completed) == (5, 3)
    assert ae.completion_rate == pytest.approx(0.6)
    assert ae.outcomes == {"scenario_complete": 3, "emergency": 1}
    assert ae.scores == {-3: 1, 3: 1, 8: 1}  # finished participants only
    assert (ae.best, ae.worst) == (8, -4)
    assert ae.mean_score == pytest.approx(8 / 3)


def test_a_listed_scenario_nobody_played_is_reported_empty(report):
    sdac = report.scenarios[1]
    assert sdac.id == SDAC
    assert (sdac.started, sdac.completed, sdac.completion_rate, sdac.mean_score) == (0, 0, None, None)
    assert all(d.answered == 0 and d.common_mistake is None for d in sdac.decisions)
    assert sdac.decisions[0].scored is False  # "is anyone in danger right now?" is a safety check


def test_totals_version_and_one_csv_row_per_answer(report):
    assert (report.joined, report.answers, report.finishes, report.empty) == (6, 15, 4, False)
    assert report.version == "6-15-4"
    assert len(report.rows) == 15
    assert report.rows[0] == {
        "cohort": "K7PX3M", "participant": 1, "scenario": AE, "decision": "first_step", "option": "2",
        "option_label": "Ask her, alone, whether someone did this to her", "score": 2, "recommended": "yes",
        "answered_at": "2026-03-02T09:30:00+00:00",
    }


def test_a_cohort_with_no_answers_is_empty(shipped_content):
    results = known_results(joined=3)
    empty = CohortResults(results.cohort, (), ())
    report = build_report(empty, shipped_content.catalog, START)
    assert report.empty and report.joined == 3
    assert [s.started for s in report.scenarios] == [0, 0]


def test_without_listed_scenarios_the_report_covers_those_answered(shipped_content):
    results = known_results()
    cohort = Cohort("K7PX3M", "Open practice", (), START, START + dt.timedelta(days=1), 5)
    report = build_report(CohortResults(cohort, results.answers, results.finishes), shipped_content.catalog, START)
    assert [s.id for s in report.scenarios] == [AE]
