"""Engine and session factory: SQLite (embedded default) or PostgreSQL via asyncpg."""

from __future__ import annotations

from typing import Any

from asyncpg import InterfaceError, PostgresError
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]

# What a database that is down, restarting or unreachable raises: SQLAlchemy's own errors, a
# refused or cut connection (OSError), and asyncpg's when it connects ("the database system is
# starting up" comes unwrapped).
UNAVAILABLE: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, PostgresError, InterfaceError)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the sender read the outbox while the poller writes snapshots; busy_timeout turns
    # a momentary lock into a short wait instead of "database is locked".
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA busy_timeout=5000",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
    ):
        cursor.execute(pragma)
    cursor.close()


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)
