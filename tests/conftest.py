"""Shared fixtures: the databases every storage test runs on."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.watched_rules import WatchedRules
from bot.usecases.watches import WatchService
from storage.db import SessionFactory, make_engine
from storage.migrate import upgrade_database
from storage.repositories.outbox import OutboxRepository
from storage.repositories.rules import RuleRepository

os.environ.setdefault("PTB_TIMEDELTA", "1")

POSTGRES_URL = os.environ.get("OIWATCH_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """A fresh, empty database per test: a SQLite file, or PostgreSQL's public schema emptied.

    Tests run one at a time, so resetting the one schema is enough isolation and keeps the URL
    exactly what an operator would configure (asyncpg takes no search_path in the URL)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'oiwatch.db'}"
        return
    assert POSTGRES_URL is not None
    admin = make_engine(POSTGRES_URL)
    async with admin.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await admin.dispose()
    yield POSTGRES_URL


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    await upgrade_database(engine)
    yield engine
    await engine.dispose()


def watch_service(sessions: SessionFactory, cap: int = 50) -> WatchService:
    """Rules, the matcher and the outbox on one database, wired as the bot wires them."""
    return WatchService(WatchedRules(RuleRepository(sessions)), cap, OutboxRepository(sessions))
