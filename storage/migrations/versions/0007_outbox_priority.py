"""outbox: priority, threads, silent alerts, claim lease, latency and paid-broadcast records

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("priority", "thread", "silent", "seen_at", "claimed_at", "message_id", "paid")


def upgrade() -> None:
    # batch mode: SQLite cannot drop columns in place, and the downgrade must.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("priority", sa.String(8), nullable=False, server_default="normal")
        )
        batch.add_column(sa.Column("thread", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("silent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_outbox_chat_status", ["chat_id", "status"])
        batch.create_index("ix_outbox_chat_thread", ["chat_id", "thread"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_chat_thread")
        batch.drop_index("ix_outbox_chat_status")
        for column in reversed(COLUMNS):
            batch.drop_column(column)
