"""outbox: a held digest's alerts one by one, so unlinking a channel takes its rules' alerts out
of a digest and still delivers the rest (an operator's post, other rules' alerts)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("digest", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "digest")
