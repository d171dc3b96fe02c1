"""The Big List of Naughty Strings (MIT; copy in tests/fixtures/naughty-strings), for every channel's tests."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["naughty_strings", "BLNS"]

BLNS = Path(__file__).parent / "fixtures" / "naughty-strings" / "blns.json"


@lru_cache(maxsize=1)
def naughty_strings() -> tuple[str, ...]:
    return tuple(json.loads(BLNS.read_text(encoding="utf-8")))
