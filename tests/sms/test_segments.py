"""Segment arithmetic and SMS rendering, against known cases."""

from __future__ import annotations

import pytest

from bot.channels.sms_render import MORE_SUFFIX, SmsRenderer
from bot.engine.outbound import Choice, Outbound
from bot.segments import SmsSize, measure, option_lines, reply_prompt, to_gsm_friendly


@pytest.mark.parametrize("text, encoding, units, segments", [
    ("a" * 160, "GSM-7", 160, 1),
    ("a" * 161, "GSM-7", 161, 2),
    ("a" * 306, "GSM-7", 306, 2),
    ("a" * 307, "GSM-7", 307, 3),
    ("\u00e9" * 160, "GSM-7", 160, 1),  # é is in the GSM-7 alphabet
    ("\u0175" * 70, "UCS-2", 70, 1),  # ŵ (Welsh) is not in GSM-7
    ("\u0175" * 71, "UCS-2", 71, 2),
    ("\u0175" * 134, "UCS-2", 134, 2),
    ("\u0175" * 135, "UCS-2", 135, 3),
    ("\u20ac" * 80, "GSM-7", 160, 1),  # the euro sign is an extension character: two septets
    ("\u20ac" * 81, "GSM-7", 162, 2),
    ("[]{}" * 20, "GSM-7", 160, 1),
    ("\U0001f600" * 35, "UCS-2", 70, 1),  # an emoji is two UTF-16 units
    ("\U0001f600" * 36, "UCS-2", 72, 2),
    ("", "GSM-7", 0, 1),
])
def test_known_sizes(text, encoding, units, segments):
    assert measure(text) == SmsSize(encoding, units, segments)


def test_one_curly_quote_would_switch_to_ucs2_until_replaced():
    text = "She said \u201cI\u2019m scared\u201d \u2013 what now\u2026"
    assert measure(text).encoding == "UCS-2"
    friendly = to_gsm_friendly(text)
    assert friendly == "She said \"I'm scared\" - what now..."
    assert measure(friendly).encoding == "GSM-7"


def test_reply_prompts():
    assert reply_prompt(2) == "Reply 1 or 2"
    assert reply_prompt(3) == "Reply 1, 2 or 3"
    assert reply_prompt(9) == "Reply 1-9"
    assert option_lines(["MARAC referral - does this case meet the criteria?", "No"]) == [
        "1 MARAC referral", "2 No", "Reply 1 or 2"]


def test_options_become_numbered_lines(shipped_content):
    renderer = SmsRenderer(shipped_content)
    text = renderer.text([Outbound("Has she consented?", kind="question", expects="choice",
                                   choices=(Choice("1", "Yes, she consents"), Choice("2", "No")))])
    assert text == "Has she consented?\n1 Yes, she consents\n2 No\nReply 1 or 2"


@pytest.mark.parametrize("budget", [1, 2, 3, 5])
def test_long_text_is_split_at_boundaries_within_the_budget(shipped_content, budget):
    sentences = [f"Sentence number {n} says something useful about safety planning." for n in range(40)]
    text = " ".join(sentences[:20]) + "\n" + "\n".join(sentences[20:])
    pages = SmsRenderer(shipped_content, budget=budget).pages([Outbound(text)])
    assert len(pages) > 1
    for page in pages:
        assert measure(page).segments <= budget
    assert all(p.endswith(MORE_SUFFIX.strip()) for p in pages[:-1])
    assert not pages[-1].endswith(MORE_SUFFIX.strip())
    rejoined = " ".join(p.removesuffix(MORE_SUFFIX).replace("\n", " ") for p in pages)
    for sentence in sentences:
        assert sentence in rejoined  # nothing lost, no sentence cut in half


def test_whatsapp_pages_are_4096_characters(shipped_content):
    text = "\n".join("x" * 100 for _ in range(100))
    pages = SmsRenderer(shipped_content, whatsapp=True).pages([Outbound(text)])
    assert len(pages) == 3 and all(len(p) <= 4096 for p in pages)
    assert "\u201c" in SmsRenderer(shipped_content, whatsapp=True).text([Outbound("\u201cquoted\u201d")])


def test_the_fast_alphabet_check_agrees_with_the_gsm0338_codec():
    from bot.segments import _is_gsm

    for code in range(0x10000):
        ch = chr(code)
        try:
            ch.encode("gsm03.38")
            expected = True
        except UnicodeEncodeError:
            expected = False
        assert _is_gsm(ch) == expected, hex(code)
