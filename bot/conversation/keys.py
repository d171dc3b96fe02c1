"""Pseudonymous user keys: HMAC-SHA256(secret, channel + ":" + sender id). Raw ids are never stored."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["user_key"]


def user_key(secret: str, channel: str, sender_id: str) -> str:
    """The key a conversation is stored under; it cannot be turned back into the sender id."""
    message = f"{channel}:{sender_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
