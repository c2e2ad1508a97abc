"""Stairway: every revision upgrades, downgrades and upgrades again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import alembic_config, downgrade_database, upgrade_database


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def _tables(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_stairway(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        previous = "base"
        for revision in _revisions():
            await upgrade_database(engine, revision)
            after_up = await _tables(engine)
            await downgrade_database(engine, previous)
            await upgrade_database(engine, revision)
            assert await _tables(engine) == after_up
            previous = revision
        assert {"users", "chats"} <= await _tables(engine)
    finally:
        await engine.dispose()


async def test_migrations_match_the_models(engine) -> None:
    """A model change without a migration (or the reverse) shows up here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    def diff(sync_conn):
        context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas need PostgreSQL; SQLite is one process")
    engines = [make_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade_database(engine) for engine in engines))
        assert {"users", "rule_changes"} <= await _tables(engines[0])
    finally:
        for engine in engines:
            await engine.dispose()
