"""Immediate-danger detection: cheap phrase rules, tuned on tests/safety/danger_cases.yaml.

Recall matters most (a missed emergency is the worst error), but practitioners ask about the same
words ("what is the strangulation offence"), so a question about the law or a process is not treated
as an emergency unless it also says the danger is happening now.
"""

from __future__ import annotations

import re

__all__ = ["EMERGENCY_TEXT", "detect_danger"]

# Numbers from the service directory (knowledge/services/national.yaml: emergency-999, silent-solution),
# whose records cite their sources.
EMERGENCY_TEXT = (
    "If anyone is in immediate danger, call 999 now. If you cannot speak on a mobile, call 999, "
    "listen, then press 55 when asked (the Silent Solution) so the call is put through to the police."
)

_P = r"(?:he|she|they|him|her|them|my (?:partner|husband|wife|boyfriend|girlfriend|ex|dad|son|brother)|the (?:partner|husband|perpetrator|abuser)|partner|husband|boyfriend|ex)"
_ME = r"(?:me|her|us|my (?:kids|children|baby|son|daughter)|the (?:kids|children|baby))"

_STRONG = [
    rf"\b{_P}\s*(?:'s|is|s)?\s*(?:here|outside|downstairs|at the door|back)\b.*\b(?:now|right now)\b",
    rf"\b{_P}(?:'s| is|s)? (?:here|outside) now\b",
    r"\b(?:he|she|they)(?:'s| is|s) (?:here|outside|at the door|banging|breaking in|trying to get in)\b",
    r"\b(?:trying to|tryna|about to) (?:get|break) in\b",
    rf"\b(?:going to|gonna|gna|will|wants to|threatening to|threatened to|says he will|said he would) kill {_ME}\b",
    r"\b(?:kill|killing|murder) (?:me|her|us)\b",
    r"\b(?:has|got|holding|pulled|waving|with) (?:a |the |his |her )?(?:knife|gun|blade|weapon|hammer|machete)\b",
    r"\bknife (?:to|at|against) (?:my|her|his) (?:throat|neck|chest)\b",
    r"\b(?:can ?not|can'?t|cannot|cant|couldn'?t) breathe?\b",
    rf"\b(?:strangling|choking|suffocating|smothering|hitting|beating|punching|kicking|stabbing|attacking|hurting) {_ME}\b",
    r"^(?:please |pls |plz )?help me\W*$|\bhelp me (?:now|quick|asap|!)|\bhelp me please\W*$|\bsomeone help\b",
    r"\bhelp (?:us|her) (?:now|please|quick)\b",
    r"\bhelp+ ?!+",
    r"\b(?:i'?m|i am|she'?s|she is|we'?re|we are) (?:in danger|not safe|scared for (?:my|her|our) li(?:fe|ves))\b",
    r"\b(?:locked|trapped) (?:me|her|us) in\b",
    r"\b(?:i'?m|i am|she'?s|she is) (?:locked|trapped)\b",
    r"\bset (?:the house|me|her) on fire\b|\bpoured petrol\b",
    r"\b(?:bleeding|unconscious|not breathing|passed out)\b",
    r"\btook (?:the|my|her) (?:kids|children|baby) and\b.*\b(?:threat|kill|hurt)",
    r"\b(?:emergency|sos|999)\s*!+",
    r"\bcall (?:the )?(?:police|999|ambulance) (?:now|for me)\b",
]

_NOW = re.compile(r"\b(?:now|right now|tonight|outside|here|at the door|happening|currently|just now)\b")

# Questions about law, process or training mention danger words without danger happening now.
_ENQUIRY = re.compile(
    r"^(?:what|whats|what's|how|does|do|is|are|can|could|should|when|where|which|who|explain|define|tell me"
    r"|info|information|guidance|training|scenario|question)\b"
    r"|\b(?:offence|offense|law|act|section|legislation|policy|training|definition|criteria|threshold"
    r"|checklist|dash|ric|marac|question|scenario|course|statistics|stats|guidance|refer(?:ral)?)\b"
)

_STRONG_RE = [re.compile(p) for p in _STRONG]


def _normalise(text: str) -> str:
    text = text.casefold().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.split())


def detect_danger(text: str) -> bool:
    """True when a message suggests someone is in immediate danger."""
    message = _normalise(text)[:2000]
    if not message:
        return False
    hit = next((p for p in _STRONG_RE if p.search(message)), None)
    if hit is None:
        return False
    if _ENQUIRY.search(message) and not _NOW.search(message):
        return False
    return True
