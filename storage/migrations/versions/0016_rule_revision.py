"""watch_rules: a revision, one more each time a rule's text changes

A tick that matched a rule as it was could queue its alert after the rule changed (/edit, an
edited /watch) and its queued alerts were dropped: the trader was then told of a threshold they
had just moved. The alert keeps the revision it was matched on, and the outbox refuses it once
the rule has a newer one.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "watch_rules", sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    # In place (SQLite 3.35+ drops columns): a batch copy would lose the table's AUTOINCREMENT
    # high-water mark (see 0013).
    op.drop_column("watch_rules", "revision")
