"""Charts as inline SVG text, drawn here in Python: no script, no font or image to fetch.

Colours carry meaning only alongside words (a tick and "recommended", a count on every bar), so the charts
still read in greyscale and on a washed-out projector.
"""

from __future__ import annotations

import textwrap
from html import escape

from bot.training.results import DecisionResult, ScenarioResult

__all__ = ["option_chart", "score_chart", "completion_chart", "RECOMMENDED", "MISTAKE", "OTHER"]

WIDTH = 760
RECOMMENDED = "#1a7f37"  # green
MISTAKE = "#b93815"  # the most common non-recommended choice: what to talk about
OTHER = "#6b7280"  # grey
NEUTRAL = "#2563eb"  # a safety check where every option is fine
TRACK = "#e5e7eb"
INK = "#111827"
FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif\""


def _svg(ident: str, title: str, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(ident)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(ident)}-title" {FONT}>'
        f'<title id="{escape(ident)}-title">{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def option_chart(decision: DecisionResult, ident: str) -> str:
    """A horizontal bar per option: its label above, how many chose it; the recommended one(s) ticked."""
    mistake = decision.common_mistake
    bar_room = WIDTH - 200
    body: list[str] = []
    y = 4
    for option in decision.options:
        recommended = option.recommended is True
        lines = textwrap.wrap(("\u2713 " if recommended else "") + option.label, 86) or [""]
        for line in lines:
            y += 19
            weight = ' font-weight="700"' if recommended else ""
            body.append(f'<text x="0" y="{y}" font-size="16" fill="{INK}"{weight}>{escape(line)}</text>')
        y += 6
        if not decision.scored:
            colour = NEUTRAL
        elif recommended:
            colour = RECOMMENDED
        elif mistake is not None and option.key == mistake.key:
            colour = MISTAKE
        else:
            colour = OTHER
        length = round(bar_room * option.share) if option.count else 0
        tag = " recommended" if recommended else ""
        body.append(f'<rect x="0" y="{y}" width="{bar_room}" height="24" rx="3" fill="{TRACK}"/>')
        body.append(
            f'<rect class="bar{tag}" data-option="{escape(option.key)}" data-count="{option.count}" x="0" y="{y}" '
            f'width="{length}" height="24" rx="3" fill="{colour}"><title>{escape(option.label)}: {option.count}'
            f'{" (recommended)" if recommended else ""}</title></rect>'
        )
        label = f"{option.count} ({_percent(option.share)})" + (" \u2713 recommended" if recommended else "")
        colour_text = RECOMMENDED if recommended else INK
        body.append(f'<text x="{bar_room + 8}" y="{y + 18}" font-size="15" fill="{colour_text}">'
                    f"{escape(label)}</text>")
        y += 24 + 10
    title = f"{decision.question} ({decision.answered} answered)"
    return _svg(ident, title, y + 4, body)


def score_chart(scenario: ScenarioResult, ident: str) -> str:
    """How many finished with each score, from the lowest possible to the best."""
    low = min([scenario.worst, *scenario.scores]) if scenario.scores else scenario.worst
    high = max([scenario.best, *scenario.scores]) if scenario.scores else scenario.best
    values = list(range(low, high + 1))
    peak = max(scenario.scores.values(), default=0) or 1
    left, top, plot_height = 8, 28, 150
    step = (WIDTH - left * 2) / max(len(values), 1)
    body = [f'<line x1="{left}" y1="{top + plot_height}" x2="{WIDTH - left}" y2="{top + plot_height}" '
            f'stroke="{INK}" stroke-width="1"/>']
    for index, value in enumerate(values):
        count = scenario.scores.get(value, 0)
        height = round(plot_height * count / peak)
        x = left + index * step
        colour = RECOMMENDED if value == scenario.best else NEUTRAL
        body.append(f'<rect class="bar" data-score="{value}" data-count="{count}" x="{x + step * 0.15:.1f}" '
                    f'y="{top + plot_height - height}" width="{step * 0.7:.1f}" height="{height}" fill="{colour}">'
                    f"<title>score {value}: {count}</title></rect>")
        middle = x + step / 2
        if count:
            body.append(f'<text x="{middle:.1f}" y="{top + plot_height - height - 6}" font-size="15" '
                        f'text-anchor="middle" fill="{INK}">{count}</text>')
        body.append(f'<text x="{middle:.1f}" y="{top + plot_height + 20}" font-size="14" text-anchor="middle" '
                    f'fill="{INK}">{value}</text>')
    body.append(f'<text x="{WIDTH / 2:.0f}" y="{top + plot_height + 42}" font-size="14" text-anchor="middle" '
                f'fill="{OTHER}">score (best possible {scenario.best}); bar height: people who finished</text>')
    title = f"Score distribution: {scenario.title}"
    return _svg(ident, title, top + plot_height + 50, body)


def completion_chart(scenario: ScenarioResult, ident: str) -> str:
    """One bar: who reached the debrief, out of everyone who started."""
    rate = scenario.completion_rate or 0.0
    length = round((WIDTH - 2) * rate)
    text = f"{scenario.completed} of {scenario.started} finished ({_percent(rate)})"
    body = [
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="30" rx="4" fill="{TRACK}"/>',
        f'<rect class="bar" data-count="{scenario.completed}" x="1" y="1" width="{length}" height="30" rx="4" '
        f'fill="{RECOMMENDED}"/>',
        f'<text x="{WIDTH / 2:.0f}" y="22" font-size="16" text-anchor="middle" fill="{INK}" '
        f'font-weight="700">{escape(text)}</text>',
    ]
    return _svg(ident, f"Completion: {text}", 32, body)
