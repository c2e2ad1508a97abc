"""chat settings: the chat's language (/settings lang)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("chat_settings", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("chat_settings", "language")
