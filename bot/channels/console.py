"""The console channel: plain text in a terminal, or one message per line from a pipe."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from bot.channels.references import describe_reference
from bot.content.library import Content
from bot.engine.outbound import Outbound

__all__ = ["render_console", "run_console"]


def render_console(content: Content, messages: Iterable[Outbound], region: str | None = None) -> str:
    """Messages as terminal text: options as numbered lines."""
    blocks = []
    for message in messages:
        lines = []
        if message.kind == "emergency":
            lines.append("!! " + message.text)
        elif message.text:
            lines.append(message.text)
        for i, choice in enumerate(message.choices, 1):
            lines.append(f"  {i}. {choice.label}")
        for ref in message.references:
            lines += describe_reference(content, ref, compact=False, region=region)
        if lines:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def run_console(service, *, flow: str | None = None, stdin=None, stdout=None,
                      sender: str = "console-user", opening: str = "") -> None:
    """Talk to the service. Interactive on a TTY; otherwise one user message per input line.

    `opening`: the first message to send for the user (e.g. "JOIN K7PX3M"); `flow` starts a flow instead."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    region = None
    reply = await service.handle("console", sender, "" if flow else opening, start=flow)
    stdout.write(render_console(service.content, reply.messages, region) + "\n")
    while True:
        if interactive:
            stdout.write("> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if interactive and text.strip().casefold() in ("quit", "exit", ":q"):
            break
        if not interactive:
            stdout.write(f"> {text}\n")
        reply = await service.handle("console", sender, text)
        stdout.write(render_console(service.content, reply.messages, region) + "\n")
        stdout.flush()
