"""watch_rules, rule_changes, positions: ids never reused on SQLite

A plain INTEGER PRIMARY KEY hands the next row max(id)+1, so deleting the newest rule gave its
id to the next rule: an old 🗑 or 🔕 button (which carries the id) then removed or muted that
other rule. And once the pruned change log was empty, its ids started again at 1, under the
cursor the matcher follows it by, so an edited rule left the matcher. AUTOINCREMENT keeps a
high-water mark instead (sqlite_sequence). PostgreSQL sequences never go back: nothing to do.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("watch_rules", "rule_changes", "positions")


def _rebuild(table: str, *, autoincrement: bool) -> None:
    # Batch mode copies the table, rows and ids as they are, into one declared anew.
    with op.batch_alter_table(
        table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def _highest_rule_id_ever(connection: sa.Connection) -> int:
    """The highest rule id buttons may still carry: of the rules there, of the removed ones the
    change log remembers, and of the rules of alerts the outbox keeps (their 🗑 and 🔕)."""
    highest = connection.execute(
        sa.text(
            "SELECT max(coalesce((SELECT max(id) FROM watch_rules), 0),"
            " coalesce((SELECT max(rule_id) FROM rule_changes), 0))"
        )
    ).scalar_one()
    for (ids,) in connection.execute(sa.text("SELECT rules FROM outbox WHERE rules IS NOT NULL")):
        highest = max(highest, *(int(part) for part in ids.split(",")))
    return int(highest)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    highest = _highest_rule_id_ever(connection)
    for table in TABLES:
        _rebuild(table, autoincrement=True)
    # The copy set the mark to the highest id left; a removed rule's id above it may still sit
    # under a button in some chat.
    connection.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'watch_rules'"))
    connection.execute(
        sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('watch_rules', :seq)"),
        {"seq": highest},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, autoincrement=False)
