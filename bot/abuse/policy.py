"""What the abuse limits are, what a check decides, and the polite notices sent once per window.

Three limits, each counted in fixed windows aligned to the clock (minute 12:03:00–12:03:59, hour
12:00–12:59), shared by every server instance through the backend:

- `sender_rate`: messages from one pseudonymous user key per minute (RATE_LIMIT_PER_MINUTE).
- `sms_segments`: outbound SMS segments per hour, all users together (SMS_SEGMENTS_PER_HOUR). Replies are
  recorded after they are rendered (`spend_segments`); once the hour's total reaches the cap, new inbound
  SMS are refused until the next hour, so a turn is never processed without its reply being sent.
- `new_sms_senders`: SMS user keys per hour that were not seen in the last `known_sender_days` days
  (NEW_SMS_SENDERS_PER_HOUR; SMS-pumping defence). "Seen" means a message from that key was allowed; the
  mark lasts as long as conversation data is kept (RETENTION_DAYS), and FORGET clears it (`forget`).

Over a limit, the first refused message of the window gets one polite notice and every later one silence:
per sender for `sender_rate` and `sms_segments`; for `new_sms_senders` once per hour in all, because a
notice to every unknown number is exactly the cost an SMS-pumping attack tries to run up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "SENDER_RATE",
    "SMS_SEGMENTS",
    "NEW_SMS_SENDERS",
    "LIMIT_NAMES",
    "UNAVAILABLE",
    "NOTICES",
    "Action",
    "Decision",
    "ALLOW",
    "LimitPolicy",
    "window_start",
    "window_id",
    "refused",
    "decision_from_verdict",
]

SENDER_RATE = "sender_rate"
SMS_SEGMENTS = "sms_segments"
NEW_SMS_SENDERS = "new_sms_senders"
LIMIT_NAMES = (SENDER_RATE, SMS_SEGMENTS, NEW_SMS_SENDERS)
UNAVAILABLE = "limiter_unavailable"  # reported through on_limit when the backend fails and checks fail open

# One SMS segment each (GSM-7, under 160 characters), so a notice costs as little as a notice can.
NOTICES = {
    SENDER_RATE: (
        "You have sent a lot of messages in a short time, so replies are paused for a minute. "
        "If anyone is in immediate danger, call 999."
    ),
    SMS_SEGMENTS: (
        "Pathways is very busy and has paused text replies for up to an hour. "
        "If anyone is in immediate danger, call 999."
    ),
    NEW_SMS_SENDERS: (
        "Pathways is not starting new text conversations for up to an hour. "
        "If anyone is in immediate danger, call 999."
    ),
}


class Action(StrEnum):
    """What the channel does with the message."""

    ALLOW = "allow"  # process it as usual
    NOTICE_THEN_DROP = "notice_then_drop"  # do not process it; send `Decision.notice` instead
    DROP = "drop"  # do not process it; send nothing (an empty TwiML response)


@dataclass(frozen=True)
class Decision:
    """The verdict on one inbound message."""

    action: Action
    limit: str | None = None  # which limit refused it (one of LIMIT_NAMES); None when allowed or replayed
    notice: str | None = None  # the text to send, with NOTICE_THEN_DROP only
    replay: bool = False  # the message id was checked before: this repeats its verdict, never with a notice

    @property
    def allowed(self) -> bool:
        return self.action is Action.ALLOW


ALLOW = Decision(Action.ALLOW)


@dataclass(frozen=True)
class LimitPolicy:
    """The numbers, read from the settings by `open_limiter`."""

    sender_per_minute: int = 20
    sms_segments_per_hour: int = 2000
    new_sms_senders_per_hour: int = 200
    known_sender_days: int = 30
    sender_window_seconds: int = 60
    global_window_seconds: int = 3600
    # A retried webhook (same message id) within this time repeats the first verdict instead of counting again.
    replay_seconds: int = 2 * 3600

    def __post_init__(self) -> None:
        for name in ("sender_per_minute", "sms_segments_per_hour", "new_sms_senders_per_hour",
                     "known_sender_days", "sender_window_seconds", "global_window_seconds", "replay_seconds"):
            if getattr(self, name) < 1:
                raise ValueError(f"LimitPolicy.{name} must be at least 1")

    @property
    def known_sender_seconds(self) -> int:
        return self.known_sender_days * 86400


def window_start(now: dt.datetime, seconds: int) -> dt.datetime:
    """The start of the fixed window of `seconds` that `now` falls in (UTC, aligned to the Unix epoch)."""
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, dt.UTC)


def window_id(now: dt.datetime, seconds: int) -> int:
    """The window's number since the epoch: the same in every backend and every process."""
    return int(now.timestamp()) // seconds


def refused(limit: str, first: bool) -> Decision:
    """The first refusal in a window carries a notice; the rest are silent."""
    return Decision(Action.NOTICE_THEN_DROP if first else Action.DROP, limit)


def decision_from_verdict(verdict: str | bytes, detail: str | bytes) -> Decision:
    """What a server-side check (the Redis script, the PostgreSQL function) answered: 'allow'; 'notice' or
    'drop' with the limit's name; or 'replay' with '1' (allowed the first time) or '0' (refused)."""
    verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
    detail = detail.decode() if isinstance(detail, bytes) else detail
    if verdict == "replay":
        return Decision(Action.ALLOW if detail == "1" else Action.DROP, replay=True)
    if verdict == "allow":
        return ALLOW
    return refused(detail, verdict == "notice")
