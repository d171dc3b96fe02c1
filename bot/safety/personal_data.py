"""Spot identifying details in a message, so we can remind the practitioner not to share them.

Nothing found here is stored or logged: only the fact that a warning was given is counted.
"""

from __future__ import annotations

import re

__all__ = ["PERSONAL_DATA_WARNING", "detect_personal_data"]

PERSONAL_DATA_WARNING = (
    "Please don't share names, dates of birth, addresses, NHS numbers or contact details here. "
    "We don't keep your messages, but guidance doesn't need them."
)

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})\b", re.IGNORECASE)
_PHONE = re.compile(r"(?<!\d)(?:\+44\s?7\d{3}|07\d{3}|\+44\s?[12]\d{2,3}|0[12]\d{2,3})[\s-]?\d{3}[\s-]?\d{3,4}(?!\d)")
_NHS = re.compile(r"(?<!\d)(\d{3})[\s-]?(\d{3})[\s-]?(\d{4})(?!\d)")
_DATE = re.compile(r"\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2})\b|\b\d{1,2}(?:st|nd|rd|th)? "
                   r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* (?:19|20)\d{2}\b", re.IGNORECASE)
_DOB_WORDS = re.compile(r"\b(?:dob|d\.o\.b|date of birth|born on|born)\b", re.IGNORECASE)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+ [A-Z][a-z]+|(?:mrs?|ms|miss|dr)\.? [A-Z][a-z]+)\b")


def _valid_nhs(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def detect_personal_data(text: str) -> list[str]:
    """The kinds of identifying detail found (e.g. ['postcode', 'phone']); empty when none."""
    text = text[:2000]
    found = []
    if _EMAIL.search(text):
        found.append("email")
    if _PHONE.search(text):
        found.append("phone")
    if any(_valid_nhs("".join(m.groups())) for m in _NHS.finditer(text)) and "phone" not in found:
        found.append("nhs_number")
    if _POSTCODE.search(text):
        found.append("postcode")
    if _DATE.search(text) and (_DOB_WORDS.search(text) or _NAME.search(text)):
        found.append("name_and_date_of_birth")
    return found
