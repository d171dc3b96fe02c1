"""The trainer's report as one self-contained HTML page: inline CSS and SVG, nothing fetched.

The same page is written by `pathways report` and served live at /trainer/cohorts/CODE, where a few lines
of inline script poll a small JSON document and reload the page when new answers arrive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from bot.training.charts import MISTAKE, OTHER, RECOMMENDED, completion_chart, option_chart, score_chart
from bot.training.results import COMPLETE, CohortReport, DecisionResult, ScenarioResult

__all__ = ["LivePage", "render_report_html", "render_message_html", "REFRESH_SECONDS"]

REFRESH_SECONDS = 5

_STYLE = f"""
:root {{ color-scheme: light; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; font: 18px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: #111827;
  background: #f9fafb; }}
header, main, footer {{ max-width: 980px; margin: 0 auto; padding: 16px 24px; }}
header {{ border-bottom: 3px solid {RECOMMENDED}; }}
h1 {{ font-size: 2rem; margin: 0.2em 0; }}
h2 {{ font-size: 1.5rem; margin: 1.2em 0 0.4em; }}
h3 {{ font-size: 1.15rem; margin: 1em 0 0.3em; }}
.meta, .note {{ color: #374151; margin: 0.2em 0; }}
.code {{ font: 700 1.6rem/1 ui-monospace, 'DejaVu Sans Mono', Menlo, monospace; letter-spacing: 0.12em;
  background: #111827; color: #fff; padding: 0.1em 0.35em; border-radius: 4px; }}
.legend span {{ display: inline-block; margin-right: 1.2em; }}
.swatch {{ display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; vertical-align: -0.1em;
  margin-right: 0.3em; }}
section.scenario {{ background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 20px 20px;
  margin: 20px 0; }}
article.decision {{ border-top: 1px solid #e5e7eb; margin-top: 16px; padding-top: 4px; }}
.stats {{ display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 8px 0; }}
.stats b {{ font-size: 1.3rem; }}
.debrief {{ background: #fff7ed; border-left: 5px solid {MISTAKE}; padding: 8px 14px; margin-top: 6px; }}
.debrief.none {{ background: #f0fdf4; border-left-color: {RECOMMENDED}; }}
.debrief p {{ margin: 0.3em 0; }}
.empty {{ background: #fff; border: 2px dashed #9ca3af; border-radius: 8px; padding: 24px; text-align: center; }}
footer {{ color: #4b5563; font-size: 0.9rem; }}
svg.chart {{ display: block; max-width: 100%; height: auto; margin: 6px 0; }}
"""


@dataclass(frozen=True)
class LivePage:
    """For the served page: where to poll, and the nonce the Content-Security-Policy allows the script by."""

    poll_url: str
    nonce: str


def _page(title: str, body: str, *, version: str = "", live: LivePage | None = None) -> str:
    head_extra = ""
    script = ""
    if live is not None:
        head_extra = f'<noscript><meta http-equiv="refresh" content="{REFRESH_SECONDS * 3}"></noscript>'
        script = (
            f'<script nonce="{escape(live.nonce)}">(function(){{var u={json.dumps(live.poll_url)},'
            f'v=document.body.getAttribute("data-version");setInterval(function(){{fetch(u,{{cache:"no-store"}})'
            '.then(function(r){return r.ok?r.json():null}).then(function(d){if(d&&d.version!==v){location.reload()}})'
            f'.catch(function(){{}})}},{REFRESH_SECONDS * 1000})}})();</script>'
        )
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{escape(title)}</title><style>{_STYLE}</style>'
        f'{head_extra}</head><body data-version="{escape(version)}">{body}{script}</body></html>'
    )


def render_message_html(title: str, message: str) -> str:
    """A plain page for an unknown or ended cohort."""
    return _page(title, f"<main><h1>{escape(title)}</h1><p>{escape(message)}</p></main>")


def render_report_html(report: CohortReport, guidance_titles: Mapping[str, str] | None = None, *,
                       live: LivePage | None = None) -> str:
    """The whole page for one cohort."""
    cohort = report.cohort
    titles = guidance_titles or {}
    updated = report.generated_at.strftime("%H:%M:%S UTC, %-d %b %Y")
    ends = cohort.expires_at.strftime("%-d %b %Y, %H:%M UTC")
    header = (
        f"<header><h1>{escape(cohort.name)}</h1>"
        f'<p class="meta">Join code <span class="code">{escape(cohort.code)}</span> &nbsp; Text '
        f"<b>JOIN {escape(cohort.code)}</b> by SMS, or send <b>/join {escape(cohort.code)}</b> to the Telegram bot."
        f'</p><p class="meta"><b class="joined">{report.joined}</b> joined &middot; <b class="answers">'
        f"{report.answers}</b> answers &middot; updated {escape(updated)}"
        f"{' &middot; refreshes by itself' if live else ''}</p>"
        f'<p class="legend note"><span><i class="swatch" style="background:{RECOMMENDED}"></i>\u2713 recommended'
        f'</span><span><i class="swatch" style="background:{MISTAKE}"></i>most common other choice</span>'
        f'<span><i class="swatch" style="background:{OTHER}"></i>other choices</span></p></header>'
    )
    if report.empty:
        main = (
            '<main><section class="empty"><h2>Waiting for answers</h2>'
            f"<p>{_people(report.joined)} joined so far; nobody has made a decision yet. "
            f"{'This page updates as answers arrive.' if live else ''}</p></section></main>"
        )
    else:
        main = "<main>" + "".join(_scenario(s, i, titles) for i, s in enumerate(report.scenarios, 1)) + "</main>"
    footer = (
        "<footer><p>Anonymous: participants are numbers, never names or phone numbers. Each person's first "
        "answer at each decision is counted; changing it later (BACK or RESTART) does not change these "
        f"results. Everything is deleted when the session ends ({escape(ends)}).</p></footer>"
    )
    return _page(f"Training results: {cohort.name} ({cohort.code})", header + main + footer,
                 version=report.version, live=live)


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _scenario(scenario: ScenarioResult, number: int, titles: Mapping[str, str]) -> str:
    ident = f"s{number}"
    other_ends = {k: v for k, v in scenario.outcomes.items() if k != COMPLETE}
    stopped = "".join(
        f"<span><b>{count}</b> reached the end &ldquo;{escape(outcome.replace('_', ' '))}&rdquo;</span>"
        for outcome, count in sorted(other_ends.items())
    )
    mean = scenario.mean_score
    stats = (
        f'<div class="stats"><span><b>{scenario.started}</b> started</span>'
        f"<span><b>{scenario.completed}</b> finished</span>"
        f"<span>average score <b>{'–' if mean is None else f'{mean:.1f}'}</b> of {scenario.best}</span>"
        f"{stopped}</div>"
    )
    scores = (score_chart(scenario, f"{ident}-scores") if scenario.scores
              else '<p class="note">No one has reached the end yet.</p>')
    decisions = "".join(_decision(d, f"{ident}-d{i}", i, titles) for i, d in enumerate(scenario.decisions, 1))
    return (
        f'<section class="scenario" id="{ident}"><h2>{escape(scenario.title)}</h2>{stats}'
        f"<h3>Completion</h3>{completion_chart(scenario, f'{ident}-completion')}"
        f"<h3>Scores of those who finished</h3>{scores}{decisions}</section>"
    )


def _decision(decision: DecisionResult, ident: str, number: int, titles: Mapping[str, str]) -> str:
    share = decision.recommended_share
    summary = f"{decision.answered} answered"
    if decision.scored and share is not None:
        summary += f" &middot; {round(share * 100)}% chose a recommended option"
    if not decision.scored:
        summary += " &middot; safety check, not scored"
    return (
        f'<article class="decision" id="{ident}"><h3>Decision {number}: {escape(decision.question)}</h3>'
        f'<p class="note">{summary}</p>{option_chart(decision, ident)}{_debrief(decision, titles)}</article>'
    )


def _debrief(decision: DecisionResult, titles: Mapping[str, str]) -> str:
    if not decision.scored or not decision.answered:
        return ""
    mistake = decision.common_mistake
    if mistake is None:
        return '<div class="debrief none"><p>Everyone chose a recommended option here.</p></div>'
    guidance = ", ".join(escape(titles.get(g, g)) for g in mistake.guidance)
    return (
        '<div class="debrief"><p><b>For the debrief:</b> the most common other choice was '
        f"&ldquo;{escape(mistake.label)}&rdquo; ({_people(mistake.count)}).</p>"
        f"<p>{escape(mistake.feedback)}</p>"
        + (f'<p class="note">Guidance: {guidance}</p>' if guidance else "")
        + "</div>"
    )
