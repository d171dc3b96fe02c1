"""One inbound message in, the replies out: the pure conversation core around the engine.

Order in every state: the safety layer first (immediate danger → 999 / Silent Solution before anything
else; a reminder when identifying details are typed), then erasure, expiry and first contact, then
the engine or search.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.content.library import Content
from bot.engine import ConversationState, CorruptState, Outbound, Reference, start_flow, step
from bot.engine.answers import clean_input, match_choice
from bot.engine.outbound import Choice, Event
from bot.engine.step import menu_message
from bot.safety import EMERGENCY_TEXT, PERSONAL_DATA_WARNING, detect_danger, detect_personal_data
from bot.storage.base import StoredConversation

__all__ = ["Reply", "respond", "asks_to_forget", "PRIVACY_NOTICE", "FORGET_WORDS", "Searcher"]

FORGET_WORDS = {"forget", "/forget", "forget me", "delete", "erase"}
# A first message that only says hello gets the menu, not a search for "hello".
GREETINGS = {"hi", "hello", "hey", "hiya", "hi there", "hello there", "good morning", "good afternoon",
             "good evening", "/start", "start"}
SEARCH_MENU = "search:"

PRIVACY_NOTICE = (
    "Pathways keeps only your place in a pathway and its answers, under a code that does not identify you, "
    "never your messages. It lapses after {expiry} min idle and is deleted within {retention} days; "
    "reply FORGET to erase it now."
)
EXPIRED_NOTE = "Your last conversation ended after a pause, so we are starting fresh."
CORRUPT_NOTE = "Sorry, we could not pick up where you left off, so we are starting fresh."
FORGOTTEN = "Done: everything we held for you has been erased. Send any message to start again."


class Searcher(Protocol):
    def search(self, query: str, k: int = 3, role: str | None = None) -> Any: ...


@dataclass
class Reply:
    """What one turn produced."""

    messages: list[Outbound] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    erase: bool = False
    danger: bool = False
    personal_data: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # rendered by a paging channel (SMS): the one to send now


def asks_to_forget(text: object) -> bool:
    """FORGET (and its synonyms) on its own: erase everything held for this user."""
    return clean_input(text).casefold().strip(" .!") in FORGET_WORDS


def respond(
    content: Content,
    stored: StoredConversation | None,
    text: object,
    now: dt.datetime,
    *,
    expiry: dt.timedelta = dt.timedelta(minutes=30),
    searcher: Searcher | None = None,
    start: str | None = None,
    retention_days: int = 30,
) -> tuple[dict[str, Any] | None, Reply]:
    """Decide the replies to one message. Returns the state to store (None: delete) and the Reply.

    `start` begins a flow directly (a command such as /scenario or a deep link), after the safety layer.
    """
    message = clean_input(text)
    reply = Reply()
    if detect_danger(message):
        reply.danger = True
        reply.messages.append(Outbound(EMERGENCY_TEXT, kind="emergency",
                                       references=(Reference("service", "emergency-999"),)))
    found = detect_personal_data(message)
    if found:
        reply.personal_data = found
        reply.messages.append(Outbound(PERSONAL_DATA_WARNING, kind="notice"))

    if asks_to_forget(message):
        reply.erase = True
        reply.messages.append(Outbound(FORGOTTEN, kind="notice"))
        return None, reply

    state = _load(stored, now, expiry, reply)
    if stored is None:
        reply.messages.append(Outbound(PRIVACY_NOTICE.format(expiry=int(expiry.total_seconds() // 60),
                                                              retention=retention_days), kind="notice"))
        if start is None and (not message or message.casefold().strip(" .!") in GREETINGS):
            reply.messages.append(menu_message(content.catalog, state))
            return state.to_dict(), reply

    if start is not None:
        turn = start_flow(content.catalog, state, start)
        reply.messages += turn.messages
        reply.events += turn.events
        return turn.state.to_dict(), reply

    if state.at_menu and state.menu.startswith(SEARCH_MENU):
        opened = _open_search_result(content, state, message, reply)
        if opened is not None:
            return opened.to_dict(), reply
        state.menu = "main"

    turn = step(content.catalog, state, message)
    reply.messages += turn.messages
    reply.events += turn.events
    state = turn.state
    for event in turn.events:
        if event.name == "search" and event.query is not None:
            state = _search(content, state, event.query, searcher, reply)
    return state.to_dict(), reply


def _load(stored: StoredConversation | None, now: dt.datetime, expiry: dt.timedelta,
          reply: Reply) -> ConversationState:
    if stored is None:
        return ConversationState()
    if now - stored.updated_at > expiry:
        reply.messages.append(Outbound(EXPIRED_NOTE, kind="notice"))
        role = stored.state.get("answers", {}).get("role") if isinstance(stored.state, dict) else None
        return ConversationState(answers={"role": role} if isinstance(role, str) else {})
    try:
        return ConversationState.from_dict(stored.state)
    except CorruptState:
        reply.messages.append(Outbound(CORRUPT_NOTE, kind="notice"))
        reply.events.append(Event("flow_restarted"))
        return ConversationState()


def _search(content: Content, state: ConversationState, query: str, searcher: Searcher | None,
            reply: Reply) -> ConversationState:
    if searcher is None:
        reply.messages.append(menu_message(content.catalog, state))
        return state
    results = searcher.search(query, k=3, role=state.role)
    hits = list(getattr(results, "hits", []))[:3]
    if not hits or not getattr(results, "confident", False):
        text = "I'm not sure I have good guidance for that."
        suggestion = getattr(results, "did_you_mean", None)
        if suggestion:
            text += f" Did you mean: {suggestion}?"
        text += (" Try other words, pick from the menu, or ask your DA lead or MARAC coordinator."
                 " The National Domestic Abuse Helpline also advises professionals.")
        reply.messages.append(Outbound(text, kind="search",
                                       references=(Reference("service", "national-domestic-abuse-helpline"),)))
        reply.messages.append(menu_message(content.catalog, state))
        reply.events.append(Event("search", outcome="no_match"))
        return state
    choices = tuple(Choice(str(i + 1), _hit_label(h)) for i, h in enumerate(hits))
    reply.messages.append(Outbound("Here is what I found:", kind="question", choices=choices, expects="choice"))
    reply.events.append(Event("search", outcome="match"))
    state.menu = SEARCH_MENU + ",".join(f"{h.kind}:{h.id}" for h in hits)
    return state


def _hit_label(hit: Any) -> str:
    prefix = {"flow": "Pathway: ", "service": "Service: "}.get(hit.kind, "")
    return f"{prefix}{hit.title}"


def _open_search_result(content: Content, state: ConversationState, message: str,
                        reply: Reply) -> ConversationState | None:
    targets = state.menu.removeprefix(SEARCH_MENU).split(",")
    choices = [Choice(str(i + 1), t) for i, t in enumerate(targets)]
    picked = match_choice(message, choices) if message.strip().isdecimal() else None
    if picked is None:
        return None
    kind, _, target = picked.label.partition(":")
    state.menu = "main"
    if kind == "flow":
        turn = start_flow(content.catalog, state, target)
        reply.messages += turn.messages
        reply.events += turn.events
        return turn.state
    reply.messages.append(Outbound("", kind="info", references=(Reference(kind, target),)))  # type: ignore[arg-type]
    entry = content.guidance.get(target) if kind == "guidance" else None
    if entry is not None and entry.flow and entry.flow in content.catalog:
        flow = content.catalog.get(entry.flow)
        state.menu = SEARCH_MENU + f"flow:{flow.id}"
        reply.messages.append(Outbound("Want to work through it step by step?", kind="question",
                                       choices=(Choice("1", f"Start: {flow.title}"),), expects="choice"))
    return state
