"""SMS encoding and segment arithmetic: GSM-7 (with extension characters) versus UCS-2."""

from __future__ import annotations

import math
from dataclasses import dataclass

import gsm0338  # noqa: F401 - registers the 'gsm03.38' codec

__all__ = ["SmsSize", "measure", "to_gsm_friendly", "TYPOGRAPHIC", "option_lines", "reply_prompt", "short_label"]

# Characters in the GSM 03.38 extension table cost two septets.
_EXTENSION = set("^{}\\[~]|€\f")

# Typographic characters that have a safe GSM-7 equivalent; replacing them keeps a reply in GSM-7.
TYPOGRAPHIC = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200b": "",
    "\u2022": "-", "\u00b7": "-", "\u2192": "->", "\u00d7": "x",
}


@dataclass(frozen=True)
class SmsSize:
    """How a text travels as SMS."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


_TRANSLATE = str.maketrans(TYPOGRAPHIC)


def _gsm_alphabet() -> frozenset[str]:
    """Every character the gsm0338 codec can encode (basic table and extension table), read once from it,
    so the hot path checks a set instead of encoding character by character."""
    found = set()
    for code in range(0x2200):  # GSM 03.38 has nothing above U+20AC (a test checks the whole BMP)
        ch = chr(code)
        try:
            ch.encode("gsm03.38")
        except UnicodeEncodeError:
            continue
        found.add(ch)
    return frozenset(found)


_GSM = _gsm_alphabet()


def to_gsm_friendly(text: str) -> str:
    """Replace typographic characters with their GSM-7 equivalents (curly quotes, dashes, ellipsis)."""
    return text.translate(_TRANSLATE)


def _is_gsm(text: str) -> bool:
    return _GSM.issuperset(text)


def measure(text: str) -> SmsSize:
    """Encoding, length in units, and number of segments of `text` as sent."""
    if _is_gsm(text):
        units = len(text) + sum(text.count(ch) for ch in _EXTENSION)  # extension characters cost two
        segments = 1 if units <= 160 else math.ceil(units / 153)
        return SmsSize("GSM-7", units, segments if units else 1)
    units = len(text.encode("utf-16-le")) // 2
    segments = 1 if units <= 70 else math.ceil(units / 67)
    return SmsSize("UCS-2", units, segments)


def reply_prompt(count: int) -> str:
    """'Reply 1 or 2', 'Reply 1, 2 or 3'; a long list is given as a range."""
    if count <= 1:
        return "Reply 1"
    if count > 5:
        return f"Reply 1-{count}"
    numbers = [str(n) for n in range(1, count + 1)]
    return f"Reply {', '.join(numbers[:-1])} or {numbers[-1]}"


def short_label(label: str) -> str:
    """A menu label's head: "MARAC referral - does this case meet the criteria?" -> "MARAC referral"."""
    head, sep, _ = label.partition(" - ")
    return head if sep and len(head) >= 8 else label


def option_lines(labels: list[str]) -> list[str]:
    """Options as SMS has them: numbered lines, then how to reply."""
    return [f"{n} {short_label(label)}" for n, label in enumerate(labels, 1)] + [reply_prompt(len(labels))]
