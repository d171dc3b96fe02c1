"""`pathways report CODE --out DIR`: report.html, results.csv (one row per answer) and summary.csv."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from bot.training.report_page import render_report_html
from bot.training.results import CohortReport

__all__ = ["RESULT_COLUMNS", "SUMMARY_COLUMNS", "results_csv", "summary_csv", "write_report"]

RESULT_COLUMNS = ["cohort", "participant", "scenario", "decision", "option", "option_label", "score", "recommended",
                  "answered_at"]
SUMMARY_COLUMNS = ["scenario", "decision", "question", "option", "option_label", "recommended", "score",
                   "chosen_by", "share", "answered"]


def _csv(columns: list[str], rows: list[Mapping[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # Text from the scenario files only, but a spreadsheet would run a leading = + - @ as a formula.
        writer.writerow({k: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for k, v in row.items()})
    return buffer.getvalue()


def results_csv(report: CohortReport) -> str:
    """Every stored answer: participant number, scenario, decision, option, score, recommended, time."""
    return _csv(RESULT_COLUMNS, list(report.rows))


def summary_csv(report: CohortReport) -> str:
    """What the charts show: per scenario, decision and option, how many chose it."""
    rows = []
    for scenario in report.scenarios:
        for decision in scenario.decisions:
            for option in decision.options:
                rows.append({
                    "scenario": scenario.id, "decision": decision.node, "question": decision.question,
                    "option": option.key, "option_label": option.label,
                    "recommended": "" if option.recommended is None else ("yes" if option.recommended else "no"),
                    "score": "" if option.score is None else option.score, "chosen_by": option.count,
                    "share": f"{option.share:.3f}", "answered": decision.answered,
                })
    return _csv(SUMMARY_COLUMNS, rows)


def write_report(report: CohortReport, out: Path, guidance_titles: Mapping[str, str] | None = None) -> list[Path]:
    """Write the three files into `out` (created if need be); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "report.html": render_report_html(report, guidance_titles),
        "results.csv": results_csv(report),
        "summary.csv": summary_csv(report),
    }
    paths = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
