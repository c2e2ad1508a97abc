"""market snapshots and per-minute liquidation flow

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "market_snapshots",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.String(24), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=False),
        sa.Column("asset", sa.String(24), nullable=False),
        sa.Column("inverse", sa.Boolean(), nullable=False),
        sa.Column("mark", sa.Float(), nullable=False),
        sa.Column("index_price", sa.Float(), nullable=True),
        sa.Column("last", sa.Float(), nullable=True),
        sa.Column("oi_contracts", sa.Float(), nullable=False),
        sa.Column("oi_coin", sa.Float(), nullable=False),
        sa.Column("oi_usd", sa.Float(), nullable=False),
        sa.Column("funding_rate", sa.Float(), nullable=True),
        sa.Column("funding_interval_hours", sa.Integer(), nullable=True),
        sa.Column("next_funding_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("volume_24h_coin", sa.Float(), nullable=True),
        sa.Column("volume_24h_usd", sa.Float(), nullable=True),
        sa.UniqueConstraint("venue", "symbol", "ts", name="uq_snapshot_venue_symbol_ts"),
    )
    op.create_index("ix_snapshot_asset_ts", "market_snapshots", ["asset", "ts"])
    op.create_table(
        "liquidation_minutes",
        sa.Column("venue", sa.String(24), primary_key=True),
        sa.Column("asset", sa.String(24), primary_key=True),
        sa.Column("minute", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("long_usd", sa.Float(), nullable=False),
        sa.Column("short_usd", sa.Float(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("liquidation_minutes")
    op.drop_index("ix_snapshot_asset_ts", table_name="market_snapshots")
    op.drop_table("market_snapshots")
