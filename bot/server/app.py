"""The aiohttp application behind `pathways serve`.

`build_app(runtime)` returns an application with the operational routes (`/healthz`, `/readyz`,
`/metrics`) and every configured channel. Each channel module adds its own routes with a
`setup(app)` function and reaches the shared state through `request.app[RUNTIME]`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.errors import StorageUnavailable
from bot.logs import bind_request_id, reset_request_id
from bot.server.metrics import CONTENT_TYPE, ServerMetrics
from bot.server.runtime import RUNTIME, Runtime

__all__ = ["build_app", "METRICS", "MAX_BODY_BYTES", "request_id_of"]

log = logging.getLogger("pathways.server")

METRICS = web.AppKey("metrics", ServerMetrics)
MAX_BODY_BYTES = 64 * 1024  # Twilio and Telegram webhooks are a few KB; anything bigger is refused (413)
REQUEST_ID_KEY = web.RequestKey("request_id", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_id_of(request: web.Request) -> str:
    return request.get(REQUEST_ID_KEY, "-")


@web.middleware
async def _observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request id, latency and status metrics, and a content-free access log line."""
    request[REQUEST_ID_KEY] = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]
    token = bind_request_id(request[REQUEST_ID_KEY])
    metrics = request.app[METRICS]
    route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except StorageUnavailable:
        # The database is down: nothing was written; 503 lets Twilio/Telegram retry.
        status = 503
        log.warning("storage unavailable", extra={"route": route, "request_id": request[REQUEST_ID_KEY]})
        return web.Response(status=503, text="temporarily unavailable", headers={"Retry-After": "5"})
    except asyncio.CancelledError:
        status = 499
        raise
    except Exception:
        log.exception("unhandled error", extra={"route": route, "request_id": request[REQUEST_ID_KEY]})
        return web.Response(status=500, text="internal error")
    finally:
        elapsed = time.perf_counter() - started
        metrics.requests.labels(route, request.method, str(status)).inc()
        metrics.latency.labels(route).observe(elapsed)
        log.info("request", extra={"route": route, "method": request.method, "status": status,
                                   "ms": round(elapsed * 1000, 2), "request_id": request[REQUEST_ID_KEY]})
        reset_request_id(token)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    checks = {"content": bool(runtime.content.catalog) and not runtime.content.errors}
    try:
        checks["database"] = await asyncio.wait_for(runtime.store.ping(), timeout=2.0)
    except Exception:  # noqa: BLE001 - any failure means not ready
        checks["database"] = False
    ready = all(checks.values())
    return web.json_response({"status": "ready" if ready else "not ready", "checks": checks},
                             status=200 if ready else 503)


async def metrics_route(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    metrics = request.app[METRICS]
    metrics.content_flows.set(len(runtime.content.catalog))
    return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})


def build_app(runtime: Runtime, *, channels: tuple[str, ...] | None = None) -> web.Application:
    """The server application. `channels`: which channel modules to mount (default: every configured one)."""
    app = web.Application(middlewares=[_observe], client_max_size=MAX_BODY_BYTES)
    app[RUNTIME] = runtime
    app[METRICS] = metrics = ServerMetrics()
    if runtime.service is not None:
        runtime.service.on_counts = metrics.count_events
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_route)
    for setup in _channel_setups(runtime, channels):
        setup(app)
    return app


def _channel_setups(runtime: Runtime, channels: tuple[str, ...] | None) -> list[Callable[[web.Application], None]]:
    """Import each channel's `setup` lazily: a channel that is not configured costs nothing."""
    import importlib

    wanted = channels if channels is not None else _configured(runtime)
    modules = {"sms": "bot.channels.sms_webhook", "telegram": "bot.channels.telegram",
               "trainer": "bot.training.routes"}
    return [importlib.import_module(modules[name]).setup for name in wanted]


def _configured(runtime: Runtime) -> tuple[str, ...]:
    settings = runtime.settings
    names = []
    if settings.twilio_auth_token is not None:
        names.append("sms")
    if settings.telegram_bot_token is not None:
        names.append("telegram")
    if settings.trainer_token is not None:
        names.append("trainer")
    return tuple(names)
