"""Render neutral `Outbound` messages for Telegram: HTML parse mode, inline keyboards, 4,096-character limit.

Pure: no PTB objects and no I/O, so the rules can be tested as plain data.

- Emergency messages come first, always, each in its own Telegram message.
- The other messages of one reply are joined into as few Telegram messages as fit, split only between
  paragraphs (then lines, then words), never inside a tag.
- The options of the last question become an inline keyboard; each button's callback data is the
  option's short key (never anything the user typed). Options of an earlier question are numbered lines.
- Every piece of text is HTML-escaped; guidance Markdown (**bold**, [links](url), "- " bullets) becomes
  Telegram HTML; sources are compact links named by their web site.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.channels.references import describe_reference
from bot.content.library import Content
from bot.engine.answers import match_choice
from bot.engine.outbound import Choice, Outbound, Reference

__all__ = ["MESSAGE_LIMIT", "CALLBACK_DATA_LIMIT", "Button", "TelegramMessage", "render_telegram",
           "callback_data", "split_paragraphs", "telegram_length", "escape"]

MESSAGE_LIMIT = 4096  # Telegram's limit for one message's text, in UTF-16 code units after parsing
CALLBACK_DATA_LIMIT = 64  # bytes
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Button:
    """One inline-keyboard button: what it says and the option key it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class TelegramMessage:
    """One Telegram message: HTML text and, for the last one of a question, its buttons (one per row)."""

    html: str
    buttons: tuple[Button, ...] = ()


def escape(text: str) -> str:
    """Text safe inside Telegram HTML (&, < and >)."""
    return html.escape(text, quote=False)


