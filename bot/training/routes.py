"""The trainer's live page, mounted by `pathways serve` when TRAINER_TOKEN is set.

    GET /trainer/cohorts/CODE               the report page (refreshes itself)
    GET /trainer/cohorts/CODE/results.json  the numbers, and the `version` the page polls
    GET /trainer/cohorts/CODE/results.csv   one row per answer

Each needs `Authorization: Bearer TRAINER_TOKEN`, or a signed link (`?sig=`, see bot.training.links):
none gives 401, a wrong one 403. The access log names the route pattern only, never a code or signature.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from aiohttp import web

from bot.errors import ConfigError
from bot.server.runtime import RUNTIME
from bot.storage.cohorts import CohortResults
from bot.training.codes import is_code, normalise_code
from bot.training.links import sign_code, signature_matches
from bot.training.report_files import results_csv
from bot.training.report_page import LivePage, render_message_html, render_report_html
from bot.training.results import CohortReport, build_report

__all__ = ["setup", "MIN_TOKEN_LENGTH"]

MIN_TOKEN_LENGTH = 16
PAGE = "/trainer/cohorts/{code}"
TOKEN = web.AppKey("trainer_token", str)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def setup(app: web.Application) -> None:
    """Add the trainer routes; refuses to start without a TRAINER_TOKEN of 16 characters or more."""
    secret = app[RUNTIME].settings.trainer_token
    token = secret.get_secret_value() if secret is not None else ""
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"TRAINER_TOKEN: missing or shorter than {MIN_TOKEN_LENGTH} characters; the trainer's pages need it "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(24))'`)"
        )
    app[TOKEN] = token
    app.router.add_get(PAGE, cohort_page)
    app.router.add_get(PAGE + "/results.json", cohort_json)
    app.router.add_get(PAGE + "/results.csv", cohort_csv)


def _headers(nonce: str | None = None) -> dict[str, str]:
    script = f"'nonce-{nonce}'" if nonce else "'none'"
    return {
        "Content-Security-Policy": (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                    f"script-src {script}; connect-src 'self'; base-uri 'none'; "
                                    "form-action 'none'; frame-ancestors 'none'"),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def _authorised_code(request: web.Request) -> str:
    """The cohort code asked for, once the request proves it may see it."""
    code = normalise_code(request.match_info["code"])
    token = request.app[TOKEN]
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return code
        raise web.HTTPForbidden(text="wrong token", headers=_headers())
    signature = request.query.get("sig")
    if signature is not None:
        if signature_matches(token, code, signature):
            return code
        raise web.HTTPForbidden(text="this link is not valid (TRAINER_TOKEN may have changed)", headers=_headers())
    raise web.HTTPUnauthorized(
        text="send Authorization: Bearer TRAINER_TOKEN, or open the signed link `pathways cohort link CODE` prints",
        headers={**_headers(), "WWW-Authenticate": 'Bearer realm="pathways trainer"'},
    )


async def _results(request: web.Request, code: str) -> CohortResults | web.Response:
    """The cohort's results, or the page saying it is unknown (404) or ended (410)."""
    store = request.app[RUNTIME].store
    results = await store.cohort_results(code) if is_code(code) else None
    if results is None:
        text = f"No cohort has the code {code}. A cohort's answers are deleted when it ends."
        return _page_or_json(request, 404, "Unknown cohort", text)
    if results.cohort.expired(_utcnow()):
        text = f"The session \"{results.cohort.name}\" ({code}) has ended, and its answers are deleted."
        return _page_or_json(request, 410, "Session ended", text)
    return results


def _page_or_json(request: web.Request, status: int, title: str, text: str) -> web.Response:
    if request.path.endswith(".json"):
        return web.json_response({"error": text}, status=status, headers=_headers())
    if request.path.endswith(".csv"):
        return web.Response(status=status, text=text, headers=_headers())
    return web.Response(status=status, text=render_message_html(title, text), content_type="text/html",
                        headers=_headers())


def _report(request: web.Request, results: CohortResults) -> CohortReport:
    return build_report(results, request.app[RUNTIME].content.catalog, _utcnow())


async def cohort_page(request: web.Request) -> web.Response:
    code = _authorised_code(request)
    results = await _results(request, code)
    if isinstance(results, web.Response):
        return results
    report = _report(request, results)
    nonce = secrets.token_urlsafe(16)
    # The page polls with a signed URL, so the projector's browser needs no Authorization header.
    poll = f"/trainer/cohorts/{code}/results.json?sig={sign_code(request.app[TOKEN], code)}"
    titles = {g.id: g.title for g in request.app[RUNTIME].content.guidance.values()}
    html = render_report_html(report, titles, live=LivePage(poll, nonce))
    return web.Response(text=html, content_type="text/html", headers=_headers(nonce))


async def cohort_json(request: web.Request) -> web.Response:
    code = _authorised_code(request)
    results = await _results(request, code)
    if isinstance(results, web.Response):
        return results
    report = _report(request, results)
    body = {
        "code": report.cohort.code, "name": report.cohort.name, "version": report.version,
        "joined": report.joined, "answers": report.answers, "finishes": report.finishes,
        "expires_at": report.cohort.expires_at.isoformat(),
        "scenarios": [
            {"id": s.id, "title": s.title, "started": s.started, "completed": s.completed, "best": s.best,
             "scores": {str(k): v for k, v in s.scores.items()},
             "decisions": [{"node": d.node, "answered": d.answered, "scored": d.scored,
                            "options": {o.key: o.count for o in d.options},
                            "recommended": [o.key for o in d.options if o.recommended]} for d in s.decisions]}
            for s in report.scenarios
        ],
    }
    return web.json_response(body, headers=_headers())


async def cohort_csv(request: web.Request) -> web.Response:
    code = _authorised_code(request)
    results = await _results(request, code)
    if isinstance(results, web.Response):
        return results
    return web.Response(text=results_csv(_report(request, results)), content_type="text/csv", charset="utf-8",
                        headers={**_headers(), "Content-Disposition": f'attachment; filename="results-{code}.csv"'})
