"""The schema's single definition: SQLModel tables, read by the Alembic migrations.

The per-message path (`bot.storage.sql_sqlite`, `bot.storage.sql_postgres`) uses plain SQL against these
tables rather than ORM objects, for speed (see the perf notes). What is kept is the minimum: a pseudonymous
user key (an HMAC-SHA256 hex digest, never a phone number or Telegram id), the engine's state, message ids
for idempotency, opt-outs and content-free counters. No message text is stored anywhere.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Index, Integer, Text
from sqlmodel import Field, SQLModel

__all__ = ["Conversation", "InboundMessage", "OptOut", "MetricCounter", "metadata"]

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
