"""`pathways config check`: print the effective configuration with secrets masked, and what a network server
would refuse. Exit 2 when the configuration is invalid (naming each variable and what is wrong), 1 when
`pathways serve` would refuse it."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot.cli import app
from bot.errors import ConfigError

__all__ = ["config_app", "check"]

config_app = typer.Typer(help="Inspect the configuration (environment variables and .env).",
                         no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too")] = False,
) -> None:
    """Show every setting (secrets masked) and what `pathways serve` would refuse.

    Exit 0: ready to serve (warnings are advice); 1: `pathways serve` would refuse it (or any warning, with
    --strict); 2: invalid configuration.
    """
    from bot.settings import load_settings
    from bot.settings_check import effective_settings, server_findings

    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    lines = effective_settings(settings)
    findings = server_findings(settings)
    if as_json:
        report = {
            "settings": {line.name: line.shown for line in lines},
            "defaults": sorted(line.name for line in lines if line.from_default),
            "findings": [{"variable": f.variable, "message": f.message, "refused": f.refused} for f in findings],
        }
        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        width = max(len(line.name) for line in lines)
        typer.echo("Effective configuration (secrets masked):")
        for line in lines:
            value = "(not set)" if line.shown is None else line.shown
            typer.echo(f"  {line.name:<{width}}  {value}" + ("  (default)" if line.from_default else ""))
        for finding in findings:
            typer.echo(("refused: " if finding.refused else "warning: ") + str(finding))
        count = sum(f.refused for f in findings)
        typer.echo(f"{len(findings)} finding(s), {count} that `pathways serve` would refuse.")
    refused = any(f.refused for f in findings)
    raise typer.Exit(1 if refused or (strict and findings) else 0)
