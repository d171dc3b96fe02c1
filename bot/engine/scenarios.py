"""Training scenarios in the engine: the running score of one run, its summary, and the scenario menu.

A run's score lives in its frame (`Frame.scored`), so BACK (which restores an earlier snapshot) takes a
changed answer's points back with it, and RESTART starts from nothing.
"""

from __future__ import annotations

from bot.flows.model import Node, Option

__all__ = [
    "SCENARIO_MENU_KEY",
    "MENU_START",
    "is_scored",
    "add_to_score",
    "summary_text",
    "scenario_menu",
    "scenario_ids",
]

SCENARIO_MENU_KEY = "scenarios"
# `start_flow(flows, state, "menu:scenarios")` opens the scenario list; "menu:scenarios:a,b" lists only a and b.
MENU_START = "menu:"


def is_scored(node: Node) -> bool:
    """A real decision: at least one option is not recommended (a safety check where every answer is fine
    is not scored)."""
    return bool(node.options) and any(o.recommended is False for o in node.options)


def add_to_score(scored: dict[str, int] | None, node: Node, option: Option) -> dict[str, int]:
    """The run's tally after choosing `option` at `node`: points, best possible, decisions, recommended."""
    tally = dict(scored or {"points": 0, "best": 0, "decisions": 0, "recommended": 0})
    scores = [o.score for o in node.options or () if o.score is not None]
    tally["points"] += option.score or 0
    tally["best"] += max(scores, default=0)
    tally["decisions"] += 1
    tally["recommended"] += int(bool(option.recommended))
    return tally


def summary_text(scored: dict[str, int] | None) -> str | None:
    """The end-of-scenario summary, or None when nothing was scored."""
    if not scored or not scored.get("decisions"):
        return None
    points, best = scored["points"], scored["best"]
    decisions, recommended = scored["decisions"], scored["recommended"]
    return (
        f"Your result: {points} of a possible {best} point{'s' if best != 1 else ''}. You chose a recommended "
        f"option at {recommended} of {decisions} decision{'s' if decisions != 1 else ''}."
    )


def scenario_menu(ids: list[str] | tuple[str, ...] = ()) -> str:
    """The menu key for the scenario list, optionally limited to these flow ids (a training cohort's)."""
    return SCENARIO_MENU_KEY + (":" + ",".join(ids) if ids else "")


def scenario_ids(menu: str) -> list[str] | None:
    """For a scenario-list menu key: the ids it is limited to ([] = every scenario); None for other menus."""
    if menu == SCENARIO_MENU_KEY:
        return []
    if menu.startswith(SCENARIO_MENU_KEY + ":"):
        return [i for i in menu.removeprefix(SCENARIO_MENU_KEY + ":").split(",") if i]
    return None
