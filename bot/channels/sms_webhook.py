"""The SMS (and WhatsApp) channel: Twilio's signed, form-encoded webhook at `POST /sms/inbound`.

Order for every request: body size cap (the app's), signature (403 and nothing processed when missing
or wrong), required fields (400), carrier keywords (STOP, START, HELP), opt-out, abuse limits, then one
conversation turn deduplicated on `MessageSid`, answered with TwiML. Twilio retries on a 5xx, so a
database that is down gets a 503 with nothing half-written (see bot/server/app.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.twiml.messaging_response import MessagingResponse

from bot.abuse import SENDER_RATE, Action, RateLimiter
from bot.channels.sms_render import SmsRenderer
from bot.engine.answers import clean_input
from bot.errors import ConfigError, StorageUnavailable
from bot.safety import EMERGENCY_TEXT, detect_danger
from bot.segments import measure
from bot.server.app import METRICS
from bot.server.runtime import RUNTIME

__all__ = ["setup", "SmsConfig", "SMS_CONFIG", "OPT_OUT_WORDS", "OPT_IN_WORDS", "HELP_WORDS", "INBOUND_PATH",
           "sms_help_text", "twiml"]

log = logging.getLogger("pathways.sms")

INBOUND_PATH = "/sms/inbound"
# Twilio's default opt-out, opt-in and help keywords (exact single word, any case).
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

MEDIA_ONLY = ("Sorry, only text messages can be read here. Please type your question. "
              "In an emergency call 999.")
OPTED_IN = "You will get replies from Pathways again. Send MENU to begin."
UNAVAILABLE = ("Sorry, Pathways is temporarily unavailable. Please send your message again in a few minutes. "
               "If anyone is in immediate danger, call 999.")
SMS_FOOTER = "Text STOP to stop, FORGET to erase what we hold."


def sms_help_text() -> str:
    return ("Pathways: referral-pathway guidance for domestic abuse practitioners. Send MENU for pathways, "
            "BACK to go back, MORE for the rest of a long reply, FORGET to erase what we hold, STOP to opt out. "
            "In an emergency call 999; if you cannot speak, 999 then 55 on a mobile.")


@dataclass(frozen=True)
class SmsConfig:
    validator: RequestValidator
    public_base_url: str
    budget: int
    help_mode: str  # "reply" or "twilio"
    region: str | None = None


SMS_CONFIG = web.AppKey("sms_config", SmsConfig)


def twiml(*bodies: str) -> web.Response:
    """A TwiML reply with one <Message> per body; no bodies is an empty <Response/> (nothing sent)."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return web.Response(text=str(response), content_type="application/xml")


def _single_word(body: str) -> str:
    word = body.strip().strip(".!")
    return word.upper() if word and " " not in word else ""


async def inbound(request: web.Request) -> web.Response:
    try:
        return await _inbound(request)
    except StorageUnavailable:
        # Nothing was written. 503 tells Twilio the webhook failed: it retries if the webhook URL asks it to
        # (connection overrides) and calls the Fallback URL if one is set; the TwiML is for that fallback.
        log.warning("sms webhook: storage unavailable")
        return web.Response(status=503, text=str(_unavailable()), content_type="application/xml",
                            headers={"Retry-After": "5"})


def _unavailable() -> MessagingResponse:
    response = MessagingResponse()
    response.message(UNAVAILABLE)
    return response