def _attribute(value: str) -> str:
    """A value safe inside a double-quoted HTML attribute."""
    return html.escape(value, quote=True)


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units); the HTML is never shorter than what is shown."""
    return len(text.encode("utf-16-le")) // 2


def callback_data(choices: Sequence[Choice]) -> list[str]:
    """The data each option's button sends back: its key when the key picks that option again (and fits
    in 64 bytes), otherwise its position ("1", "2", ...), which always does."""
    data = []
    for index, choice in enumerate(choices):
        key = choice.key
        fits = 0 < len(key.encode()) <= CALLBACK_DATA_LIMIT
        picked = match_choice(key, choices) if fits else None
        data.append(key if picked is not None and choices.index(picked) == index else str(index + 1))
    return data


def render_telegram(content: Content, messages: Iterable[Outbound], *, region: str | None = None,
                    limit: int = MESSAGE_LIMIT) -> list[TelegramMessage]:
    """The Telegram messages for one reply, emergency messages first."""
    messages = list(messages)
    emergencies = [m for m in messages if m.kind == "emergency"]
    others = [m for m in messages if m.kind != "emergency"]
    out: list[TelegramMessage] = []
    for message in emergencies:
        out += [TelegramMessage(text) for text in split_paragraphs(_paragraphs(content, message, region), limit)]
    keyboard_at = max((i for i, m in enumerate(others) if m.choices), default=None)
    paragraphs: list[str] = []
    for i, message in enumerate(others):
        paragraphs += _paragraphs(content, message, region, numbered=i != keyboard_at)
    texts = split_paragraphs(paragraphs, limit)
    if keyboard_at is not None and not texts:
        texts = [escape("Choose an option:")]
    for i, text in enumerate(texts):
        buttons = ()
        if keyboard_at is not None and i == len(texts) - 1:
            choices = others[keyboard_at].choices
            buttons = tuple(Button(c.label, d) for c, d in zip(choices, callback_data(choices), strict=True))
        out.append(TelegramMessage(text, buttons))
    return out


# --- one Outbound as HTML paragraphs ----------------------------------------------------------------


def _paragraphs(content: Content, message: Outbound, region: str | None, *, numbered: bool = False) -> list[str]:
    blocks: list[str] = []
    if message.text:
        style = {"emergency": "b", "question": "b", "notice": "i"}.get(message.kind)
        text = message.text
        if message.kind == "emergency":
            text = "\u26a0\ufe0f " + text  # warning sign: the one message that must not be missed
        blocks.append(_styled(text, style))
    if numbered and message.choices:
        blocks.append("\n".join(f"{i}. {escape(c.label)}" for i, c in enumerate(message.choices, 1)))
    for ref in message.references:
        blocks += _reference(content, ref, region)
    return [p for block in blocks for p in block.split("\n\n") if p.strip()]


def _styled(text: str, tag: str | None) -> str:
    """Escape, and wrap each line in `tag` separately so any line break is a safe place to split."""
    lines = [escape(line) for line in text.split("\n")]
    if tag:
        lines = [f"<{tag}>{line}</{tag}>" if line.strip() else line for line in lines]
    return "\n".join(lines)


def _reference(content: Content, ref: Reference, region: str | None) -> list[str]:
    if ref.kind == "guidance":
        entry = content.guidance.get(ref.id)
        if entry is None:
            return []
        body = "\n".join(_markdown_line(line) for line in (entry.body or entry.summary).strip().split("\n"))
        links = _source_links([s.url for s in entry.sources[:3]])
        footer = f"Sources: {links}. Reviewed {entry.reviewed:%d %B %Y}." if links else \
            f"Reviewed {entry.reviewed:%d %B %Y}."
        return [f"<b>{escape(entry.title)}</b>\n{body}", f"<i>{footer}</i>"]
    return [escape(text) for text in describe_reference(content, ref, compact=False, region=region)]


def _markdown_line(line: str) -> str:
    """One line of guidance Markdown as Telegram HTML (bold, links, bullets); everything else escaped."""
    stripped = line.lstrip()
    bullet = stripped.startswith(("- ", "* "))
    raw = stripped[2:] if bullet else line
    parts, position = [], 0
    for link in _LINK.finditer(raw):
        parts.append(escape(raw[position:link.start()]))
        parts.append(f'<a href="{_attribute(link.group(2))}">{escape(link.group(1))}</a>')
        position = link.end()
    parts.append(escape(raw[position:]))
    text = _BOLD.sub(r"<b>\1</b>", "".join(parts))
    return ("\u2022 " + text) if bullet else text


def _source_links(urls: list[str]) -> str:
    """Sources as short links named by their site: <a href="...">safelives.org.uk</a>."""
    links, seen = [], {}
    for url in urls:
        if not url.startswith(("http://", "https://")):
            continue
        site = urlsplit(url).netloc.removeprefix("www.") or url
        seen[site] = seen.get(site, 0) + 1
        name = site if seen[site] == 1 else f"{site} ({seen[site]})"
        links.append(f'<a href="{_attribute(url)}">{escape(name)}</a>')
    return ", ".join(links)


# --- splitting -------------------------------------------------------------------------------------


def split_paragraphs(paragraphs: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack HTML paragraphs into as few texts as fit `limit`, joined by blank lines. A paragraph too long
    on its own is split between lines, and a line too long between words (its tags dropped)."""
    pieces: list[str] = []
    for paragraph in paragraphs:
        if telegram_length(paragraph) <= limit:
            pieces.append(paragraph)
            continue
        for line in paragraph.split("\n"):
            pieces += [line] if telegram_length(line) <= limit else _split_words(line, limit)
    texts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if telegram_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            texts.append(current)
        current = piece
    if current:
        texts.append(current)
    return texts


def _split_words(line: str, limit: int) -> list[str]:
    # Markup cannot be cut safely, so an over-long line is sent as plain (still escaped) text.
    words = _TAG.sub("", line).split(" ")
    parts: list[str] = []
    current = ""
    for word in words:
        while telegram_length(word) > limit:  # one "word" longer than a message (a pasted blob)
            cut = _cut_at(word, limit)
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}" if current else word
        if telegram_length(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts


def _cut_at(word: str, limit: int) -> int:
    """The longest prefix within the limit that does not cut an HTML entity such as &amp; in half."""
    cut = limit
    while telegram_length(word[:cut]) > limit:
        cut -= 1
    amp = word.rfind("&", max(0, cut - 8), cut)
    if amp != -1 and ";" not in word[amp:cut]:
        cut = amp
    return max(cut, 1)
