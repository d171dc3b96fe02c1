"""Join codes: six characters, read aloud or off a slide without ambiguity (no 0/O, no 1/I)."""

from __future__ import annotations

import re
import secrets

__all__ = ["CODE_ALPHABET", "CODE_LENGTH", "new_code", "normalise_code", "is_code"]

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6  # 32**6, about a billion codes: guessing a live one is hopeless

_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_code() -> str:
    """A random join code (the store refuses one already taken; the caller draws again)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a person typed, as a code: upper case, without spaces or dashes ("k7p-x3m" -> "K7PX3M")."""
    return _SEPARATORS.sub("", text).upper()


def is_code(text: str) -> bool:
    """True when `text` (normalised) could be a join code."""
    return len(text) == CODE_LENGTH and all(c in CODE_ALPHABET for c in text)
