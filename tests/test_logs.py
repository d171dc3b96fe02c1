"""Structured JSON logs: no personal data reaches them, from a real conversation or from careless calls;
one object per line with the request id."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from bot.conversation.service import ConversationService
from bot.logs import (
    QUIET_LOGGERS,
    JsonFormatter,
    bind_request_id,
    configure_logging,
    current_request_id,
    request_id_bound,
    reset_request_id,
    scrub,
)
from bot.storage.sql import open_store

SECRET = "log-test-secret-0123456789"

# What a practitioner might type, and who they are: none of it may reach the logs.
SENDER_PHONE = "+447700900456"
PLANTED = {
    "sender phone": [SENDER_PHONE, "447700900456", "7700900456", "7700 900456"],
    "mobile in a message": ["07700 900123", "07700900123", "7700900123"],
    "email": ["sarah.okafor@example.com", "sarah.okafor"],
    "NHS number": ["943 476 5919", "9434765919"],
    "victim's name": ["Sarah", "Okafor", "Darren", "Whitlock"],
    "postcode": ["SW1A 1AA", "SW1A1AA"],
    "other body words": ["knife", "bruises", "outside the flat"],
    "whatsapp sender": ["whatsapp:+447700900789", "7700900789"],
    "telegram id": ["987654321"],
}
MESSAGES = [
    "Hello",
    "My client Sarah Okafor, NHS number 943 476 5919, has bruises; her mobile is 07700 900123",
    "1",
    "Her email is sarah.okafor@example.com and she lives at SW1A 1AA",
    "Darren Whitlock has a knife and is outside the flat now",
    "menu",
    "Sarah Okafor marac referral",
    "2",
    "forget",
    "Sarah again: Darren Whitlock 07700900123",
]


@pytest.fixture
def captured():
    """configure_logging at DEBUG into a buffer; the root logger and quiet loggers are restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    stream = io.StringIO()
    configure_logging("DEBUG", json=True, stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)
    for name, level in saved_quiet.items():
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(False)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- the scan ----------------------------------------------------------------------------------------------


async def test_a_conversation_leaves_no_personal_data_in_the_logs(captured, tmp_path, shipped_content,
                                                                  shipped_searcher):
    store = await open_store(f"sqlite:///{tmp_path / 'pathways.db'}")  # runs the migrations, which log
    service = ConversationService(shipped_content, store, SECRET, searcher=shipped_searcher)
    try:
        with request_id_bound("req-scan-1"):
            for number, text in enumerate(MESSAGES):
                reply = await service.handle("sms", SENDER_PHONE, text, message_id=f"SM{number:032x}")
                assert reply.messages
                if number == 1:  # a retried webhook
                    assert not (await service.handle("sms", SENDER_PHONE, text, message_id=f"SM{number:032x}")).messages
            # A WhatsApp sender and a Telegram user, through the same service.
            await service.handle("whatsapp", "whatsapp:+447700900789", MESSAGES[1], message_id="SMwa1")
            await service.handle("telegram", "987654321", MESSAGES[4], message_id="tg:1")
            await service.forget("telegram", "987654321")
    finally:
        await store.close()

    output = captured.getvalue()
    records = lines(captured)
    # The capture saw the conversation layer at DEBUG (so the scan below could have found something).
    assert any(r["logger"] == "pathways.conversation" and r["message"] == "duplicate message ignored"
               and r["request_id"] == "req-scan-1" for r in records), output
    assert any(r["logger"].startswith("alembic") for r in records)
    leaks = {kind: [s for s in strings if s.lower() in output.lower()] for kind, strings in PLANTED.items()}
    assert {kind: found for kind, found in leaks.items() if found} == {}


# --- the formatter -----------------------------------------------------------------------------------------


def test_one_json_object_per_line_with_the_standard_fields(captured):
    log = logging.getLogger("pathways.test")
    log.info("turn took %s ms for %d messages", 12.5, 3, extra={"route": "/sms/inbound", "status": 200,
                                                                 "request_id": "abc123"})
    log.debug("second\nline")
    first, second = lines(captured)
    assert set(first) == {"time", "level", "logger", "message", "request_id", "route", "status"}
    assert first["message"] == "turn took 12.5 ms for 3 messages"
    assert (first["level"], first["logger"], first["request_id"]) == ("INFO", "pathways.test", "abc123")
    assert (first["route"], first["status"]) == ("/sms/inbound", 200)
    assert first["time"].endswith("Z") and len(first["time"]) == len("2026-01-15T12:00:00.000Z")
    assert second["message"] == "second\nline" and second["request_id"] is None
    assert len(captured.getvalue().splitlines()) == 2


def test_the_bound_request_id_is_on_every_line_until_reset(captured):
    log = logging.getLogger("pathways.test")
    token = bind_request_id("req-1")
    log.info("inside")
    assert current_request_id() == "req-1"
    reset_request_id(token)
    log.info("outside")
    assert [r["request_id"] for r in lines(captured)] == ["req-1", None]


