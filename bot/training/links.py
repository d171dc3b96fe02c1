"""Signed links to a cohort's live page: `?sig=` is an HMAC of the code under TRAINER_TOKEN.

A signed link opens one cohort's page without the token itself (for a projector's browser, which cannot
send an Authorization header); rotating TRAINER_TOKEN revokes every link.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign_code", "signature_matches", "live_path"]


def sign_code(token: str, code: str) -> str:
    """The signature for one cohort code (128 bits, hex)."""
    return hmac.new(token.encode(), f"pathways-trainer-cohort:{code}".encode(), hashlib.sha256).hexdigest()[:32]


def signature_matches(token: str, code: str, signature: str) -> bool:
    """Constant-time check of a link's signature."""
    return hmac.compare_digest(sign_code(token, code).encode(), signature.strip().lower().encode("utf-8", "replace"))


def live_path(token: str, code: str) -> str:
    """The signed path of a cohort's live page (prefix PUBLIC_BASE_URL for a full link)."""
    return f"/trainer/cohorts/{code}?sig={sign_code(token, code)}"
