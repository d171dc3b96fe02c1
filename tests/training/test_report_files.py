"""report.html (self-contained, charts as inline SVG) and the CSV files, from known answers; and the
`pathways cohort` and `pathways report` commands, run as a trainer would."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from bot.cli import _register, app
from bot.conversation.service import ConversationService
from bot.storage.migrate import upgrade
from bot.storage.sql import open_store
from bot.testing import TEST_SECRET
from bot.training.links import sign_code
from bot.training.report_files import RESULT_COLUMNS, results_csv, summary_csv, write_report
from bot.training.report_page import LivePage, render_report_html
from bot.training.results import build_report
from tests.conftest import ROOT
from tests.training.conftest import AE
from tests.training.test_results import START, known_results

PATHWAYS = [sys.executable, "-m", "bot.cli"]


@pytest.fixture
def report(shipped_content):
    return build_report(known_results(), shipped_content.catalog, START + dt.timedelta(hours=1))


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, re.DOTALL)


def test_the_page_has_a_chart_per_decision_plus_completion_and_scores(report):
    html = render_report_html(report)
    ae, sdac = report.scenarios
    expected = (2 + len(ae.decisions)) + (1 + len(sdac.decisions))  # nobody finished the SDAC one: no scores
    assert len(svgs(html)) == expected
    first_decision = next(s for s in svgs(html) if 'id="s1-d1"' in s)
    assert re.findall(r'class="bar( recommended)?" data-option="(\d)" data-count="(\d+)"', first_decision) == [
        ("", "1", "1"), (" recommended", "2", "2"), ("", "3", "2")]
    assert "\u2713 Ask her, alone, whether someone did this to her" in first_decision
    assert "2 (40%) \u2713 recommended" in first_decision


def test_the_debrief_names_the_most_common_other_choice_with_its_feedback(report, shipped_content):
    titles = {g.id: g.title for g in shipped_content.guidance.values()}
    html = render_report_html(report, titles)
    assert ("the most common other choice was &ldquo;Treat her throat and discharge her with painkillers&rdquo; "
            "(2 people)") in html
    assert "This misses a serious warning sign." in html
    assert f"Guidance: {titles['non-fatal-strangulation']}" in html
    assert "3 of 5 finished (60%)" in html
    assert "average score <b>2.7</b> of 8" in html
    assert "reached the end &ldquo;emergency&rdquo;" in html


def test_the_page_is_self_contained(report):
    html = render_report_html(report).replace('xmlns="http://www.w3.org/2000/svg"', "")  # a name, not a fetch
    assert "<script" not in html  # the written file needs none
    for outside in ("src=", "<link", "@import", "url(", "href=", "http://", "https://"):
        assert outside not in html, outside
    live = render_report_html(report, live=LivePage("/trainer/cohorts/K7PX3M/results.json?sig=x", "n0nce"))
    assert live.count("<script") == 1 and '<script nonce="n0nce">' in live
    assert "<script src" not in live and "https://" not in live.replace("http://www.w3.org/2000/svg", "")
    assert f'data-version="{report.version}"' in live


def test_text_from_the_trainer_is_escaped(report):
    hostile = replace(report, cohort=replace(report.cohort, name='<script>alert("x")</script> & co'))
    html = render_report_html(hostile)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html


def test_an_empty_cohort_shows_a_waiting_page(shipped_content):
    results = known_results(joined=4)
    empty = build_report(replace(results, answers=(), finishes=()), shipped_content.catalog, START)
    html = render_report_html(empty)
    assert "Waiting for answers" in html and "4 people joined so far" in html
    assert svgs(html) == []


def test_results_csv_has_one_anonymous_row_per_answer(report):
    rows = list(csv.DictReader(io.StringIO(results_csv(report))))
    assert list(rows[0]) == RESULT_COLUMNS
    assert len(rows) == 15
    assert rows[0] == {"cohort": "K7PX3M", "participant": "1", "scenario": AE, "decision": "first_step",
                       "option": "2", "option_label": "Ask her, alone, whether someone did this to her",
                       "score": "2", "recommended": "yes", "answered_at": "2026-03-02T09:30:00+00:00"}
    assert sum(r["recommended"] == "yes" for r in rows) == 7


def test_summary_csv_matches_the_charts(report):
    rows = list(csv.DictReader(io.StringIO(summary_csv(report))))
    first = [r for r in rows if r["scenario"] == AE and r["decision"] == "first_step"]
    assert [(r["option"], r["chosen_by"], r["share"], r["recommended"]) for r in first] == [
        ("1", "1", "0.200", "no"), ("2", "2", "0.400", "yes"), ("3", "2", "0.400", "no")]


def test_a_spreadsheet_formula_in_a_cell_is_neutralised(report):
    hostile = replace(report, rows=({**report.rows[0], "option_label": "=HYPERLINK(\"http://x\")"},))
    assert "'=HYPERLINK" in results_csv(hostile)


def test_write_report_writes_the_three_files(report, tmp_path):
    paths = write_report(report, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["report.html", "results.csv", "summary.csv"]
    assert all(p.stat().st_size > 0 for p in paths)


# --- the command line --------------------------------------------------------------------------------------


def pathways(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("TRAINER_TOKEN", "PUBLIC_BASE_URL")}
    return subprocess.run([*PATHWAYS, *args], cwd=ROOT, env=environment | {"DATABASE_URL": database_url} | env,
                          capture_output=True, text=True, timeout=120)


def code_from(output: str) -> str:
    return re.search(r"^Join code: ([A-Z2-9]{6})$", output, re.MULTILINE).group(1)


async def play(database_url: str, content, code: str, people: dict[str, list[str]]) -> None:
    store = await open_store(database_url)
    try:
        service = ConversationService(content, store, TEST_SECRET)
        for sender, answers in people.items():
            for text in [f"JOIN {code}", *answers]:
                await service.handle("sms", sender, text)
    finally:
        await store.close()


def test_a_trainer_creates_a_cohort_and_writes_its_report(database_url, shipped_content, tmp_path):
    token = "trainer-token-for-tests-0123456789"
    upgrade(database_url)  # as `pathways db upgrade` would (PostgreSQL is never migrated implicitly)
    created = pathways("cohort", "create", "--name", "CCR Leaders, Leeds", "--scenario", AE, "--expires", "2d",
                       database_url=database_url, TRAINER_TOKEN=token, PUBLIC_BASE_URL="https://pathways.example.org")
    assert created.returncode == 0, created.stderr
    code = code_from(created.stdout)
    assert f"Join by SMS: JOIN {code}   Telegram: /join {code}" in created.stdout
    assert f"Live report: https://pathways.example.org/trainer/cohorts/{code}?sig={sign_code(token, code)}" \
        in created.stdout

    empty = pathways("report", code, "--out", str(tmp_path / "none"), database_url=database_url)
    assert empty.returncode == 1
    assert f"error: cohort {code} (CCR Leaders, Leeds) has no answers yet (0 joined); nothing written" in empty.stderr
    assert not (tmp_path / "none").exists()

    asyncio.run(play(database_url, shipped_content, code, {
        "+447700900001": ["2", "2", "3", "1"], "+447700900002": ["3", "1"], "+447700900003": ["1"]}))
    written = pathways("report", code.lower(), "--out", str(tmp_path / "out"), database_url=database_url)
    assert written.returncode == 0, written.stderr
    assert "3 joined, 7 answers." in written.stdout
    html = (tmp_path / "out" / "report.html").read_text()
    assert "1 of 3 finished (33%)" in html
    rows = list(csv.DictReader((tmp_path / "out" / "results.csv").open()))
    assert [(r["participant"], r["decision"], r["option"]) for r in rows if r["decision"] == "first_step"] == [
        ("1", "first_step", "2"), ("2", "first_step", "3"), ("3", "first_step", "1")]

    listed = pathways("cohort", "list", database_url=database_url)
    assert f"{code}  CCR Leaders, Leeds  (3 joined; {AE}; ends " in listed.stdout
    link = pathways("cohort", "link", code, database_url=database_url, TRAINER_TOKEN=token)
    assert link.stdout.startswith(f"/trainer/cohorts/{code}?sig={sign_code(token, code)}")


def test_bad_options_and_unknown_codes_are_one_line_errors(sqlite_url, tmp_path):
    cases = [
        (["cohort", "create", "--name", "x", "--scenario", "no-such-scenario"], 2, "--scenario: no training "
         "scenario 'no-such-scenario'; known: "),
        (["cohort", "create", "--name", "x", "--expires", "200d"], 2, "--expires: between 10 minutes"),
        (["cohort", "create", "--name", "x", "--expires", "soon"], 2, "--expires: 'soon' is not a duration"),
        (["cohort", "create", "--name", "  "], 2, "--name: give the session a name"),
        (["report", "ZZZZ22", "--out", str(tmp_path)], 1, "no cohort has the code 'ZZZZ22'"),
        (["cohort", "link", "ZZZZ22"], 2, "TRAINER_TOKEN: not set"),
    ]
    _register()
    runner = CliRunner()
    env = {"DATABASE_URL": sqlite_url, "TRAINER_TOKEN": None, "PUBLIC_BASE_URL": None}
    for args, code, message in cases:
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == code, (args, result.output)
        assert result.stderr.startswith(f"error: {message}"), (args, result.stderr)
        assert result.exception is None or isinstance(result.exception, SystemExit)