async def test_concurrent_requests_keep_their_own_ids(captured):
    log = logging.getLogger("pathways.test")

    async def request(request_id: str) -> None:
        bind_request_id(request_id)  # each task has its own copy of the context
        for step in range(3):
            await asyncio.sleep(0)
            log.info("step", extra={"step": step, "expect": request_id})

    await asyncio.gather(*(request(f"req-{i}") for i in range(5)))
    records = lines(captured)
    assert len(records) == 15
    assert all(r["request_id"] == r["expect"] for r in records)
    assert current_request_id() is None


def test_personal_data_is_masked_in_message_arguments_and_extras(captured):
    log = logging.getLogger("pathways.test")
    log.warning("reply to %s failed", "+44 7700 900123", extra={
        "body": "Sarah Okafor needs help",  # named like a message: dropped whatever it holds
        "From": "whatsapp:+447700900123",
        "detail": {"to": "07700900123", "note": "email sarah@example.com", "ids": [447700900123, 42]},
        "raw_number": 447700900123,
        "postcode_guess": "b33 8th",
    })
    record = lines(captured)[0]
    assert record["message"] == "reply to [redacted:number] failed"
    assert record["body"] == "[dropped]" and record["From"] == "[dropped]"
    assert record["detail"] == {"to": "[dropped]", "note": "email [redacted:email]", "ids": ["[redacted:number]", 42]}
    assert record["raw_number"] == "[redacted:number]"
    assert record["postcode_guess"] == "[redacted:postcode]"
    assert "7700" not in captured.getvalue() and "Sarah" not in captured.getvalue()


def test_exceptions_are_logged_with_their_type_and_scrubbed(captured):
    log = logging.getLogger("pathways.test")
    try:
        raise ValueError("cannot parse 943 476 5919 from jo@example.org")
    except ValueError:
        log.exception("turn failed")
    record = lines(captured)[0]
    assert "ValueError: cannot parse [redacted:number] from [redacted:email]" in record["exception"]
    assert "Traceback" in record["exception"]


def test_a_bad_format_string_still_logs_a_line_without_its_arguments(captured):
    logging.getLogger("pathways.test").info("%d items", "07700 900123")
    record = lines(captured)[0]
    assert record["message"] == "%d items [unformattable arguments dropped]"


def test_noisy_third_party_loggers_are_held_at_warning(captured):
    logging.getLogger("twilio.http_client").info("POST To=+447700900123 Body=hello")
    logging.getLogger("httpx").info("GET https://api.telegram.org/bot123456789:AAH-secret-token-abcdefghijklmnop/x")
    logging.getLogger("aiosqlite").debug("executing ('INSERT', ('07700900123',))")
    logging.getLogger("twilio.http_client").warning("Twilio returned 500")
    assert [r["message"] for r in lines(captured)] == ["Twilio returned 500"]


def test_configuring_again_replaces_the_handler(captured):
    second = io.StringIO()
    configure_logging("INFO", json=False, stream=second)
    assert len(logging.getLogger().handlers) == 1
    with request_id_bound("req-9"):
        logging.getLogger("pathways.test").info("plain %s", "07700 900123", extra={"status": 200})
    logging.getLogger("pathways.test").debug("below INFO: not shown")
    text = second.getvalue()
    assert captured.getvalue() == ""
    assert text.endswith(" INFO pathways.test [req-9] plain [redacted:number] status=200\n"), text
    assert "below INFO" not in text


def test_the_formatter_scrubs_even_without_the_filter():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "call %s", ("07700 900123",), None)
    record.email = "someone@example.com"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "call [redacted:number]" and line["email"] == "[dropped]"


@pytest.mark.parametrize("text, expected", [
    ("07700 900123", "[redacted:number]"),
    ("07700-900-123", "[redacted:number]"),
    ("+44 (0)7700 900123", "[redacted:number]"),
    ("+447700900123", "[redacted:number]"),
    ("whatsapp:+447700900123", "whatsapp:[redacted:number]"),
    ("020 7946 0000", "[redacted:number]"),
    ("0161 496 0000", "[redacted:number]"),
    ("NHS 943 476 5919.", "NHS [redacted:number]."),
    ("tg user 987654321", "tg user [redacted:number]"),
    ("jo.bloggs+x@mail.example.co.uk", "[redacted:email]"),
    ("lives at SW1A 1AA", "lives at [redacted:postcode]"),
    ("m1 1ae and B33 8TH", "[redacted:postcode] and [redacted:postcode]"),
    ("postgresql://app:s3cr3t@db:5432/pathways", "postgresql://app:[redacted]@db:5432/pathways"),
    ("bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "bot[redacted:token]"),
    # Left alone: what our own logs are made of.
    ("2026-01-15 12:00:00.123456", "2026-01-15 12:00:00.123456"),
    ("peer 192.168.100.200", "peer 192.168.100.200"),
    ("request 4f9c2a1b0d3e5f67", "request 4f9c2a1b0d3e5f67"),
    ("key " + "3f2a" * 16, "key " + "3f2a" * 16),
    ("SM" + "0a1b2c3d" * 4, "SM" + "0a1b2c3d" * 4),
    ("took 12.5 ms, status 503, 64 concurrent, 3000 turns", "took 12.5 ms, status 503, 64 concurrent, 3000 turns"),
    ("flow marac-referral node q1 at version 12", "flow marac-referral node q1 at version 12"),
])
def test_scrub(text, expected):
    assert scrub(text) == expected
