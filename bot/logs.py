"""Structured logs: one JSON object per line, with the request id, and personal data scrubbed.

    configure_logging("INFO")                  # at start-up (`pathways serve`), once
    token = bind_request_id(request_id)        # in the HTTP middleware, around each request
    ...
    reset_request_id(token)

Every line has `time` (UTC, ISO 8601), `level`, `logger`, `message`, `request_id` (the `extra` field of that
name, else the one bound to the running task, else null) and any other `extra` fields.

The code never logs message text or sender ids; the scrubbing filter is defence in depth for the day
someone does. It masks what looks like a phone number (any run of 9 to 16 digits, with the usual spacing,
so NHS numbers, Telegram ids and E.164 numbers too), an email address, a UK postcode, a password in a URL
or a Telegram bot token, in the message, its arguments, `extra` values and tracebacks; and it drops any
`extra` field whose name says it holds a message or a contact (body, text, from, phone, ...). Third-party
loggers that would print request bodies or URLs with tokens at INFO or DEBUG (twilio, httpx, aiosqlite,
SQLAlchemy's engine) are held at WARNING.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json as jsonlib
import logging
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = [
    "configure_logging",
    "bind_request_id",
    "reset_request_id",
    "current_request_id",
    "request_id_bound",
    "scrub",
    "PersonalDataFilter",
    "JsonFormatter",
    "TextFormatter",
    "QUIET_LOGGERS",
    "DROPPED_FIELDS",
]

# Loggers that print request bodies, SQL parameters or URLs carrying tokens below WARNING.
QUIET_LOGGERS = (
    "twilio",  # twilio.http_client logs outgoing request parameters (To, Body) at INFO
    "httpx",  # request URLs, which carry the Telegram bot token
    "httpcore",
    "urllib3",
    "telegram",
    "aiosqlite",  # logs each call with its SQL parameters at DEBUG
    "sqlalchemy.engine",  # SQL parameters at INFO
    "sqlalchemy.pool",
    "asyncio",
)

# `extra` fields that must never be logged, whatever they hold (compared in lower case).
DROPPED_FIELDS = frozenset({
    "body", "text", "message_text", "content", "sms", "from", "from_", "to", "sender", "sender_id",
    "phone", "phone_number", "msisdn", "email", "chat_id", "user_id", "username", "first_name", "last_name",
    "name", "address", "postcode", "nhs_number", "dob", "date_of_birth",
})

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("pathways_request_id", default=None)

# The attributes every LogRecord has; anything else on a record came from `extra`.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime",
                                                                                    "taskName"}
_SCRUBBED = "_pathways_scrubbed"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.IGNORECASE)
_BOT_TOKEN = re.compile(r"(?<!\d)\d{6,12}:[\w-]{30,}")
# 9 to 16 digits, optionally led by + and spaced by blanks, dots, dashes or brackets: +44 (0)7700 900123,
# 07700-900-123, 943 476 5919, 447700900123.
_NUMBER = re.compile(r"(?<![\w+])\+?\(?\d(?:[ \t().-]{0,2}\d){8,15}(?!\w)")
_DATE_OR_ADDRESS = re.compile(r"\d{4}-\d{2}-\d{2}\b.*|\d{1,3}(?:\.\d{1,3}){3}")  # timestamps and IPv4 stay
_MAYBE_PERSONAL = re.compile(r"[\d@]")
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b", re.IGNORECASE)


def _mask_number(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if _DATE_OR_ADDRESS.fullmatch(text) else "[redacted:number]"


def scrub(text: str) -> str:
    """`text` with phone numbers, NHS numbers, emails, postcodes, URL passwords and bot tokens masked."""
    if not _MAYBE_PERSONAL.search(text):  # each pattern needs a digit or an @: most log strings have neither
        return text
    text = _URL_PASSWORD.sub(r"\1[redacted]@", text)
    text = _BOT_TOKEN.sub("[redacted:token]", text)
    text = _EMAIL.sub("[redacted:email]", text)
    text = _NUMBER.sub(_mask_number, text)
    return _POSTCODE.sub("[redacted:postcode]", text)


def _scrub_value(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of an `extra` value, scrubbed; unknown objects become their scrubbed str()."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return "[redacted:number]" if abs(value) >= 100_000_000 else value  # 9+ digits: could be a phone
    if isinstance(value, str):
        return scrub(value)
    if depth < 4 and isinstance(value, dict):
        return {str(k): "[dropped]" if str(k).lower() in DROPPED_FIELDS else _scrub_value(v, depth + 1)
                for k, v in value.items()}
    if depth < 4 and isinstance(value, list | tuple | set | frozenset):
        return [_scrub_value(v, depth + 1) for v in value]
    return scrub(str(value))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS and not k.startswith("_")}


class PersonalDataFilter(logging.Filter):
    """Scrubs a record in place before any formatter sees it: the message (with its arguments merged in),
    every `extra` value, and the exception text. Never refuses a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _SCRUBBED, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor show its arguments
            message = f"{record.msg!s} [unformattable arguments dropped]"
        record.msg, record.args = scrub(message), ()
        for key, value in _extras(record).items():
            setattr(record, key, "[dropped]" if key.lower() in DROPPED_FIELDS else _scrub_value(value))
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        setattr(record, _SCRUBBED, True)
        return True


_FILTER = PersonalDataFilter()


def _utc_time(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Scrubs the record first if no PersonalDataFilter has."""

    def format(self, record: logging.LogRecord) -> str:
        _FILTER.filter(record)
        extras = _extras(record)
        line: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.msg,
            "request_id": extras.pop("request_id", None) or _request_id.get(),
        }
        for key, value in extras.items():
            line.setdefault(key, value)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return jsonlib.dumps(line, ensure_ascii=False, default=lambda o: scrub(str(o)), separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """For a terminal: `time LEVEL logger [request id] message key=value ...`, scrubbed the same way."""

    def format(self, record: logging.LogRecord) -> str:
        _FILTER.filter(record)
        extras = _extras(record)
        request_id = extras.pop("request_id", None) or _request_id.get()
        parts = [_utc_time(record), record.levelname, record.name]
        if request_id:
            parts.append(f"[{request_id}]")
        parts.append(str(record.msg))
        parts.extend(f"{key}={value}" for key, value in extras.items())
        text = " ".join(parts)
        if record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        return text


def configure_logging(level: str | int = "INFO", json: bool = True, *, stream: TextIO | None = None) -> logging.Handler:
    """Send every log line to `stream` (default stderr) through the scrubbing filter, as JSON or as text.

    Replaces the root logger's handlers (so nothing else writes unscrubbed lines), sets the root level, and
    holds QUIET_LOGGERS at WARNING. Returns the handler. Safe to call again (e.g. in tests).
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(_FILTER)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler


def bind_request_id(request_id: str | None) -> contextvars.Token[str | None]:
    """Make `request_id` the id on every log line of the running task (and tasks it starts) until reset."""
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[None]:
    """`with request_id_bound(rid): ...` — bind_request_id and reset_request_id around a block."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)
