"""positions: the position guard's claims and state

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    money = sa.String(48)
    op.create_table(
        "positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("asset", sa.String(24), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("entry", money, nullable=False),
        sa.Column("leverage", money, nullable=False),
        sa.Column("size", money, nullable=False),
        sa.Column("venue", sa.String(16), nullable=True),
        sa.Column("margin_mode", sa.String(12), nullable=False),
        sa.Column("cross_balance", money, nullable=True),
        sa.Column("levels", sa.String(48), nullable=False),
        sa.Column("funding_level", money, nullable=False),
        sa.Column("settlement_cost", money, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("levels_sent", sa.Integer(), nullable=False),
        sa.Column("funding_sent", sa.Boolean(), nullable=False),
        sa.Column("funding_paid", money, nullable=False),
        sa.Column("funding_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("liq_told", money, nullable=True),
    )
    op.create_index("ix_position_user", "positions", ["user_id", "active"])
    op.create_index("ix_position_updated", "positions", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_position_updated", "positions")
    op.drop_index("ix_position_user", "positions")
    op.drop_table("positions")
