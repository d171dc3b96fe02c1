"""Initial schema: conversation, inbound_message, opt_out, metric_counter.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_conversation")),
    )
    op.create_index("ix_conversation_updated_at", "conversation", ["updated_at"])

    op.create_table(
        "inbound_message",
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_inbound_message")),
    )
    op.create_index("ix_inbound_message_user_key", "inbound_message", ["user_key"])
    op.create_index("ix_inbound_message_received_at", "inbound_message", ["received_at"])

    op.create_table(
        "opt_out",
        sa.Column("user_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key", name=op.f("pk_opt_out")),
    )

    op.create_table(
        "metric_counter",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), server_default="", nullable=False),
        sa.Column("count", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", "label", name=op.f("pk_metric_counter")),
    )


def downgrade() -> None:
    op.drop_table("metric_counter")
    op.drop_table("opt_out")
    op.drop_index("ix_inbound_message_received_at", table_name="inbound_message")
    op.drop_index("ix_inbound_message_user_key", table_name="inbound_message")
    op.drop_table("inbound_message")
    op.drop_index("ix_conversation_updated_at", table_name="conversation")
    op.drop_table("conversation")
