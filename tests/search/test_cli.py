from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import bot.cli.search_commands  # noqa: F401  (registers the commands)
from bot.cli import app

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_search_prints_hits():
    out = run("search", "clares law")
    assert out.startswith("1. Clare's Law") and "clares-law" in out
    assert "No confident match" not in out


def test_search_json():
    data = json.loads(run("search", "jewish womens aid number", "-k", "2", "--json"))
    assert data["hits"][0]["id"] == "jewish-womens-aid" and len(data["hits"]) == 2
    assert data["confident"] is True and data["routes"] == []


def test_search_without_a_confident_match_gives_the_general_routes():
    out = run("search", "pizza near me", "--role", "faith-leader")
    assert "No confident match" in out
    assert "MARAC coordinator" in out and "National Domestic Abuse Helpline" in out and "lead" in out


def test_search_with_nothing_to_search():
    out = run("search", "\U0001f600")
    assert "No confident match (the query has no words to search for)" in out


@pytest.fixture
def queries_file(tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text("queries:\n  - {q: clares law, role: null, expect: [clares-law]}\n"
                    "  - {q: pizza, role: null, expect: [refuges]}\n", encoding="utf-8")
    return path


def test_eval_json_prints_only_the_figures(queries_file):
    data = json.loads(run("eval", "--json", "--queries", str(queries_file)))
    assert set(data) == {"n", "top1", "top3", "mrr"} and data["n"] == 2 and data["top1"] == 0.5


def test_eval_lists_misses(queries_file):
    out = run("eval", "--queries", str(queries_file))
    assert "miss: 'pizza'" in out and "n=2 top1=0.500" in out


def test_eval_without_a_query_set(tmp_path):
    result = runner.invoke(app, ["eval", "--queries", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2


def test_bench_search(queries_file):
    out = run("bench", "search", "--size", "300", "--rounds", "1", "--queries", str(queries_file))
    assert "shipped" in out and "generated" in out and "ratio" in out
