"""The Telegram commands: what each one sends into the conversation core, and the channel's own texts.

Commands registered with setMyCommands, in menu order. Each maps to the words the conversation core
already understands (MENU, BACK, HELP, FORGET, ...), so Telegram behaves exactly like SMS and the console.
"""

from __future__ import annotations

import datetime as dt

from bot import __version__
from bot.content.library import Content

__all__ = ["COMMANDS", "CORE_WORDS", "SCENARIO_MENU_LABEL", "commands_help", "about_text", "GROUP_NOTE",
           "NOT_TEXT", "UNKNOWN_COMMAND", "SEARCH_USAGE", "UNAVAILABLE", "MOVED_ON", "SORRY"]

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Privacy notice, who you are, and your menu"),
    ("menu", "The main menu"),
    ("search", "Search the guidance: /search your words"),
    ("flows", "List the pathways"),
    ("back", "Go back one step"),
    ("help", "How to use Pathways"),
    ("forget", "Erase everything held for you"),
    ("role", "Change who you are (which pathways the menu shows)"),
    ("about", "Version and content review date"),
    ("scenario", "Practise a training scenario"),
    ("join", "Join a training group: /join CODE"),
)

# Commands that are one word of the conversation core, sent as that word.
CORE_WORDS = {"menu": "menu", "back": "back", "forget": "forget", "restart": "restart", "role": "/role"}

# The main menu's entry for the scenario list (bot/engine/step.py, `_menu_choices`).
SCENARIO_MENU_LABEL = "Practise a scenario"

GROUP_NOTE = ("I only answer in private chats: guidance about real cases does not belong in a group. "
              "Message me directly{handle}.")
NOT_TEXT = "I can only read text. Please type your question, or send /menu. In an emergency call 999."
UNKNOWN_COMMAND = "I don't know that command. /help lists the commands."
SEARCH_USAGE = "Type your question after /search, for example: /search marac threshold"
UNAVAILABLE = ("Sorry, Pathways cannot answer just now. Please send your message again in a minute. "
               "In an emergency call 999.")
SORRY = "Sorry, something went wrong on our side. Please try again, or send /menu."
MOVED_ON = "That question has moved on: please use the newest buttons."


def commands_help() -> str:
    lines = ["Commands:"] + [f"/{name} - {description[0].lower()}{description[1:]}" for name, description in COMMANDS]
    lines.append("Tap a button to answer, or type the number or words of an option.")
    return "\n".join(lines)


def about_text(content: Content) -> str:
    reviewed = content.latest_review()
    when = reviewed.strftime("%d %B %Y") if isinstance(reviewed, dt.date) else "unknown"
    counts = content.counts
    return (f"Pathways {__version__}\n"
            f"Content last reviewed: {when}\n"
            f"{counts.get('flows', len(content.catalog))} pathways and scenarios, "
            f"{counts.get('knowledge', len(content.guidance))} guidance entries, "
            f"{counts.get('services', len(content.services))} services.\n"
            "Guidance for practitioners in England and Wales; follow your own agency's procedures too.")
