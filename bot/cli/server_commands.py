"""`pathways serve`: the network server hosting the SMS and Telegram channels and the trainer's view."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from pathlib import Path
from typing import Annotated

import typer
from aiohttp import web

from bot.cli import app
from bot.errors import ConfigError, ContentError, PathwaysError

__all__ = ["serve", "build_server_app"]

log = logging.getLogger("pathways.server")

SHUTDOWN_GRACE_SECONDS = 20.0  # in-flight webhooks finish within Twilio's 15 s


async def build_server_app(settings, *, telegram_polling: bool = False,
                           channels: tuple[str, ...] | None = None) -> web.Application:
    """Everything `pathways serve` runs, as an aiohttp application (also used by tests and benchmarks).

    Refuses to start without PATHWAYS_SECRET, with content errors, or with a database it cannot use.
    """
    from bot.abuse import open_limiter
    from bot.content.library import load_content
    from bot.server.app import METRICS, build_app
    from bot.server.runtime import Runtime
    from bot.storage.sql import open_store

    secret = settings.require_secret()
    content = load_content(settings.pathways_content_dir, parameters=settings.flow_parameters(),
                           sms_budget=settings.sms_segment_budget)
    if content.errors:
        raise ContentError(content.errors)
    store = await open_store(settings.database_url)
    runtime = Runtime.create(settings, content, store, secret)
    runtime.extras["telegram_polling"] = telegram_polling
    try:
        application = build_app(runtime, channels=channels)
        metrics = application[METRICS]
        runtime.extras["limiter"] = await open_limiter(settings, store,
                                                       on_limit=lambda name: metrics.limits.labels(name).inc())
    except BaseException:
        await store.close()
        raise
    from bot.server.background import lifecycle

    application.cleanup_ctx.insert(0, lifecycle)  # first in, last out: the store closes after the channels
    # The content and search index are a large, long-lived object graph: move it out of the garbage
    # collector's reach, or every full collection walks it again in the middle of a webhook.
    gc.collect()
    gc.freeze()
    return application


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8080,
    telegram_polling: Annotated[bool, typer.Option("--telegram-polling",
                                                   help="Fetch Telegram updates by polling (local use)")] = False,
    pid_file: Annotated[Path | None, typer.Option(
        "--pid-file", help="Write the process id here (for `pathways content reload`)")] = None,
) -> None:
    """Run the server: /sms/inbound, /telegram/webhook, /trainer/cohorts/CODE, /healthz, /readyz, /metrics."""
    from bot.settings import load_settings

    try:
        settings = load_settings()
        _configure_logging(settings)
        if pid_file is not None:
            pid_file.write_text(f"{os.getpid()}\n", encoding="ascii")
        # run_app awaits the app's construction in its own loop: the database pool belongs to that loop.
        web.run_app(_prepare(settings, telegram_polling, host, port), host=host, port=port, print=None,
                    shutdown_timeout=SHUTDOWN_GRACE_SECONDS, access_log=None, handle_signals=True)
    except ContentError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo("refusing to serve content with errors (run `pathways lint`)", err=True)
        raise typer.Exit(1) from None
    except (ConfigError, PathwaysError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


async def _prepare(settings, telegram_polling: bool, host: str, port: int) -> web.Application:
    application = await build_server_app(settings, telegram_polling=telegram_polling)
    application.on_startup.append(_install_reload_signal)

    async def announce(_: web.Application) -> None:
        log.info("serving", extra={"host": host, "port": port})
        typer.echo(f"Pathways serving on http://{host}:{port}", err=True)

    application.on_startup.append(announce)
    return application


async def _install_reload_signal(application: web.Application) -> None:
    """SIGHUP reloads flows and guidance; conversations in progress keep their flow version."""
    from bot.server.runtime import RUNTIME

    runtime = application[RUNTIME]

    def reload() -> None:
        try:
            content = runtime.reload()
        except ContentError as exc:
            log.error("content reload refused: %d error(s); still serving the previous content",
                      len(exc.problems))
        else:
            log.info("content reloaded on SIGHUP", extra={"flows": len(content.catalog)})

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)
    except (NotImplementedError, RuntimeError):  # not on the main thread, or no signals here
        log.debug("SIGHUP reload not available")


def _configure_logging(settings) -> None:
    try:
        from bot.logs import configure_logging
    except ImportError:
        logging.basicConfig(level=settings.log_level)
    else:
        configure_logging(settings.log_level)


content_app = typer.Typer(help="Content operations on a running server", no_args_is_help=True)
app.add_typer(content_app, name="content")


@content_app.command("reload")
def content_reload(
    pid_file: Annotated[Path | None, typer.Option(
        "--pid-file", help="The file `pathways serve --pid-file` wrote")] = None,
    pid: Annotated[int | None, typer.Option("--pid", help="The server's process id")] = None,
) -> None:
    """Check the content, then tell a running server to reload it (SIGHUP). Conversations in progress keep
    the flow version they started on. Under systemd: `systemctl reload pathways`; on Kubernetes, roll out."""
    from bot.content.library import load_content
    from bot.settings import load_settings

    if (pid is None) == (pid_file is None):
        typer.echo("give exactly one of --pid-file or --pid", err=True)
        raise typer.Exit(2)
    settings = load_settings()
    content = load_content(settings.pathways_content_dir, parameters=settings.flow_parameters(),
                           sms_budget=settings.sms_segment_budget)
    if content.errors:
        for problem in content.errors:
            typer.echo(f"error: {problem}", err=True)
        typer.echo("not reloading: the content has errors (the server keeps serving the previous content)", err=True)
        raise typer.Exit(1)
    if pid is None:
        try:
            pid = int(pid_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError) as exc:
            typer.echo(f"cannot read a process id from {pid_file}: {exc}", err=True)
            raise typer.Exit(2) from None
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        typer.echo(f"no process {pid}: is the server running?", err=True)
        raise typer.Exit(2) from None
    counts = ", ".join(f"{v} {k}" for k, v in content.counts.items())
    typer.echo(f"content checked ({counts}); asked process {pid} to reload")
