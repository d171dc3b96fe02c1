"""Training cohorts: cohort, cohort_participant, cohort_answer, cohort_finish.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cohort",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("scenarios", sa.Text(), server_default="", nullable=False),
        sa.Column("participants", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_cohort")),
    )
    op.create_index("ix_cohort_expires_at", "cohort", ["expires_at"])

    op.create_table(
        "cohort_participant",
        sa.Column("cohort_code", sa.Text(), nullable=False),
        sa.Column("participant_no", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.Text(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cohort_code", "participant_no", name=op.f("pk_cohort_participant")),
    )
    op.create_index("ix_cohort_participant_user_key", "cohort_participant", ["user_key"], unique=True)

    op.create_table(
        "cohort_answer",
        sa.Column("cohort_code", sa.Text(), nullable=False),
        sa.Column("participant_no", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Text(), nullable=False),
        sa.Column("node_id", sa.Text(), nullable=False),
        sa.Column("option_key", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("recommended", sa.Boolean(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cohort_code", "participant_no", "scenario_id", "node_id",
                                name=op.f("pk_cohort_answer")),
    )

    op.create_table(
        "cohort_finish",
        sa.Column("cohort_code", sa.Text(), nullable=False),
        sa.Column("participant_no", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cohort_code", "participant_no", "scenario_id", "outcome",
                                name=op.f("pk_cohort_finish")),
    )


def downgrade() -> None:
    op.drop_table("cohort_finish")
    op.drop_table("cohort_answer")
    op.drop_index("ix_cohort_participant_user_key", table_name="cohort_participant")
    op.drop_table("cohort_participant")
    op.drop_index("ix_cohort_expires_at", table_name="cohort")
    op.drop_table("cohort")
