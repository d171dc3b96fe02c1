"""The SMS webhook believes only what Twilio signed, and answers bad input with a defined reply or a 4xx."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from tests.naughty import naughty_strings
from tests.sms.conftest import AUTH_TOKEN, PUBLIC_BASE_URL, Phone, messages_of, new_sid, sign


def params(body: str = "hi", **extra: str) -> dict[str, str]:
    return {"From": "+447700900123", "To": "+447700900999", "Body": body, "MessageSid": new_sid(), **extra}


async def test_an_unsigned_request_is_refused(phone: Phone):
    response = await phone.post(params(), signature=None)
    assert response.status == 403


async def test_a_wrong_signature_is_refused_and_changes_nothing(phone: Phone):
    assert (await phone.post(params("1"), signature="bm90IGEgc2lnbmF0dXJl")).status == 403
    assert (await phone.post(params("1"), signature=sign("/sms/inbound", params("1"), token="other"))).status == 403
    # Signed for another URL (plain http rather than the public https address).
    wrong_url = RequestValidator(AUTH_TOKEN).compute_signature("http://pathways.example.org/sms/inbound", params())
    assert (await phone.post(params(), signature=wrong_url)).status == 403
    # A tampered body: the signature was computed over different parameters.
    signed = params("1")
    signature = sign("/sms/inbound", signed)
    assert (await phone.post({**signed, "Body": "2"}, signature=signature)).status == 403
    # None of it was processed: the first real message is a first contact.
    assert "FORGET" in await phone.say("hi")


async def test_the_hmac_sha256_variant_is_accepted(phone: Phone):
    body = params("hi")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/sms/inbound", body, "HMAC_SHA256")
    response = await phone.post(body, signature=signature, headers={
        "X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"})
    assert response.status == 200
    assert "FORGET" in messages_of(await response.text())[0]


async def test_a_replayed_signed_request_is_answered_once(phone: Phone):
    body = params("hi")
    first = await phone.post(body)
    replay = await phone.post(body)
    assert messages_of(await first.text())
    assert replay.status == 200 and messages_of(await replay.text()) == []


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
async def test_missing_sender_or_message_id_is_a_bad_request(phone: Phone, missing: str):
    body = params()
    del body[missing]
    assert (await phone.post(body)).status == 400


async def test_a_missing_body_gets_a_reprompt(phone: Phone):
    await phone.say("hi")
    body = params()
    del body["Body"]
    response = await phone.post(body)
    assert response.status == 200
    assert "didn't catch" in messages_of(await response.text())[0]


async def test_odd_bodies_get_defined_answers(phone: Phone):
    await phone.say("hi")
    for text in ["x" * 1600, "\x00\x00nul", "\U0001f600\U0001f494\U0001f64f", "\ufeff", "1\x00"]:
        replies = await phone.send(text)
        assert replies and all(r.strip() for r in replies), repr(text[:20])


async def test_invalid_utf8_is_a_bad_request_not_a_crash(phone: Phone):
    response = await phone.client.post("/sms/inbound", data=b"From=%2B447700900123&Body=\xff\xfe&MessageSid=SMx",
                                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                                "X-Twilio-Signature": "x"})
    assert response.status in (400, 403)
    assert (await phone.client.get("/healthz")).status == 200


async def test_an_oversized_request_is_refused(phone: Phone):
    response = await phone.post(params("x" * 100_000))
    assert response.status == 413


async def test_the_naughty_strings_corpus_never_breaks_the_channel(phone: Phone):
    await phone.say("hi")
    statuses = set()
    for text in naughty_strings():
        response = await phone.post(params(text))
        statuses.add(response.status)
        assert response.status == 200, (response.status, repr(text[:40]))
        messages_of(await response.text())  # well-formed TwiML every time
    assert statuses == {200}
    assert "1 MARAC referral" in await phone.say("menu")


async def test_a_database_that_is_down_gets_503_and_nothing_half_written(shipped_content, tmp_path):
    import sqlite3

    from aiohttp.test_utils import TestClient, TestServer

    from bot.server.app import build_app
    from bot.server.runtime import Runtime
    from bot.storage.sql import open_store
    from tests.sms.conftest import SECRET, sms_settings

    url = f"sqlite:///{tmp_path / 'down.db'}"
    store = await open_store(url, timeout=0.2)
    runtime = Runtime.create(sms_settings(url), shipped_content, store, SECRET)
    try:
        async with TestClient(TestServer(build_app(runtime, channels=("sms",)))) as client:
            phone = Phone(client)
            await phone.say("hi")
            blocker = sqlite3.connect(tmp_path / "down.db", isolation_level=None)
            blocker.execute("BEGIN EXCLUSIVE")  # another process holds the database
            try:
                body = params("1", From=phone.number)
                response = await phone.post(body)
                assert response.status == 503
                assert response.headers["Retry-After"]
                assert "temporarily unavailable" in messages_of(await response.text())[0]
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            # Twilio's retry of the same message is processed now, exactly once.
            retried = await phone.post(body)
            assert "immediate danger" in messages_of(await retried.text())[0]
            assert messages_of(await (await phone.post(body)).text()) == []
    finally:
        await store.close()
