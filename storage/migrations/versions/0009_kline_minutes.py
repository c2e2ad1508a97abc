"""kline minutes: each bar's range, volume and taker buy volume from the kline stream

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kline_minutes",
        sa.Column("venue", sa.String(24), primary_key=True),
        sa.Column("asset", sa.String(24), primary_key=True),
        sa.Column("minute", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("open", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("close", sa.Float(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("taker_buy", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kline_minutes")
