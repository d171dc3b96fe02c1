"""Decide functions shared by the storage tests (pure, like the engine's)."""

from __future__ import annotations


def bump(stored, now):
    """Count turns in the state; the result is the new count."""
    count = (stored.state["count"] if stored else 0) + 1
    return {"count": count}, count


def peek(stored, now):
    """Save the state as it is (or nothing, for a new user); the result is what was stored."""
    return (stored.state if stored else None), stored


def forget(stored, now):
    """Delete the conversation."""
    return None, "forgotten"


class Refused(Exception):
    """Raised by `refuse`."""


def refuse(stored, now):
    raise Refused("decide failed")
