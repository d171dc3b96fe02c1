"""`pathways lint`, `pathways graph` and `pathways test`: checks for content editors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import app
from bot.content.library import default_content_root, load_content
from bot.flows.graph import to_dot, to_mermaid
from bot.flows.validate import sms_text
from bot.segments import measure
from bot.transcripts import find_transcripts, run_transcript_file

__all__ = ["lint", "graph", "test"]


@app.command()
def lint(
    paths: Annotated[list[Path] | None, typer.Argument(help="Flow files or folders (default: all content)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report")] = False,
    sizes: Annotated[bool, typer.Option("--sizes", help="List SMS encoding and segments per node/summary")] = False,
    budget: Annotated[int, typer.Option(help="SMS segment budget")] = 3,
) -> None:
    """Check flows, guidance and services; exit 1 on any error."""
    content = load_content(flow_paths=list(paths) if paths else None, sms_budget=budget)
    errors, warnings = content.errors, content.warnings
    if as_json:
        report = dict(content.counts)
        report["errors"] = [p.as_dict() for p in errors]
        report["warnings"] = [p.as_dict() for p in warnings]
        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        for problem in errors:
            typer.echo(f"error: {problem}")
        for problem in warnings:
            typer.echo(f"warning: {problem}")
        if sizes:
            _print_sizes(content)
        counts = ", ".join(f"{v} {k}" for k, v in content.counts.items())
        typer.echo(f"{counts}: {len(errors)} errors, {len(warnings)} warnings")
    raise typer.Exit(1 if errors else 0)


def _print_sizes(content) -> None:
    for flow in content.catalog:
        for node_id, node in flow.nodes.items():
            for field in ("say", "ask"):
                if getattr(node, field):
                    size = measure(sms_text(node, field))
                    typer.echo(f"  {flow.id}:{node_id}.{field}: {size.encoding}, {size.segments} segment(s)")
    for entry in content.guidance.values():
        size = measure(entry.summary)
        typer.echo(f"  {entry.id}.summary: {size.encoding}, {size.segments} segment(s)")


@app.command()
def graph(
    flow_id: Annotated[str, typer.Argument(help="The flow's id")],
    fmt: Annotated[str, typer.Option("--format", help="mermaid, dot or svg")] = "mermaid",
) -> None:
    """Print a diagram of a flow (Mermaid or Graphviz dot; svg needs Graphviz's `dot`)."""
    content = load_content(with_knowledge=False)
    flow = content.catalog.get(flow_id)
    if flow is None:
        typer.echo(f"no flow '{flow_id}'; known: {', '.join(sorted(content.catalog.ids()))}", err=True)
        raise typer.Exit(2)
    if fmt == "mermaid":
        typer.echo(to_mermaid(flow), nl=False)
    elif fmt == "dot":
        typer.echo(to_dot(flow), nl=False)
    elif fmt == "svg":
        dot = shutil.which("dot")
        if not dot:
            typer.echo("--format svg needs Graphviz (`apt-get install graphviz`); use --format dot", err=True)
            raise typer.Exit(2)
        svg = subprocess.run([dot, "-Tsvg"], input=to_dot(flow), capture_output=True, text=True, check=True)
        typer.echo(svg.stdout, nl=False)
    else:
        typer.echo("--format must be mermaid, dot or svg", err=True)
        raise typer.Exit(2)


@app.command("test")
def test(
    paths: Annotated[list[Path] | None, typer.Argument(help="Transcript files or folders")] = None,
) -> None:
    """Run conversation transcripts (default: tests/transcripts); exit 1 on any failure."""
    content = load_content()
    if content.errors:
        for problem in content.errors:
            typer.echo(f"error: {problem}")
        raise typer.Exit(1)
    files = find_transcripts(list(paths) if paths else [default_content_root() / "tests" / "transcripts"])
    searcher = _searcher(content)
    passed = failed = 0
    for path in files:
        for result in run_transcript_file(path, content, searcher):
            if result.ok:
                passed += 1
            else:
                failed += 1
                typer.echo(f"FAIL {result.name} ({result.path})")
                for failure in result.failures:
                    typer.echo(f"  {failure}")
    typer.echo(f"{passed} passed, {failed} failed")
    raise typer.Exit(1 if failed or not passed else 0)


def _searcher(content):
    try:
        from bot.search import SearchIndex
    except ImportError:
        return None
    return SearchIndex.build(content)
