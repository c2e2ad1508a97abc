"""outbox: the watch rules each alert is for, so unlinking a channel drops only its rules'
alerts and not an operator's broadcast posts to the same channel

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("rules", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "rules")
