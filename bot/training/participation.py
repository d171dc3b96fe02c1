"""Taking part in a training cohort, around the usual conversation turn.

Before the turn (`prepare`), a JOIN message joins, and FORGET looks up the participant number erasure is
about to unlink. Inside the turn (`respond`, pure), a participant is told
what happens to their answers: after joining, on leaving a scenario early, on restarting it, at its end,
after FORGET. After the turn (`record`), their scenario decisions and endings go to the cohort's results:
the first answer at each decision only, under the participant number, never the user key.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.content.library import Content
from bot.conversation.respond import Reply, asks_to_forget
from bot.engine import ConversationState, CorruptState
from bot.engine.outbound import Event, Outbound
from bot.engine.step import menu_message, prompt_for
from bot.errors import StorageError
from bot.storage.base import ConversationStore, StoredConversation
from bot.storage.cohorts import CohortAnswer, CohortFinish
from bot.training.joining import CARRY_ON, MEMBER_KEY, Joining, join, join_request

__all__ = ["CohortParticipation", "Respond", "Unlinking"]

log = logging.getLogger("pathways.training")

# respond(stored, text, now, *, start) -> (state to store or None, Reply): the conversation core, bound.
Respond = Callable[..., tuple[dict[str, Any] | None, Reply]]

LEFT = ("You left the scenario before the end. Your answers so far still count for the group; send "
        "JOIN {code} to start it again.")
RESTARTED = "This run is just for you: the group's results keep your first answer at each decision."
FINISHED = ("Thank you, participant {number}: your choices are in the group's results, for your trainer to "
            "go through with everyone.")
SESSION_ENDED = "The training session has ended, so your answers no longer go to the group's results."
UNLINKED = ("You are no longer linked to participant {number}. The group's anonymous answers stay until the "
            "session ends, then they are deleted too.")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Unlinking:
    """FORGET from a cohort participant: the number that erasure unlinks, to tell them what stays."""

    participant: int


class CohortParticipation:
    """Used by `ConversationService`: one per service, sharing its store."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    async def prepare(self, content: Content, user_key: str, text: object, *,
                      unless_opted_out: bool = False) -> Joining | Unlinking | None:
        """Before the turn: join, for a JOIN message; for FORGET, note the participant number it will unlink.

        None for any other message (no database read), or for a JOIN from a sender who opted out of SMS."""
        if asks_to_forget(text):
            membership = await self.store.cohort_membership(user_key)
            return Unlinking(membership.participant) if membership is not None else None
        code = join_request(text)
        if code is None or (unless_opted_out and await self.store.is_opted_out(user_key)):
            return None
        return await join(self.store, content, user_key, code, _utcnow())

    def respond(self, respond: Respond, content: Content, stored: StoredConversation | None, text: object,
                now: dt.datetime, *, start: str | None,
                joining: Joining | Unlinking | None) -> tuple[dict | None, Reply]:
        """The turn, with a participant's notes; keeps the state's copy of the membership."""
        if isinstance(joining, Joining):
            return self._joined(respond, content, stored, now, joining)
        member = _member(stored)
        new_state, reply = respond(stored, text, now, start=start)
        if new_state is None:  # FORGET: the service's erase unlinks the participant number
            if isinstance(joining, Unlinking):
                reply.messages.append(Outbound(UNLINKED.format(number=joining.participant), kind="notice"))
            return None, reply
        if member is None:
            return new_state, reply
        if _ended(member, now):
            if any(_is_scenario(content, e.flow) for e in reply.events if e.name == "answered"):
                reply.messages.append(Outbound(SESSION_ENDED, kind="notice"))
            return new_state, reply
        _tell_participant(content, member, reply)
        new_state[MEMBER_KEY] = member
        return new_state, reply

    def _joined(self, respond: Respond, content: Content, stored: StoredConversation | None, now: dt.datetime,
                joining: Joining) -> tuple[dict | None, Reply]:
        if joining.start is None:  # refused: say why, change nothing (a first contact gets the usual welcome)
            if stored is not None:
                return _kept(stored), Reply(messages=[joining.notice])
            new_state, reply = respond(None, "", now, start=None)
            reply.messages.insert(_after_notices(reply), joining.notice)
            return new_state, reply
        if joining.already:
            state = _state(stored)
            if state is not None and state.frames and _in_cohort_scenario(state, joining.member):
                notice = Outbound(joining.notice.text + CARRY_ON, kind="notice")
                return {**_kept(stored), MEMBER_KEY: joining.member}, Reply(
                    messages=[notice, _prompt(content, state)])
        new_state, reply = respond(stored, "", now, start=joining.start)
        reply.messages.insert(_after_notices(reply), joining.notice)
        if new_state is not None:
            new_state[MEMBER_KEY] = joining.member
        return new_state, reply

    async def record(self, content: Content, user_key: str, reply: Reply) -> int:
        """Keep a participant's scenario decisions and endings (first ones only); returns how many were new.

        The turn is already saved, so a database failure here costs the group's chart one answer and is only
        logged: failing the request would lose the user's reply (a provider's retry is a duplicate)."""
        events = [e for e in reply.events if e.name in ("answered", "flow_ended") and _is_scenario(content, e.flow)]
        if not events:
            return 0  # the usual case: no database read at all
        try:
            return await self._record(user_key, events)
        except StorageError as exc:
            log.warning("cohort answer not recorded", extra={"error": type(exc).__name__})
            return 0

    async def _record(self, user_key: str, events: list[Event]) -> int:
        membership = await self.store.cohort_membership(user_key)
        now = _utcnow()
        if membership is None or membership.cohort.expired(now):
            return 0
        cohort, number = membership.cohort, membership.participant
        kept = 0
        for event in events:
            if cohort.scenarios and event.flow not in cohort.scenarios:
                continue
            if event.name == "answered" and event.node and event.option:
                kept += await self.store.record_cohort_answer(CohortAnswer(
                    cohort.code, number, event.flow, event.node, event.option, event.score, event.recommended, now))
            elif event.name == "flow_ended" and event.outcome:
                kept += await self.store.record_cohort_finish(
                    CohortFinish(cohort.code, number, event.flow, event.outcome, now))
        return kept


