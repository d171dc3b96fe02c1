"""`pathways chat`: the console channel."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

import typer

from bot.channels.console import run_console
from bot.cli import app
from bot.cli.content_commands import _searcher
from bot.content.library import load_content
from bot.conversation.service import ConversationService
from bot.settings import load_settings

__all__ = ["chat"]

# The console is not a network server: a fixed local key is enough to pseudonymise its one user.
CONSOLE_SECRET = "pathways-console-local"  # noqa: S105 - not a network secret


@app.command()
def chat(
    flow: Annotated[str | None, typer.Option("--flow", help="Start this flow straight away")] = None,
    join: Annotated[str | None, typer.Option("--join", help="Join a training cohort by its code")] = None,
    memory: Annotated[bool, typer.Option("--memory", help="Keep nothing on disk")] = False,
) -> None:
    """Talk to Pathways in the terminal (reads one message per line when piped)."""
    settings = load_settings()
    content = load_content(settings.pathways_content_dir, parameters=settings.flow_parameters())
    if content.errors:
        for problem in content.errors:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
    if flow and flow not in content.catalog:
        typer.echo(f"no flow '{flow}'; known: {', '.join(sorted(content.catalog.ids()))}", err=True)
        raise typer.Exit(2)
    asyncio.run(_chat(settings, content, flow, join, memory))


async def _chat(settings, content, flow, join, memory) -> None:
    store = await _open_store(settings.database_url, memory)
    secret = settings.pathways_secret.get_secret_value() if settings.pathways_secret else CONSOLE_SECRET
    service = ConversationService(content, store, secret,
                                  expiry=dt.timedelta(minutes=settings.conversation_expiry_minutes),
                                  searcher=_searcher(content))
    try:
        await run_console(service, flow=flow, opening=f"JOIN {join}" if join else "")
    finally:
        await store.close()


async def _open_store(url: str, memory: bool):
    if not memory:
        try:
            from bot.storage.sql import open_store
        except ImportError:
            pass
        else:
            return await open_store(url)
    from bot.storage.memory import MemoryStore

    return MemoryStore()
