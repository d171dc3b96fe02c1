"""Rate limits shared by every instance: the rate_limit table and, on PostgreSQL, its two functions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Add `amount` to a counter row, restarting it when `window_start` is a newer window than the row's.
_COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION pathways_limit_count(
    p_bucket text, p_window timestamptz, p_amount integer, p_expires timestamptz
) RETURNS integer LANGUAGE sql AS $body$
    INSERT INTO rate_limit AS r (bucket, window_start, count, expires_at)
    VALUES (p_bucket, p_window, p_amount, p_expires)
    ON CONFLICT (bucket) DO UPDATE SET
        count = CASE WHEN r.window_start < EXCLUDED.window_start THEN EXCLUDED.count
                     ELSE r.count + EXCLUDED.count END,
        window_start = GREATEST(r.window_start, EXCLUDED.window_start),
        expires_at = GREATEST(r.expires_at, EXCLUDED.expires_at)
    RETURNING count
$body$
"""

# One inbound message: the rules of bot/abuse/backend.py, in one statement (see bot/abuse/memory.py for the
# reference). Returns ('allow', ''), ('notice' | 'drop', limit name) or ('replay', '1' allowed | '0' refused).
_CHECK_FUNCTION = """
CREATE OR REPLACE FUNCTION pathways_limit_check(
    p_now timestamptz, p_user text, p_message text, p_sms boolean,
    p_sender_limit integer, p_sender_seconds integer,
    p_segment_cap integer, p_new_cap integer, p_hour_seconds integer,
    p_known_seconds integer, p_replay_seconds integer,
    OUT verdict text, OUT limit_name text
) LANGUAGE plpgsql AS $body$
DECLARE
    v_epoch double precision := extract(epoch FROM p_now);
    v_minute timestamptz := to_timestamp(floor(v_epoch / p_sender_seconds) * p_sender_seconds);
    v_hour timestamptz := to_timestamp(floor(v_epoch / p_hour_seconds) * p_hour_seconds);
    v_hour_ends timestamptz := v_hour + make_interval(secs => p_hour_seconds + 60);
    v_count integer;
    v_seen_until timestamptz;
BEGIN
    -- Counters, not records: losing the last instant of them in a crash is harmless, so this statement's
    -- commit does not wait for the WAL to reach the disk (the conversation's own commit still does).
    PERFORM set_config('synchronous_commit', 'off', true);
    IF p_message IS NOT NULL THEN
        INSERT INTO rate_limit (bucket, window_start, count, expires_at)
        VALUES ('verdict:' || p_message, p_now, -1, p_now + make_interval(secs => p_replay_seconds))
        ON CONFLICT (bucket) DO NOTHING;
        IF NOT FOUND THEN
            SELECT count INTO v_count FROM rate_limit WHERE bucket = 'verdict:' || p_message;
            verdict := 'replay';
            limit_name := CASE WHEN v_count = 1 THEN '1' ELSE '0' END;
            RETURN;
        END IF;
    END IF;

    v_count := pathways_limit_count('sender:' || p_user, v_minute, 1,
                                    v_minute + make_interval(secs => p_sender_seconds + 60));
    IF v_count > p_sender_limit THEN
        verdict := CASE WHEN v_count = p_sender_limit + 1 THEN 'notice' ELSE 'drop' END;
        limit_name := 'sender_rate';
    ELSIF p_sms THEN
        IF COALESCE((SELECT count FROM rate_limit WHERE bucket = 'segments' AND window_start >= v_hour), 0)
                >= p_segment_cap THEN
            v_count := pathways_limit_count('segment_notice:' || p_user, v_hour, 1, v_hour_ends);
            verdict := CASE WHEN v_count = 1 THEN 'notice' ELSE 'drop' END;
            limit_name := 'sms_segments';
        ELSE
            SELECT expires_at INTO v_seen_until FROM rate_limit WHERE bucket = 'seen:' || p_user;
            IF v_seen_until IS NULL OR v_seen_until <= p_now THEN
                v_count := pathways_limit_count('new_senders', v_hour, 1, v_hour_ends);
                IF v_count > p_new_cap THEN
                    verdict := CASE WHEN v_count = p_new_cap + 1 THEN 'notice' ELSE 'drop' END;
                    limit_name := 'new_sms_senders';
                END IF;
            END IF;
            -- Renew the mark at most once an hour: a conversation's messages then cost no write here.
            IF verdict IS NULL AND (v_seen_until IS NULL
                    OR v_seen_until < p_now + make_interval(secs => p_known_seconds - 3600)) THEN
                INSERT INTO rate_limit AS r (bucket, window_start, count, expires_at)
                VALUES ('seen:' || p_user, p_now, 1, p_now + make_interval(secs => p_known_seconds))
                ON CONFLICT (bucket) DO UPDATE SET window_start = EXCLUDED.window_start,
                                                   expires_at = EXCLUDED.expires_at;
            END IF;
        END IF;
    END IF;

    IF verdict IS NULL THEN
        verdict := 'allow';
        limit_name := '';
    END IF;
    IF p_message IS NOT NULL THEN
        UPDATE rate_limit SET count = CASE WHEN verdict = 'allow' THEN 1 ELSE 0 END
        WHERE bucket = 'verdict:' || p_message;
    END IF;
END
$body$
"""


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "rate_limit",
        sa.Column("bucket", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_limit")),
    )
    op.create_index("ix_rate_limit_expires_at", "rate_limit", ["expires_at"])
    if _postgresql():
        op.execute(_COUNT_FUNCTION)
        op.execute(_CHECK_FUNCTION)


def downgrade() -> None:
    if _postgresql():
        op.execute(
            "DROP FUNCTION IF EXISTS pathways_limit_check(timestamptz, text, text, boolean, integer, integer, "
            "integer, integer, integer, integer, integer)"
        )
        op.execute("DROP FUNCTION IF EXISTS pathways_limit_count(text, timestamptz, integer, timestamptz)")
    op.drop_index("ix_rate_limit_expires_at", table_name="rate_limit")
    op.drop_table("rate_limit")
