"""JOIN CODE (SMS, console) and /join CODE (Telegram): joining a training cohort before the turn runs.

Joining talks to the store (a participant number is handed out), so it happens before the conversation
turn; the turn then opens the cohort's scenario with what `join` decided (a `Joining`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from bot.content.library import Content
from bot.engine.outbound import Outbound
from bot.engine.scenarios import MENU_START, scenario_menu
from bot.safety import detect_danger
from bot.storage.cohorts import Cohort, CohortStore
from bot.training.codes import CODE_LENGTH, is_code, normalise_code

__all__ = ["Joining", "join_request", "join", "member_entry", "MEMBER_KEY"]

# The conversation state keeps a copy of the membership under this key (the store's row is the record).
MEMBER_KEY = "cohort"

# "JOIN K7PX3M", "join k7p-x3m", "/join K7PX3M", "/join@PathwaysBot K7PX3M", "JOIN" alone (asks for the code).
_JOIN = re.compile(r"^\s*/?join(?:@\w+)?(?:[\s:]+(?P<code>[A-Za-z0-9][A-Za-z0-9 \-]{0,15}))?\s*[.!]?\s*$",
                   re.IGNORECASE)

USAGE = (f"To join a training session, send JOIN followed by the {CODE_LENGTH}-character code your trainer "
         "gave you (on Telegram: /join and the code).")
_CODE_HINT = (f"Check it with your trainer: codes have {CODE_LENGTH} letters and digits, never 0, O, 1 or I. "
              "Reply MENU for the main menu.")
UNKNOWN = "There is no training session with the code {code}. " + _CODE_HINT
NOT_A_CODE = "That is not a training code. " + _CODE_HINT  # not echoed: it might be anything, even a phone number
ENDED = ("The training session \"{name}\" has ended, so it takes no more answers. Ask your trainer for a new "
         "code, or reply MENU for the main menu.")
JOINED = ("You joined \"{name}\" as participant {number}. Your choices go to the group's results under that "
          "number only, never your name or phone number, and are deleted when the session ends ({ends}).")
SWITCHED = "You have left your previous training session. "
ALREADY = "You are already in \"{name}\" as participant {number}."
CARRY_ON = " Carry on with the question below, or send RESTART to start the scenario again."


@dataclass(frozen=True)
class Joining:
    """What a JOIN message decided: what to say, what to open (None: nothing, the code was refused)."""

    notice: Outbound
    start: str | None = None  # a scenario id, or a `menu:scenarios…` list
    member: dict[str, Any] | None = None  # the state's copy of the membership
    already: bool = False


def join_request(text: object) -> str | None:
    """The code a JOIN message gives ('' when it gives none); None when the message is not a JOIN.

    Safety first: a message the danger check flags is never taken as a JOIN.
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    match = _JOIN.match(text)
    if match is None or detect_danger(text):
        return None
    return match["code"] or ""


def member_entry(cohort: Cohort, number: int) -> dict[str, Any]:
    """The conversation state's copy of a membership: enough to word messages without a database read."""
    return {"code": cohort.code, "participant": number, "scenarios": list(cohort.scenarios),
            "until": cohort.expires_at.isoformat()}


def _ends(cohort: Cohort) -> str:
    return cohort.expires_at.strftime("%-d %b %Y, %H:%M UTC")


def _start_of(cohort: Cohort, content: Content) -> str:
    """What joining opens: the one scenario, or the list of the cohort's (or every) scenario."""
    ids = [s for s in cohort.scenarios if (f := content.catalog.get(s)) is not None and f.kind == "scenario"]
    if len(ids) == 1:
        return ids[0]
    return MENU_START + scenario_menu(ids)


async def join(store: CohortStore, content: Content, user_key: str, code_text: str, now: dt.datetime) -> Joining:
    """Join the cohort a JOIN message names, or explain why not (no code, unknown, ended)."""
    if not code_text:
        return Joining(Outbound(USAGE, kind="notice"))
    code = normalise_code(code_text)
    if not is_code(code):
        return Joining(Outbound(NOT_A_CODE, kind="notice"))
    cohort = await store.get_cohort(code)
    if cohort is None:
        return Joining(Outbound(UNKNOWN.format(code=code), kind="notice"))
    result = None if cohort.expired(now) else await store.join_cohort(code, user_key, now)
    if result is None:
        return Joining(Outbound(ENDED.format(name=cohort.name), kind="notice"))
    member = member_entry(cohort, result.participant)
    if result.already:
        text = ALREADY.format(name=cohort.name, number=result.participant)
        return Joining(Outbound(text, kind="notice"), _start_of(cohort, content), member, already=True)
    text = (SWITCHED if result.left else "") + JOINED.format(name=cohort.name, number=result.participant,
                                                             ends=_ends(cohort))
    return Joining(Outbound(text, kind="notice"), _start_of(cohort, content), member)
