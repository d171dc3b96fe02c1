"""The `pathways` command line. Each group of commands lives in its own module and registers itself
on `app`; `main` is the console-script entry point."""

from __future__ import annotations

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="pathways",
    help="Pathways: referral-pathway guidance for domestic abuse and VAWG practitioners.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    # Imported for their side effect of adding commands to `app`.
    from bot.cli import chat_command, content_commands  # noqa: F401

    for optional in ("search_commands", "server_commands", "storage_commands", "training_commands",
                     "config_commands", "server_bench", "telegram_bench"):
        try:
            __import__(f"bot.cli.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.cli.{optional}":
                raise


def main() -> None:
    """Console-script entry point."""
    _register()
    app()
