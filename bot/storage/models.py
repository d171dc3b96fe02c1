"""The schema's single definition: SQLModel tables, read by the Alembic migrations.

The per-message path (`bot.storage.sql_sqlite`, `bot.storage.sql_postgres`) uses plain SQL against these
tables rather than ORM objects, for speed (see the perf notes). What is kept is the minimum: a pseudonymous
user key (an HMAC-SHA256 hex digest, never a phone number or Telegram id), the engine's state, message ids
for idempotency, opt-outs and content-free counters; and, for training cohorts, anonymous answers under a
participant number (the only link from a user key to that number is `cohort_participant.user_key`, cleared
by FORGET). No message text is stored anywhere.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, Text
from sqlmodel import Field, SQLModel

__all__ = [
    "Conversation",
    "InboundMessage",
    "OptOut",
    "MetricCounter",
    "Cohort",
    "CohortParticipant",
    "CohortAnswer",
    "CohortFinish",
    "RateLimit",
    "metadata",
]

# Stable constraint names, so later migrations (and SQLite batch mode) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata


def _utc_column(**kwargs: object) -> Column:
    return Column(DateTime(timezone=True), nullable=False, **kwargs)


class Conversation(SQLModel, table=True):
    """One user's conversation: the engine state as JSON text, and an optimistic version counter."""

    __tablename__ = "conversation"

    user_key: str = Field(sa_column=Column(Text, primary_key=True))
    state: str = Field(sa_column=Column(Text, nullable=False))
    version: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    updated_at: dt.datetime = Field(sa_column=_utc_column())

    __table_args__ = (Index("ix_conversation_updated_at", "updated_at"),)


class InboundMessage(SQLModel, table=True):
    """A message id already handled (Twilio MessageSid or "tg:<update_id>"), so a retry is a duplicate."""

    __tablename__ = "inbound_message"

    message_id: str = Field(sa_column=Column(Text, primary_key=True))
    user_key: str = Field(sa_column=Column(Text, nullable=False))
    received_at: dt.datetime = Field(sa_column=_utc_column())

    __table_args__ = (
        Index("ix_inbound_message_user_key", "user_key"),  # erase
        Index("ix_inbound_message_received_at", "received_at"),  # purge
    )


class OptOut(SQLModel, table=True):
    """An SMS STOP, kept after erasure because the law requires honouring it."""

    __tablename__ = "opt_out"

    user_key: str = Field(sa_column=Column(Text, primary_key=True))
    created_at: dt.datetime = Field(sa_column=_utc_column())


class MetricCounter(SQLModel, table=True):
    """An aggregate, content-free counter: no user key."""

    __tablename__ = "metric_counter"

    name: str = Field(sa_column=Column(Text, primary_key=True))
    label: str = Field(sa_column=Column(Text, primary_key=True, server_default=""))
    count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


# --- training cohorts (bot.training): deleted, with everything below, when the cohort expires ---------------


class Cohort(SQLModel, table=True):
    """A training session people join by code; `participants` counts the participant numbers handed out."""

    __tablename__ = "cohort"

    code: str = Field(sa_column=Column(Text, primary_key=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    scenarios: str = Field(sa_column=Column(Text, nullable=False, server_default=""))  # flow ids, comma-separated
    participants: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    created_at: dt.datetime = Field(sa_column=_utc_column())
    expires_at: dt.datetime = Field(sa_column=_utc_column())

    __table_args__ = (Index("ix_cohort_expires_at", "expires_at"),)  # purge


class CohortParticipant(SQLModel, table=True):
    """A participant number; `user_key` links it to a conversation until FORGET or joining another cohort."""

    __tablename__ = "cohort_participant"

    cohort_code: str = Field(sa_column=Column(Text, primary_key=True))
    participant_no: int = Field(sa_column=Column(Integer, primary_key=True))
    user_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    joined_at: dt.datetime = Field(sa_column=_utc_column())

    # One cohort at a time per user key (NULLs, the unlinked numbers, do not collide).
    __table_args__ = (Index("ix_cohort_participant_user_key", "user_key", unique=True),)


class CohortAnswer(SQLModel, table=True):
    """A participant's first choice at one decision of a scenario (later changes are not counted)."""

    __tablename__ = "cohort_answer"

    cohort_code: str = Field(sa_column=Column(Text, primary_key=True))
    participant_no: int = Field(sa_column=Column(Integer, primary_key=True))
    scenario_id: str = Field(sa_column=Column(Text, primary_key=True))
    node_id: str = Field(sa_column=Column(Text, primary_key=True))
    option_key: str = Field(sa_column=Column(Text, nullable=False))
    score: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    recommended: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))
    answered_at: dt.datetime = Field(sa_column=_utc_column())


class CohortFinish(SQLModel, table=True):
    """A participant reached an end of a scenario (the first time for each outcome)."""

    __tablename__ = "cohort_finish"

    cohort_code: str = Field(sa_column=Column(Text, primary_key=True))
    participant_no: int = Field(sa_column=Column(Integer, primary_key=True))
    scenario_id: str = Field(sa_column=Column(Text, primary_key=True))
    outcome: str = Field(sa_column=Column(Text, primary_key=True))
    finished_at: dt.datetime = Field(sa_column=_utc_column())


class RateLimit(SQLModel, table=True):
    """A rate-limit counter or mark shared by every instance (bot.abuse.postgres_limits): no text, no phone number.

    `bucket` names what is counted: `sender:<user key>`, `segments`, `segment_notice:<user key>`,
    `new_senders`, `seen:<user key>` or `verdict:<message id>`; expired rows are purged.
    """

    __tablename__ = "rate_limit"

    bucket: str = Field(sa_column=Column(Text, primary_key=True))
    window_start: dt.datetime = Field(sa_column=_utc_column())
    count: int = Field(sa_column=Column(Integer, nullable=False))
    expires_at: dt.datetime = Field(sa_column=_utc_column())

    __table_args__ = (Index("ix_rate_limit_expires_at", "expires_at"),)  # purge
