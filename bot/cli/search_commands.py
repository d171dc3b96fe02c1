"""`pathways search`, `pathways eval` and `pathways bench search`: try and measure free-text search."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import app
from bot.cli.bench import bench_app
from bot.content.library import load_content
from bot.search import SearchIndex, SearchResults
from bot.search.documents import documents_from_content, service_snippet
from bot.search.eval import default_queries_path, evaluate, load_queries

__all__ = ["search", "eval_command", "bench_search", "general_routes"]

HELPLINE_ID = "national-domestic-abuse-helpline"


def general_routes(content) -> list[str]:
    """Where to turn when search has no confident answer."""
    helpline = content.services.get(HELPLINE_ID)
    return [
        "your agency's domestic abuse (DA) lead or safeguarding lead",
        "your local MARAC coordinator",
        service_snippet(helpline) if helpline else "the National Domestic Abuse Helpline",
    ]


def _print_results(results: SearchResults, routes: list[str]) -> None:
    for number, hit in enumerate(results.hits, start=1):
        typer.echo(f"{number}. {hit.title}  [{hit.kind}: {hit.id}]  {hit.score:.1f}")
        typer.echo(f"   {hit.snippet}")
    if results.confident:
        return
    typer.echo("No confident match" + (f" ({results.reason})." if results.reason else "."))
    if results.did_you_mean:
        typer.echo(f"Did you mean: {results.did_you_mean}?")
    typer.echo("You can always ask:")
    for route in routes:
        typer.echo(f"  - {route}")


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in your own words")],
    k: Annotated[int, typer.Option("-k", help="How many hits to show")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON")] = False,
    role: Annotated[str | None, typer.Option(help="practitioner, faith-leader or trainer")] = None,
) -> None:
    """Search guidance, flows and services."""
    content = load_content()
    results = SearchIndex.build(content).search(query, k=k, role=role)
    routes = [] if results.confident else general_routes(content)
    if as_json:
        typer.echo(json.dumps(results.to_dict() | {"routes": routes}, indent=2))
    else:
        _print_results(results, routes)


@app.command("eval")
def eval_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print only {n, top1, top3, mrr} as JSON")] = False,
    queries: Annotated[Path | None, typer.Option(help="The labelled query set "
                                                 "(default: tests/eval/queries.yaml)")] = None,
) -> None:
    """Search quality on the labelled queries: top-1, top-3, MRR and the misses."""
    queries = queries or default_queries_path()
    if not queries.exists():
        typer.echo(f"no query set at {queries}", err=True)
        raise typer.Exit(2)
    report = evaluate(SearchIndex.build(load_content()), load_queries(queries))
    if as_json:
        typer.echo(json.dumps(report.figures()))
        return
    for case in report.misses:
        where = f"rank {case.rank}" if case.rank else "not found"
        role = f" ({case.query.role})" if case.query.role else ""
        typer.echo(f"miss: {case.query.q!r}{role}: expected {', '.join(case.query.expect)} ({where}); "
                   f"got {', '.join(case.got[:3]) or 'nothing'}")
    typer.echo(f"n={report.n} top1={report.top1:.3f} top3={report.top3:.3f} mrr={report.mrr:.3f}")


@bench_app.command("search")
def bench_search(
    size: Annotated[int, typer.Option(help="Documents in the generated index")] = 10_000,
    rounds: Annotated[int, typer.Option(help="Passes through the queries on the shipped index")] = 20,
    queries: Annotated[Path | None, typer.Option(help="Queries to time (default: the eval set)")] = None,
) -> None:
    """Median and p99 search latency on the shipped and on a generated index, against a bare
    rapidfuzz.process.extract over the same strings, measured in the same run."""
    queries = queries or default_queries_path()
    from bot.search.bench import bench_index, fallback_queries, synthesise_documents
    from bot.search.synonyms import SynonymMap

    content = load_content()
    start = time.perf_counter()
    SearchIndex.build(content)
    build_s = time.perf_counter() - start
    documents = documents_from_content(content)
    synonyms = SynonymMap.from_content(content.synonyms)
    texts = [q.q for q in load_queries(queries)] if queries.exists() else fallback_queries(documents)
    typer.echo(f"{len(texts)} queries; shipped index built from content in {build_s * 1000:.0f} ms")
    rows = [
        bench_index("shipped", documents, synonyms, texts, rounds),
        bench_index("generated", synthesise_documents(documents, size), synonyms, texts, max(1, rounds // 10)),
    ]
    typer.echo(f"{'index':<10} {'docs':>6} {'build':>8} {'median':>8} {'p99':>8} {'names floor':>12} "
               f"{'ratio':>6} {'text floor':>11} {'ratio':>6}")
    for row in rows:
        typer.echo(f"{row.label:<10} {row.documents:>6} {row.build_s * 1000:>6.0f}ms "
                   f"{row.search.median_ms:>6.2f}ms {row.search.p99_ms:>6.2f}ms "
                   f"{row.floor_names.median_ms:>10.2f}ms {row.ratio:>6.2f} "
                   f"{row.floor_text.median_ms:>9.2f}ms {row.ratio_text:>6.2f}")
    typer.echo("median and p99 per query; floors = median of a bare rapidfuzz.process.extract (WRatio, one "
               "worker) over each document's names (title, synonyms) or all its text; ratio = search median / "
               "floor median")
