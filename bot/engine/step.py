"""One turn of a conversation: `step(flows, state, text) -> Turn(state, messages, events)`.

Pure: no I/O. Global commands (menu, back, restart, help) work in every state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.answers import clean_input, match_choice, read_number, read_yes_no
from bot.engine.commands import command_of
from bot.engine.outbound import Choice, Event, Outbound, Reference
from bot.engine.scenarios import MENU_START, SCENARIO_MENU_KEY, add_to_score, is_scored, scenario_ids, summary_text
from bot.engine.state import ConversationState, Frame
from bot.flows.catalog import FlowCatalog
from bot.flows.model import Flow, Node
from bot.flows.templates import render_template

__all__ = ["Turn", "step", "start_flow", "menu_message", "prompt_for", "HELP_TEXT"]

MAX_HOPS = 200
HELP_TEXT = (
    "Reply with the number or words of an option. MENU shows the main menu, BACK goes back one step, "
    "RESTART starts this pathway again, FORGET erases what we hold. In immediate danger call 999."
)
YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))

# The role menu (/role, "change role", or a channel's start): it only decides which pathways the menu lists.
ROLE_MENU_KEY = "role"
ROLE_MENU_START = MENU_START + ROLE_MENU_KEY  # start_flow(..., ROLE_MENU_START) asks the role
ROLE_TARGET = "role:"
ROLE_QUESTION = "Who are you? This only changes which pathways the menu shows; change it with /role."
ROLES = (
    ("practitioner", "Frontline practitioner (health, housing, police, social care, IDVA)"),
    ("faith-leader", "Faith leader"),
    ("trainer", "Trainer"),
    ("", "Show me everything"),
)


@dataclass
class Turn:
    """The result of one step: the new state, what to say, and what happened."""

    state: ConversationState
    messages: list[Outbound] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def say(self, text: str, **kwargs) -> None:
        self.messages.append(Outbound(text=text, **kwargs))


def step(flows: FlowCatalog, state: ConversationState, user_input: object) -> Turn:
    """Take one user message and return the new state, the replies and the events."""
    text = clean_input(user_input)
    turn = Turn(state=state.copy())
    command = command_of(text)
    if command == "menu":
        _leave(turn)
        turn.state.push_history()
        turn.state.frames = []
        turn.state.menu = "main"
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    if command == "help":
        turn.say(HELP_TEXT, kind="notice")
        _repeat_prompt(flows, turn)
        return turn
    if command == "back":
        return _back(flows, turn)
    if command == "restart":
        return _restart(flows, turn)
    if command == "scenarios":
        return _open_menu(flows, turn, SCENARIO_MENU_KEY)
    if command == "role":
        return _open_menu(flows, turn, ROLE_MENU_KEY)

    if turn.state.at_menu:
        return _at_menu(flows, turn, text)

    frame = turn.state.frames[-1]
    flow, node = _locate(flows, turn, frame)
    if flow is None or node is None:
        return turn
    _receive(flows, turn, flow, node, text)
    return turn


def start_flow(flows: FlowCatalog, state: ConversationState, flow_id: str) -> Turn:
    """Begin a flow from its start node (from the menu, a search result or a command), leaving any flow in
    progress. `menu:scenarios` (or `menu:scenarios:id1,id2`, `menu:main`) opens that menu instead."""
    turn = Turn(state=state.copy())
    if flow_id.startswith(MENU_START):
        return _open_menu(flows, turn, flow_id.removeprefix(MENU_START))
    flow = flows.get(flow_id)
    if flow is None:
        turn.say("That pathway is not available.", kind="notice")
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    _leave(turn)
    turn.state.push_history()
    turn.state.frames = []  # a new top-level flow: finishing it must not return into the one left
    _begin(flows, turn, flow)
    return turn


def _leave(turn: Turn) -> None:
    """A flow given up before its end (MENU, RESTART, another flow or menu opened): an event says so."""
    if turn.state.frames:
        turn.events.append(Event("flow_left", flow=turn.state.frames[0].flow, node=turn.state.frames[-1].node))


def _open_menu(flows: FlowCatalog, turn: Turn, menu: str) -> Turn:
    if menu == ROLE_MENU_KEY:
        _leave(turn)
        turn.state.push_history()
        turn.state.frames = []
        turn.state.menu = ROLE_MENU_KEY
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    ids = scenario_ids(menu)
    if ids is not None and not any(f.kind == "scenario" for f in flows):
        turn.say("There are no training scenarios here.", kind="notice")
        ids = None
    _leave(turn)
    turn.state.push_history()
    turn.state.frames = []
    listed = [i for i in ids or () if (f := flows.get(i)) is not None and f.kind == "scenario"]
    turn.state.menu = "main" if ids is None else SCENARIO_MENU_KEY + (":" + ",".join(listed) if listed else "")
    turn.messages.append(menu_message(flows, turn.state))
    return turn


# --- the menu -------------------------------------------------------------------------------------


def _menu_choices(flows: FlowCatalog, state: ConversationState) -> list[tuple[Choice, str]]:
    if state.menu == ROLE_MENU_KEY:
        return [(Choice(str(i + 1), label), ROLE_TARGET + role) for i, (role, label) in enumerate(ROLES)]
    only = scenario_ids(state.menu)
    if only is not None:
        scenarios = [f for i in only if (f := flows.get(i)) is not None] or flows.menu_flows(None, kind="scenario")
        return [(Choice(str(i + 1), f.title), f.id) for i, f in enumerate(scenarios)]
    entries = [(Choice(str(i + 1), f.title), f.id) for i, f in enumerate(flows.menu_flows(state.role))]
    if state.role in (None, "trainer") and flows.menu_flows(None, kind="scenario"):
        entries.append((Choice(str(len(entries) + 1), "Practise a scenario"), SCENARIO_MENU_KEY))
    return entries


def menu_message(flows: FlowCatalog, state: ConversationState) -> Outbound:
    """The main menu (or the scenario list), as a question."""
    choices = tuple(c for c, _ in _menu_choices(flows, state))
    if state.menu == ROLE_MENU_KEY:
        return Outbound(text=ROLE_QUESTION, kind="question", choices=choices, expects="choice")
    title = "Which scenario?" if scenario_ids(state.menu) is not None else "What do you need?"
    return Outbound(
        text=f"{title} Pick one, or type a question.",
        kind="question",
        choices=choices,
        expects="choice",
    )


def _at_menu(flows: FlowCatalog, turn: Turn, text: str) -> Turn:
    entries = _menu_choices(flows, turn.state)
    choice = match_choice(text, [c for c, _ in entries])
    if choice is None and turn.state.menu == ROLE_MENU_KEY:
        turn.say("Please pick one of these.", kind="reprompt")
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    if choice is None:
        if not text:
            turn.say("I didn't catch that.", kind="reprompt")
            turn.messages.append(menu_message(flows, turn.state))
        else:
            turn.events.append(Event("search", query=text))
        return turn
    target = dict((c.key, t) for c, t in entries)[choice.key]
    turn.state.push_history()
    if target.startswith(ROLE_TARGET):
        role = target.removeprefix(ROLE_TARGET)
        if role:
            turn.state.answers["role"] = role
        else:
            turn.state.answers.pop("role", None)
        turn.state.menu = "main"
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    if target == SCENARIO_MENU_KEY:
        turn.state.menu = SCENARIO_MENU_KEY
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    turn.state.menu = "main"
    _begin(flows, turn, flows.get(target))
    return turn


# --- commands -------------------------------------------------------------------------------------


def _back(flows: FlowCatalog, turn: Turn) -> Turn:
    if not turn.state.history:
        turn.say("There is no earlier step to go back to.", kind="notice")
        _repeat_prompt(flows, turn)
        return turn
    turn.state.restore(turn.state.history.pop())
    _repeat_prompt(flows, turn)
    return turn


def _restart(flows: FlowCatalog, turn: Turn) -> Turn:
    if turn.state.at_menu:
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    flow = flows.get(turn.state.frames[0].flow)
    _leave(turn)
    turn.state.push_history()
    turn.state.frames = []
    if flow is None:
        turn.messages.append(menu_message(flows, turn.state))
        return turn
    turn.say("Starting again from the beginning.", kind="notice")
    _begin(flows, turn, flow)
    return turn


def _repeat_prompt(flows: FlowCatalog, turn: Turn) -> None:
    if turn.state.at_menu:
        turn.messages.append(menu_message(flows, turn.state))
        return
    frame = turn.state.frames[-1]
    flow, node = _locate(flows, turn, frame)
    if flow is not None and node is not None:
        turn.messages.append(prompt_for(flow, node, frame, turn.state, flows))


# --- walking a flow -------------------------------------------------------------------------------


def _locate(flows: FlowCatalog, turn: Turn, frame: Frame) -> tuple[Flow | None, Node | None]:
    """The flow version and node the frame is pinned to; restart with a note if either is gone."""
    flow = flows.get(frame.flow, frame.version)
    node = flow.nodes.get(frame.node) if flow else None
    if flow is not None and node is not None:
        return flow, node
    current = flows.get(turn.state.frames[0].flow)
    turn.state.frames = []
    turn.state.history = []
    turn.events.append(Event("flow_restarted", flow=frame.flow))
    if current is None:
        turn.say("The pathway you were using is no longer available.", kind="notice")
        turn.messages.append(menu_message(flows, turn.state))
    else:
        turn.say(
            "This pathway was updated since you started it, so we have started it again from the beginning.",
            kind="notice",
        )
        _begin(flows, turn, current)
    return None, None


def _begin(flows: FlowCatalog, turn: Turn, flow: Flow) -> None:
    if not turn.state.frames:
        # A new pathway starts clean: answers about one case must never steer the next (only the role stays).
        role = turn.state.role
        turn.state.answers = {"role": role} if role else {}
    turn.state.frames.append(Frame(flow=flow.id, version=str(flow.version), node=flow.start))
    turn.events.append(Event("flow_started", flow=flow.id))
    _enter(flows, turn, flow, flow.start)


def _choices(node: Node) -> tuple[Choice, ...]:
    if node.options is not None:
        return tuple(Choice(o.key or str(i + 1), o.label) for i, o in enumerate(node.options))
    if node.yes_no or node.checklist is not None:
        extra = (Choice("skip", "Skip"),) if node.checklist and node.checklist.skip else ()
        return YES_NO + extra
    return ()


def prompt_for(flow: Flow, node: Node, frame: Frame, state: ConversationState, flows: FlowCatalog) -> Outbound:
    """The question a waiting node asks (checklists ask their current item)."""
    params = flows.parameters(flow)
    expects = {"choice": "choice", "number": "number", "yes_no": "yes_no", "free_text": "text",
               "checklist": "yes_no"}[node.kind]
    if node.checklist is not None:
        total = len(node.checklist.items)
        item = node.checklist.items[min(frame.item, total - 1)]
        lead = render_template(node.ask, state.answers, params) + "\n" if node.ask and frame.item == 0 else ""
        text = f"{lead}{frame.item + 1}/{total}: {item}"
    else:
        text = render_template(node.ask or "", state.answers, params)
    return Outbound(text=text, kind="question", choices=_choices(node), expects=expects)


def _enter(flows: FlowCatalog, turn: Turn, flow: Flow, node_id: str) -> None:
    """Arrive at a node and keep going until a question waits or the conversation is back at the menu."""
    for _ in range(MAX_HOPS):
        frame = turn.state.frames[-1]
        frame.node, frame.item, frame.tally = node_id, 0, 0
        node = flow.nodes[node_id]
        params = flows.parameters(flow)
        if node.say:
            turn.say(render_template(node.say, turn.state.answers, params), kind="info")
        if node.signpost:
            refs = _references(node)
            if refs:
                turn.messages.append(Outbound(text="", kind="info", references=refs))
        kind = node.kind
        if kind in ("choice", "number", "yes_no", "free_text", "checklist"):
            turn.messages.append(prompt_for(flow, node, frame, turn.state, flows))
            return
        if kind == "route":
            node_id = _route(flow, node_id, node, turn.state, params)
            continue
        if kind == "call":
            sub = flows.get(node.flow)
            turn.state.frames.append(Frame(flow=sub.id, version=str(sub.version), node=sub.start))
            turn.events.append(Event("flow_started", flow=sub.id))
            flow, node_id = sub, sub.start
            continue
        if kind == "end":
            scored = frame.scored if flow.kind == "scenario" else None
            summary = summary_text(scored)
            if summary:
                turn.say(summary, kind="outcome")
            turn.events.append(Event("flow_ended", flow=flow.id, outcome=node.end,
                                     score=scored["points"] if scored else None))
            turn.state.frames.pop()
            if not turn.state.frames:
                turn.messages.append(
                    Outbound(text="Reply MENU for the main menu, or type a question.", kind="outcome")
                )
                return
            caller = turn.state.frames[-1]
            flow = flows.get(caller.flow, caller.version)
            node_id = flow.nodes[caller.node].next
            continue
        node_id = node.next  # a message node
    raise RuntimeError(f"flow '{flow.id}' looped {MAX_HOPS} times without a question")  # lint prevents this


def _references(node: Node) -> tuple[Reference, ...]:
    sp = node.signpost
    refs = [Reference("service", s) for s in sp.services]
    refs += [Reference("service", f"tag:{t}") for t in sp.service_tags]
    refs += [Reference("guidance", g) for g in sp.guidance]
    refs += [Reference("flow", f) for f in sp.flows]
    return tuple(refs)


def _route(flow: Flow, node_id: str, node: Node, state: ConversationState, params: dict) -> str:
    for index, rule in enumerate(node.route):
        if rule.else_ is not None:
            return rule.else_
        if flow.conditions[f"{node_id}#{index}"].evaluate(state.answers, params):
            return rule.next
    raise RuntimeError("route without else")  # lint requires an else


def _receive(flows: FlowCatalog, turn: Turn, flow: Flow, node: Node, text: str) -> None:
    """Read the user's answer to the waiting node: re-prompt (state unchanged) or save and move on."""
    frame = turn.state.frames[-1]
    kind = node.kind
    before = turn.state.snapshot()
    if kind == "choice":
        choices = _choices(node)
        choice = match_choice(text, choices)
        if choice is None:
            return _reprompt(flows, turn, flow, node, frame, _choice_retry(node, choices))
        option = node.options[choices.index(choice)]
        turn.state.history.append(before)
        if flow.kind == "scenario" and is_scored(node):
            frame.scored = add_to_score(frame.scored, node, option)
        if node.save:
            turn.state.answers[node.save] = option.value if option.value is not None else choice.key
        turn.events.append(
            Event("answered", flow=flow.id, node=frame.node, option=choice.key, score=option.score,
                  recommended=option.recommended)
        )
        if option.feedback:
            turn.say(option.feedback, kind="feedback")
        return _enter(flows, turn, flow, option.next)
    if kind == "number":
        value = read_number(text, node.number.min, node.number.max)
        if value is None:
            retry = node.retry or f"Please reply with a number from {node.number.min} to {node.number.max}."
            return _reprompt(flows, turn, flow, node, frame, retry)
        turn.state.history.append(before)
        turn.state.answers[node.save] = value
        return _enter(flows, turn, flow, node.next)
    if kind == "yes_no":
        value = read_yes_no(text)
        if value is None:
            return _reprompt(flows, turn, flow, node, frame, node.retry or "Please reply YES or NO.")
        turn.state.history.append(before)
        if node.save:
            turn.state.answers[node.save] = value
        return _enter(flows, turn, flow, (node.yes if value else node.no) or node.next)
    if kind == "free_text":
        if not text or len(text) > node.text.max_length:
            retry = node.retry or f"Please reply in words (up to {node.text.max_length} characters)."
            return _reprompt(flows, turn, flow, node, frame, retry)
        turn.state.history.append(before)
        if node.save:  # free text is kept only where the flow explicitly saves it
            turn.state.answers[node.save] = text
        return _enter(flows, turn, flow, node.next)
    if kind == "checklist":
        return _checklist(flows, turn, flow, node, frame, text, before)
    raise RuntimeError(f"node kind '{kind}' does not wait for an answer")


def _checklist(flows, turn, flow, node, frame, text, before) -> None:
    spec = node.checklist
    if spec.skip and text.strip(" .!").casefold() == "skip":
        turn.state.history.append(before)
        return _enter(flows, turn, flow, spec.skip)
    value = read_yes_no(text)
    if value is None:
        retry = node.retry or "Please reply YES or NO" + (", or SKIP." if spec.skip else ".")
        return _reprompt(flows, turn, flow, node, frame, retry)
    turn.state.history.append(before)
    frame.tally += int(value)
    frame.item += 1
    if frame.item < len(spec.items):
        turn.messages.append(prompt_for(flow, node, frame, turn.state, flows))
        return None
    if node.save:
        turn.state.answers[node.save] = frame.tally
    return _enter(flows, turn, flow, node.next)


def _choice_retry(node: Node, choices: tuple[Choice, ...]) -> str:
    if node.retry:
        return node.retry
    numbers = ", ".join(str(i + 1) for i in range(len(choices) - 1)) + f" or {len(choices)}"
    return f"Please reply {numbers}."


def _reprompt(flows, turn, flow, node, frame, retry: str) -> None:
    turn.say(retry, kind="reprompt")
    turn.messages.append(prompt_for(flow, node, frame, turn.state, flows))
