"""Abuse protection shared by every server instance: a per-sender rate limit, an hourly cap on outbound SMS
segments and an hourly cap on new SMS senders (SMS-pumping defence). Over a limit: one polite notice per
window, then silence. Backends: Redis, PostgreSQL, or in-process memory (see `open_limiter`).
"""

from bot.abuse.limiter import RateLimiter, open_limiter, policy_from_settings
from bot.abuse.memory import MemoryLimitBackend
from bot.abuse.policy import (
    ALLOW,
    LIMIT_NAMES,
    NEW_SMS_SENDERS,
    NOTICES,
    SENDER_RATE,
    SMS_SEGMENTS,
    UNAVAILABLE,
    Action,
    Decision,
    LimitPolicy,
)

__all__ = [
    "ALLOW",
    "LIMIT_NAMES",
    "NEW_SMS_SENDERS",
    "NOTICES",
    "SENDER_RATE",
    "SMS_SEGMENTS",
    "UNAVAILABLE",
    "Action",
    "Decision",
    "LimitPolicy",
    "MemoryLimitBackend",
    "RateLimiter",
    "open_limiter",
    "policy_from_settings",
]