async def _inbound(request: web.Request) -> web.Response:
    config = request.app[SMS_CONFIG]
    runtime = request.app[RUNTIME]
    try:
        form = await request.post()
    except (UnicodeDecodeError, ValueError):
        raise web.HTTPBadRequest(text="malformed form body") from None
    signature = request.headers.get(SIGNATURE_HEADER)
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    url = config.public_base_url + request.path_qs
    if not signature or not config.validator.validate(url, form, signature, algorithm):
        log.warning("sms webhook refused: bad or missing signature")
        raise web.HTTPForbidden(text="invalid signature")

    sender = str(form.get("From", "")).strip()
    message_id = str(form.get("MessageSid") or form.get("SmsSid") or "").strip()
    if not sender or not message_id:
        raise web.HTTPBadRequest(text="From and MessageSid are required")
    body = str(form.get("Body", ""))
    whatsapp = sender.startswith("whatsapp:")
    channel = "whatsapp" if whatsapp else "sms"
    service = runtime.service
    store = runtime.store
    key = service.key(channel, sender)

    word = _single_word(body)
    if word in OPT_OUT_WORDS:
        await store.set_opt_out(key, True)
        log.info("opt-out recorded", extra={"channel": channel})
        return twiml()  # Twilio sends its own confirmation
    if word in OPT_IN_WORDS and await store.is_opted_out(key):
        await store.set_opt_out(key, False)
        return twiml() if config.help_mode == "twilio" else await _send(request, OPTED_IN, whatsapp)

    limiter: RateLimiter | None = runtime.extras.get("limiter")
    if limiter is not None:
        decision = await limiter.check(key, message_id=message_id, sms=not whatsapp)
        if not decision.allowed:
            if await store.is_opted_out(key):
                return twiml()
            return await _over_limit(request, decision, body, whatsapp)

    if word in HELP_WORDS:
        if config.help_mode == "twilio" or await store.is_opted_out(key):
            return twiml()  # Twilio's Advanced Opt-Out answers HELP; while opted out nothing is sent
        return await _send(request, sms_help_text(), whatsapp)

    try:
        media = int(str(form.get("NumMedia", "0")) or 0)
    except ValueError:
        media = 0
    if media > 0 and not body.strip():
        return twiml() if await store.is_opted_out(key) else await _send(request, MEDIA_ONLY, whatsapp)

    renderer = SmsRenderer(runtime.content, budget=config.budget, region=config.region, whatsapp=whatsapp)
    reply = await service.handle(channel, sender, body, message_id=message_id, pager=renderer.pages,
                                 unless_opted_out=True)
    if reply.erase and limiter is not None:
        await limiter.forget(key)
    if not reply.pages:
        return twiml()  # opted out (nothing is sent), or a retried webhook (duplicate MessageSid)
    return await _send(request, reply.pages[0], whatsapp)


async def _send(request: web.Request, body: str, whatsapp: bool) -> web.Response:
    """TwiML for one message, counted in the metrics and against the hourly segment cap (SMS only)."""
    if not whatsapp:
        segments = measure(body).segments
        request.app[METRICS].segments.inc(segments)
        limiter: RateLimiter | None = request.app[RUNTIME].extras.get("limiter")
        if limiter is not None:
            await limiter.add_segments(segments)
    return twiml(body)


async def _over_limit(request: web.Request, decision, body: str, whatsapp: bool) -> web.Response:
    """One polite notice, then silence; but a sender over their own rate who signals immediate danger
    still gets the emergency text (new-sender and global caps stay silent: that is SMS pumping's cost)."""
    if decision.action is Action.NOTICE_THEN_DROP and decision.notice:
        text = decision.notice
    elif decision.limit == SENDER_RATE and detect_danger(clean_input(body)):
        text = EMERGENCY_TEXT
    else:
        return twiml()
    return await _send(request, text, whatsapp)


def setup(app: web.Application) -> None:
    """Mount the SMS webhook. TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL are required to serve SMS."""
    settings = app[RUNTIME].settings
    missing = [name for name, value in (("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
                                        ("PUBLIC_BASE_URL", settings.public_base_url)) if not value]
    if missing:
        raise ConfigError(f"{' and '.join(missing)}: required to serve SMS (the Twilio signature check needs "
                          "the auth token and the exact public URL Twilio calls)")
    app[SMS_CONFIG] = SmsConfig(
        validator=RequestValidator(settings.twilio_auth_token.get_secret_value()),
        public_base_url=settings.public_base_url.rstrip("/"),
        budget=settings.sms_segment_budget,
        help_mode=settings.sms_help_mode,
        region=settings.local_area,
    )
    app.router.add_post(INBOUND_PATH, inbound)
