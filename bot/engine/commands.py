"""Words that mean the same in every state and channel, and so can never be a flow's option."""

from __future__ import annotations

__all__ = ["GLOBAL_COMMANDS", "RESERVED_WORDS", "command_of"]

# Handled by the engine in every state.
GLOBAL_COMMANDS = {
    "menu": "menu",
    "main menu": "menu",
    "/menu": "menu",
    "back": "back",
    "/back": "back",
    "restart": "restart",
    "start again": "restart",
    "/restart": "restart",
    "help": "help",
    "/help": "help",
    "/scenario": "scenarios",
    "/scenarios": "scenarios",
    "/role": "role",
    "change role": "role",
}

# Handled before the engine, by the conversation core or a channel (SMS carrier keywords).
CHANNEL_WORDS = {
    "forget", "more", "join", "skip",
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
    "start", "unstop", "info",
}

RESERVED_WORDS = frozenset(set(GLOBAL_COMMANDS) | CHANNEL_WORDS) - {"skip"}


def command_of(text: str) -> str | None:
    """The global command a message is, if it is exactly one (case and punctuation ignored)."""
    word = text.strip().strip(".!?").casefold()
    return GLOBAL_COMMANDS.get(word)
