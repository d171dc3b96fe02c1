"""Telegram rendering: HTML escaping, keyboards, callback data, emergency first, the 4,096 limit."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from bot.channels.telegram_render import (
    MESSAGE_LIMIT,
    callback_data,
    render_telegram,
    split_paragraphs,
    telegram_length,
)
from bot.engine.outbound import Choice, Outbound, Reference
from bot.safety import EMERGENCY_TEXT

ALLOWED_TAGS = {"b", "i", "a"}


class _TagChecker(HTMLParser):
    """Fails on a tag Telegram does not know, an unclosed or mismatched tag, or a bare '<' or '&'."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in ALLOWED_TAGS, tag
        if tag == "a":
            assert dict(attrs).get("href", "").startswith(("http://", "https://")), attrs
        self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()


def assert_valid_html(text: str) -> None:
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    assert not checker.open, checker.open
    without_tags = re.sub(r"<[^>]+>", "", text)
    assert "<" not in without_tags and ">" not in without_tags
    assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#\d+;|#x[0-9a-f]+;)", text), text


def test_text_is_escaped(demo_content):
    [message] = render_telegram(demo_content, [Outbound("Score <14 & rising > expected </b>", kind="info")])
    assert message.html == "Score &lt;14 &amp; rising &gt; expected &lt;/b&gt;"
    assert_valid_html(message.html)


def test_question_options_become_a_keyboard_with_option_keys(demo_content):
    question = Outbound("Is it safe to talk?", kind="question", expects="choice",
                        choices=(Choice("1", "Safe <now>"), Choice("2", "Not safe")))
    [message] = render_telegram(demo_content, [Outbound("Before we start.", kind="info"), question])
    assert message.html == "Before we start.\n\n<b>Is it safe to talk?</b>"
    assert [(b.label, b.data) for b in message.buttons] == [("Safe <now>", "1"), ("Not safe", "2")]


def test_only_the_last_question_gets_buttons_earlier_options_are_numbered(demo_content):
    first = Outbound("Pick one", kind="question", choices=(Choice("1", "Red & blue"), Choice("2", "Green")))
    last = Outbound("Yes or no?", kind="question", choices=(Choice("yes", "Yes"), Choice("no", "No")))
    [message] = render_telegram(demo_content, [first, last])
    assert "1. Red &amp; blue\n2. Green" in message.html
    assert [b.data for b in message.buttons] == ["yes", "no"]


def test_emergency_messages_come_first_and_alone(shipped_content):
    messages = [Outbound("Here is the menu", kind="question", choices=(Choice("1", "One"),)),
                Outbound(EMERGENCY_TEXT, kind="emergency", references=(Reference("service", "emergency-999"),))]
    rendered = render_telegram(shipped_content, messages)
    assert len(rendered) == 2
    assert rendered[0].html.startswith("<b>\u26a0\ufe0f If anyone is in immediate danger, call 999")
    assert "999" in rendered[0].html and not rendered[0].buttons
    assert rendered[1].buttons


@pytest.mark.parametrize("choices, expected", [
    ((Choice("1", "One"), Choice("2", "Two")), ["1", "2"]),
    ((Choice("yes", "Yes"), Choice("no", "No"), Choice("skip", "Skip")), ["yes", "no", "skip"]),
    # A digit key that is not its position would pick another option when sent back: use the position.
    ((Choice("2", "First"), Choice("1", "Second")), ["1", "2"]),
    # Too long for Telegram's 64 bytes of callback data.
    ((Choice("k" * 65, "Long"), Choice("b", "Short")), ["1", "b"]),
])
def test_callback_data_always_picks_the_same_option_again(choices, expected):
    from bot.engine.answers import match_choice

    data = callback_data(choices)
    assert data == expected
    for index, value in enumerate(data):
        assert len(value.encode()) <= 64
        assert match_choice(value, choices) == choices[index]


def test_long_replies_split_at_paragraphs_under_the_limit(demo_content):
    paragraphs = [f"Paragraph {i}: " + "word " * 150 for i in range(20)]  # ~15,000 characters
    rendered = render_telegram(demo_content, [Outbound("\n\n".join(paragraphs), kind="info"),
                                              Outbound("Next?", kind="question", choices=(Choice("1", "Go"),))])
    assert len(rendered) >= 4
    for message in rendered:
        assert telegram_length(message.html) <= MESSAGE_LIMIT
        assert_valid_html(message.html)
        assert message.html.startswith(("Paragraph", "<b>Next?"))  # every split is at a paragraph start
    assert [bool(m.buttons) for m in rendered] == [False] * (len(rendered) - 1) + [True]
    joined = "\n\n".join(m.html for m in rendered)
    assert joined == "\n\n".join(paragraphs) + "\n\n<b>Next?</b>"  # nothing lost, nothing added


def test_a_paragraph_longer_than_a_message_splits_at_lines_then_words():
    line = "<b>" + "bold words here " * 400 + "</b>"  # one line, ~6,400 characters of markup
    parts = split_paragraphs(["short intro", line], limit=1000)
    assert all(telegram_length(p) <= 1000 for p in parts)
    for part in parts:
        assert_valid_html(part)
    assert parts[0].startswith("short intro")


def test_a_single_enormous_word_is_cut_without_breaking_an_entity():
    blob = "a&amp;" * 1000
    parts = split_paragraphs([blob], limit=100)
    assert all(telegram_length(p) <= 100 for p in parts)
    assert "".join(parts) == blob
    for part in parts:
        assert_valid_html(part)


def test_length_is_counted_as_telegram_counts_it():
    assert telegram_length("abc") == 3
    assert telegram_length("\U0001f600") == 2  # outside the BMP: two UTF-16 code units


def test_guidance_renders_markdown_and_compact_source_links(shipped_content):
    [message] = render_telegram(shipped_content, [Outbound("", kind="info",
                                                           references=(Reference("guidance", "safety-planning"),))])
    html = message.html
    assert_valid_html(html)
    assert html.startswith("<b>Safety planning</b>")
    assert "<b>with</b>" in html  # **with** in the Markdown body
    assert "\u2022 Who she can call" in html  # a "- " bullet
    assert '<a href="https://www.westsussex.gov.uk/fire-emergencies-and-crime/domestic-abuse/safety-planning/">' \
           'westsussex.gov.uk</a>' in html
    assert "Reviewed 26 November 2026" in html


def test_services_and_flows_are_described_in_full(shipped_content):
    [message] = render_telegram(shipped_content, [Outbound("", references=(
        Reference("service", "national-domestic-abuse-helpline"), Reference("flow", "marac-referral")))])
    assert "National Domestic Abuse Helpline: 0808 2000 247" in message.html
    assert "Pathway: MARAC referral" in message.html


def test_every_shipped_guidance_entry_renders_as_valid_html_under_the_limit(shipped_content):
    for entry_id in shipped_content.guidance:
        for message in render_telegram(shipped_content, [Outbound("", references=(Reference("guidance", entry_id),))]):
            assert telegram_length(message.html) <= MESSAGE_LIMIT
            assert_valid_html(message.html)
