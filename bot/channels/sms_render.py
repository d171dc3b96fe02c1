"""SMS and WhatsApp rendering of the channel-neutral messages.

SMS has no buttons and every segment costs money: options become numbered lines with "Reply 1, 2 or 3",
typographic characters are replaced by their GSM-7 equivalents (one curly quote would switch the whole
reply to UCS-2 and more than double its cost), references are given in their compact one-line form, and
a reply longer than the segment budget is split at line or sentence boundaries into pages, each ending
"Reply MORE for the rest". WhatsApp has no segments: pages of up to 4,096 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.channels.references import describe_reference
from bot.content.library import Content
from bot.engine.outbound import Outbound
from bot.segments import measure, option_lines, to_gsm_friendly

__all__ = ["SmsRenderer", "MORE_SUFFIX", "WHATSAPP_LIMIT"]

MORE_SUFFIX = "\nReply MORE for the rest."
WHATSAPP_LIMIT = 4096
_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")


@dataclass
class SmsRenderer:
    """Renders a turn's messages into the pages to send; the first is sent, the rest wait for MORE."""

    content: Content
    budget: int = 3  # segments per reply
    region: str | None = None
    whatsapp: bool = False

    def text(self, messages: Iterable[Outbound]) -> str:
        blocks = []
        for message in messages:
            lines = [message.text] if message.text else []
            if message.choices:
                lines += option_lines([choice.label for choice in message.choices])
            for ref in message.references:
                lines += describe_reference(self.content, ref, compact=True, region=self.region)
            if lines:
                blocks.append("\n".join(lines))
        text = "\n\n".join(blocks)
        return text if self.whatsapp else to_gsm_friendly(text)

    def pages(self, messages: Iterable[Outbound]) -> list[str]:
        text = self.text(messages)
        if self._fits(text, last=True):
            return [text] if text else []
        return self._paginate(text)

    def _fits(self, text: str, *, last: bool) -> bool:
        if not last:
            text += MORE_SUFFIX
        if self.whatsapp:
            return len(text) <= WHATSAPP_LIMIT
        return measure(text).segments <= self.budget

    def _paginate(self, text: str) -> list[str]:
        pages: list[str] = []
        current = ""
        for piece in self._pieces(text):
            candidate = f"{current}{piece}"
            if not current or self._fits(candidate.rstrip(), last=False):
                current = candidate
                continue
            pages.append(current.rstrip() + MORE_SUFFIX)
            current = piece.lstrip("\n")
        if current.strip():
            pages.append(current.rstrip())
        return pages

    def _pieces(self, text: str) -> list[str]:
        """Lines, then sentences of over-long lines, then words of over-long sentences; separators kept."""
        pieces: list[str] = []
        for index, line in enumerate(text.split("\n")):
            prefix = "\n" if index else ""
            if self._fits(line, last=False):
                pieces.append(prefix + line)
                continue
            for n, sentence in enumerate(_SENTENCE_END.split(line)):
                sep = prefix if n == 0 else " "
                if self._fits(sentence, last=False):
                    pieces.append(sep + sentence)
                    continue
                for m, word in enumerate(sentence.split(" ")):
                    pieces.append((sep if m == 0 else " ") + word)
        return pieces