def _kept(stored: StoredConversation) -> dict[str, Any]:
    """The stored state, for a reply that does not move the conversation: any pages of an earlier long reply
    still waiting for MORE (the service's "outbox") are dropped, as a new reply from `respond` drops them."""
    state = stored.state if isinstance(stored.state, dict) else {}
    return {k: v for k, v in state.items() if k != "outbox"}


def _after_notices(reply: Reply) -> int:
    """Where a joining notice goes: after the privacy notice or a "starting fresh" note."""
    at = 0
    while at < len(reply.messages) and reply.messages[at].kind in ("notice", "emergency"):
        at += 1
    return at


def _is_scenario(content: Content, flow_id: str | None) -> bool:
    flow = content.catalog.get(flow_id) if flow_id else None
    return flow is not None and flow.kind == "scenario"


def _member(stored: StoredConversation | None) -> dict[str, Any] | None:
    entry = stored.state.get(MEMBER_KEY) if stored is not None and isinstance(stored.state, dict) else None
    if not isinstance(entry, dict) or not {"code", "participant", "until"} <= set(entry):
        return None
    return entry


def _ended(member: dict[str, Any], now: dt.datetime) -> bool:
    try:
        return now >= dt.datetime.fromisoformat(str(member["until"]))
    except ValueError:
        return True


def _counts(member: dict[str, Any], flow_id: str | None) -> bool:
    scenarios = member.get("scenarios") or []
    return bool(flow_id) and (not scenarios or flow_id in scenarios)


def _tell_participant(content: Content, member: dict[str, Any], reply: Reply) -> None:
    """Notes for leaving a cohort scenario early, restarting it, and finishing it."""
    left = [e.flow for e in reply.events if e.name == "flow_left" and _is_scenario(content, e.flow)
            and _counts(member, e.flow)]
    started = {e.flow for e in reply.events if e.name == "flow_started"}
    ended = [e for e in reply.events if e.name == "flow_ended" and _is_scenario(content, e.flow)
             and _counts(member, e.flow)]
    for flow_id in left:
        if flow_id in started:  # RESTART: after the engine's "Starting again" note
            reply.messages.insert(_after_notices(reply), Outbound(RESTARTED, kind="notice"))
        else:  # MENU, another flow: before the menu
            at = sum(1 for m in reply.messages if m.kind == "emergency")
            reply.messages.insert(at, Outbound(LEFT.format(code=member["code"]), kind="notice"))
    if ended:  # after the summary, before "Reply MENU…"
        at = len(reply.messages) - (1 if reply.messages and reply.messages[-1].kind == "outcome" else 0)
        reply.messages.insert(at, Outbound(FINISHED.format(number=member["participant"]), kind="notice"))


def _state(stored: StoredConversation | None) -> ConversationState | None:
    if stored is None:
        return None
    try:
        return ConversationState.from_dict(stored.state)
    except CorruptState:
        return None


def _in_cohort_scenario(state: ConversationState, member: dict[str, Any] | None) -> bool:
    return member is not None and _counts(member, state.frames[0].flow)


def _prompt(content: Content, state: ConversationState) -> Outbound:
    """The question the user is at (or the menu), to repeat it."""
    frame = state.frames[-1]
    flow = content.catalog.get(frame.flow, frame.version)
    node = flow.nodes.get(frame.node) if flow else None
    if flow is None or node is None or node.kind in ("message", "route", "call", "end"):
        return menu_message(content.catalog, state)
    return prompt_for(flow, node, frame, state, content.catalog)

