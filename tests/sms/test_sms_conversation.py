"""Conversations over SMS, end to end: signed webhook in, TwiML out, state in SQLite."""

from __future__ import annotations

from bot.safety import EMERGENCY_TEXT
from bot.segments import measure
from tests.sms.conftest import Phone


async def test_a_practitioner_walks_the_marac_pathway_by_sms(phone: Phone):
    first = await phone.say("Hi")
    assert "FORGET" in first and "1 MARAC referral" in first
    assert "Reply 1-9" in first

    assert "immediate danger" in await phone.say("1")
    assert "risk checklist" in await phone.say("1")
    assert "How many of the 24 questions" in await phone.say("1")
    assert "incidents" in await phone.say("14")
    assert "referred to a MARAC before" in await phone.say("0")
    assert "professional judgement" in await phone.say("no")
    reply = await phone.say("no")
    assert "14 yes answers meets the visible high risk criterion" in reply
    assert "1 Yes, she consents" in reply and "Reply 1 or 2" in reply
    assert "children" in await phone.say("she consents")  # the option text works as well as its number
    outcome = await phone.say("no")
    assert "IDVA" in outcome


async def test_every_reply_stays_within_the_segment_budget_and_in_gsm7(phone: Phone):
    for body in ["hi", "1", "1", "2", "what is coercive control", "1", "more", "menu", "9"]:
        for reply in await phone.send(body):
            size = measure(reply)
            assert size.segments <= 3, (body, size, reply)
            assert size.encoding == "GSM-7", (body, reply)


async def reach_the_marac_outcome(phone: Phone) -> str:
    for body in ["hi", "1", "1", "1", "14", "0", "no", "no", "1"]:
        await phone.say(body)
    return await phone.say("no")


async def test_a_long_answer_is_paged_with_more(phone: Phone):
    page = await reach_the_marac_outcome(phone)
    assert page.endswith("Reply MORE for the rest.")
    pages = [page]
    while pages[-1].endswith("Reply MORE for the rest."):
        pages.append(await phone.say("MORE"))
        assert len(pages) < 20
    assert len(pages) >= 2
    whole = " ".join(pages)
    assert "IDVA" in whole and "MARAC referral criteria" in whole and "Reply MENU" in whole
    # Nothing left to page: MORE now is an unknown reply, answered with a re-prompt, not silence.
    assert await phone.say("MORE")


async def test_any_other_reply_drops_the_rest_of_a_paged_answer(phone: Phone):
    assert (await reach_the_marac_outcome(phone)).endswith("Reply MORE for the rest.")
    assert "1 MARAC referral" in await phone.say("menu")
    assert "MARAC referral criteria" not in await phone.say("more")


async def test_danger_comes_first_in_every_state(phone: Phone):
    await phone.say("hi")
    await phone.say("1")
    await phone.say("1")
    reply = await phone.say("he's here now and he has a knife")
    assert reply.startswith(EMERGENCY_TEXT[:40])
    assert "999" in reply and "55" in reply
    assert "Reply MORE" not in reply.split("\n\n")[0]


async def test_a_retried_webhook_is_answered_once_and_advances_nothing(phone: Phone):
    await phone.say("hi")
    first = await phone.send("1", sid="SMretry0001")
    again = await phone.send("1", sid="SMretry0001")
    assert first and again == []
    assert "risk checklist" in await phone.say("1")  # still at the first question, not two steps on


async def test_stop_opts_out_and_start_opts_back_in(phone: Phone):
    await phone.say("hi")
    assert await phone.send("STOP") == []
    assert await phone.send("menu") == []  # nothing is sent while opted out
    assert await phone.send("he is here now") == []
    assert "again" in await phone.say("start")
    assert "1 MARAC referral" in await phone.say("menu")


async def test_every_twilio_opt_out_word_is_honoured(sms_client):
    for n, word in enumerate(["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke", "OPTOUT"]):
        phone = Phone(sms_client, number=f"+4477009001{n:02d}")
        await phone.say("hi")
        assert await phone.send(word) == []
        assert await phone.send("menu") == [], word


async def test_yes_is_an_answer_unless_opted_out(phone: Phone):
    await phone.say("hi")
    await phone.say("1")
    await phone.say("1")
    await phone.say("1")
    await phone.say("14")
    await phone.say("0")
    assert "How many months ago was the last MARAC referral" in await phone.say("yes")


async def test_help_and_forget(phone: Phone):
    assert "999" in await phone.say("HELP")
    await phone.say("hi")
    await phone.say("1")
    assert "erased" in await phone.say("forget")
    assert "FORGET" in await phone.say("hi")  # a first contact again: the privacy notice


async def test_a_picture_without_text_gets_a_text_only_note(phone: Phone):
    replies = await phone.send("", NumMedia="1", MediaUrl0="https://api.twilio.com/x.jpg")
    assert replies and "only text" in replies[0]


async def test_whatsapp_messages_use_whatsapp_limits(sms_client):
    phone = Phone(sms_client, number="whatsapp:+447700900555")
    await phone.say("hi")
    for body in ["1", "1", "1", "14", "0", "no", "no", "1"]:
        await phone.say(body)
    reply = await phone.say("no")
    assert "Reply MORE" not in reply and len(reply) <= 4096
    assert "IDVA" in reply and "MARAC referral criteria" in reply
