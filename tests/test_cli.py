"""The `pathways` command line, run as a user would."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import DEMO, ROOT

PATHWAYS = [sys.executable, "-m", "bot.cli"]


def run(*args, cwd=ROOT, stdin=None, env=None):
    return subprocess.run([*PATHWAYS, *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_lint_json_reports_counts_and_passes_on_the_demo_content(tmp_path):
    result = run("lint", "--json", env={"PATHWAYS_CONTENT_DIR": str(DEMO)})
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout
    assert report["flows"] == 2 and report["knowledge"] == 1 and report["services"] == 1
    assert report["errors"] == []


def test_lint_fails_with_the_file_line_message(tmp_path):
    shutil.copytree(DEMO, tmp_path / "c")
    path = tmp_path / "c" / "flows" / "demo.yaml"
    path.write_text(path.read_text().replace("next: high\n", "next: hihg\n"))
    result = run("lint", env={"PATHWAYS_CONTENT_DIR": str(tmp_path / "c")})
    assert result.returncode == 1
    expected = "node 'decide' field 'next': routes to 'hihg', which does not exist (did you mean 'high'?)"
    assert f"{path}:62: {expected}" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_lint_on_a_non_yaml_file_is_a_clear_error(tmp_path):
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "x.yaml").write_bytes(b"\xff\xfe nope: [")
    result = run("lint", env={"PATHWAYS_CONTENT_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "not UTF-8" in result.stdout and "Traceback" not in result.stderr


def test_shipped_flows_all_render_as_mermaid(shipped_content):
    for flow in shipped_content.catalog:
        result = run("graph", flow.id)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("flowchart TD")
        assert all(node_id.replace("-", "_") in result.stdout for node_id in flow.nodes)


def test_graph_dot_and_unknown_flow():
    assert run("graph", "marac-referral", "--format", "dot").stdout.startswith('digraph "marac-referral"')
    assert run("graph", "nope").returncode == 2


def test_chat_reads_piped_stdin_one_message_per_line(tmp_path):
    result = run("chat", "--memory", "--flow", "demo", cwd=tmp_path, stdin="1\nfourteen\n4\nyes\nwords\n",
                 env={"PATHWAYS_CONTENT_DIR": str(DEMO)})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Which way?" in out and "Please reply with a number from 0 to 10." in out
    assert "You recorded 4, at or above 3." in out


def test_chat_keeps_state_in_sqlite_across_runs(tmp_path):
    env = {"PATHWAYS_CONTENT_DIR": str(DEMO), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    pytest.importorskip("bot.storage.sql")
    first = run("chat", "--flow", "demo", cwd=tmp_path, stdin="1\n", env=env)
    assert "How many?" in first.stdout, first.stderr
    second = run("chat", cwd=tmp_path, stdin="4\n", env=env)
    assert "Do you agree?" in second.stdout, second.stderr
    assert (tmp_path / "p.db").exists()


def test_pathways_test_runs_transcripts(tmp_path):
    t = tmp_path / "t.yaml"
    t.write_text("flow: demo\nsteps:\n  - user: '4'\n  - ended: emergency\n")
    result = run("test", str(t), env={"PATHWAYS_CONTENT_DIR": str(DEMO)})
    assert result.returncode == 0, result.stdout
    assert "1 passed, 0 failed" in result.stdout
