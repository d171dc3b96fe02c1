"""Every outcome of every shipped flow is walked by a transcript in tests/transcripts (issue #4).

An outcome counts as covered only when a transcript's `ended:` step confirmed that very flow ending with
it: a MARAC referral reached through the housing flow's call covers marac-referral's `refer_marac`, not
housing-options' own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.yamlsource import load_yaml
from bot.transcripts import find_transcripts, run_transcript_file
from tests.conftest import ROOT

TRANSCRIPTS = find_transcripts([ROOT / "tests" / "transcripts"])
FLOW_FILES = sorted((ROOT / "flows").rglob("*.yaml"))


def outcomes_of(flow) -> set[str]:
    """The outcome values a flow can end with: one per distinct `end:` among its nodes."""
    return {node.end for node in flow.nodes.values() if node.end}


@pytest.fixture(scope="module")
def reached(shipped_content, shipped_searcher) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for path in TRANSCRIPTS:
        for result in run_transcript_file(path, shipped_content, shipped_searcher):
            assert result.ok, f"{result.name}: " + "\n".join(result.failures)
            pairs |= result.reached
    return pairs


def test_every_flow_file_is_loaded(shipped_content):
    # A flow that failed to load would silently drop out of the coverage check below.
    assert not shipped_content.errors, [str(p) for p in shipped_content.errors]
    assert {str(load_yaml(path)["id"]) for path in FLOW_FILES} == set(shipped_content.catalog.ids())
    assert any(Path(path).parent.name == "scenarios" for path in FLOW_FILES)


def test_every_outcome_of_every_flow_is_reached_by_a_transcript(shipped_content, reached):
    missing = [
        f"{flow.id}: {outcome}"
        for flow in shipped_content.catalog
        for outcome in sorted(outcomes_of(flow))
        if (flow.id, outcome) not in reached
    ]
    assert not missing, "no transcript ends these flows with these outcomes:\n  " + "\n  ".join(missing)


def test_every_flow_has_an_emergency_exit_that_a_transcript_takes(shipped_content, reached):
    assert {flow.id for flow in shipped_content.catalog} <= {flow for flow, outcome in reached
                                                             if outcome == "emergency"}


def test_only_the_asserted_ending_of_the_flow_that_ended_counts(demo_content):
    results = run_transcript_file(ROOT / "tests" / "fixtures" / "demo" / "transcripts" / "every-node-kind.yaml",
                                  demo_content)
    reached = set().union(*(r.reached for r in results))
    assert {("demo", "refer_high"), ("demo", "low_outcome"), ("demo", "helper_done")} <= reached
    # demo calls demo-helper, which ends (helper_finished) in the same reply, but no step asserts it.
    assert not {pair for pair in reached if pair[0] == "demo-helper"}
    assert ("demo", "emergency") not in reached


def test_a_transcript_without_an_ended_step_covers_nothing(demo_content, tmp_path):
    path = tmp_path / "no-ending.yaml"
    path.write_text("flow: demo\nsteps:\n  - user: '3'\n")
    (result,) = run_transcript_file(path, demo_content)
    assert result.ok and result.reached == set()
