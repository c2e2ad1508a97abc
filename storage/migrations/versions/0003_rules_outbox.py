"""watch rules and the alert outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "watch_rules",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(120), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("last_fired", sa.DateTime(timezone=True), nullable=True),
        sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cooldown_s", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_rule_chat", "watch_rules", ["chat_id"])
    op.create_table(
        "outbox",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("dedup_key", sa.String(128), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("reply_markup", sa.String(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.UniqueConstraint("dedup_key", name="uq_outbox_dedup"),
    )
    op.create_index("ix_outbox_status_due", "outbox", ["status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_rule_chat", table_name="watch_rules")
    op.drop_table("watch_rules")
