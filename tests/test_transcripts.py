"""Every transcript in tests/transcripts runs in pytest too (and with `pathways test`)."""

from pathlib import Path

import pytest

from bot.transcripts import find_transcripts, run_transcript_file

FILES = find_transcripts([Path(__file__).parent / "transcripts"])


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_transcript(path, shipped_content, shipped_searcher):
    results = run_transcript_file(path, shipped_content, shipped_searcher)
    assert results
    failures = [f"{r.name}: {f}" for r in results for f in r.failures]
    assert not failures, "\n".join(failures)


def test_a_failing_transcript_is_reported_with_its_line(tmp_path, demo_content):
    path = tmp_path / "t.yaml"
    path.write_text("flow: demo\nsteps:\n  - user: '1'\n  - bot: {contains: 'no such text'}\n")
    (result,) = run_transcript_file(path, demo_content)
    assert not result.ok
    assert result.failures[0].startswith(f"{path}:4: expected the reply to contain 'no such text'")


DEMO_FILES = find_transcripts([Path(__file__).parent / "fixtures" / "demo" / "transcripts"])


@pytest.mark.parametrize("path", DEMO_FILES, ids=[p.name for p in DEMO_FILES])
def test_demo_transcripts_cover_every_node_kind(path, demo_content):
    results = run_transcript_file(path, demo_content)
    failures = [f"{r.name}: {f}" for r in results for f in r.failures]
    assert not failures, "\n".join(failures)
    kinds = {node.kind for flow in demo_content.catalog for node in flow.nodes.values()}
    assert kinds == {"choice", "number", "yes_no", "free_text", "checklist", "route", "call", "message", "end"}
