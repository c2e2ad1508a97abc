"""Exactly one leader among replicas: the one holding a PostgreSQL advisory lock runs the
market poll, the alert pipeline and the outbox sender (Telegram's 30/s belongs to the token,
not the process). The lock lives as long as its connection: a leader that dies, or loses the
database, lets a follower in at its next try.

SQLite is one process by construction (the embedded default): that process always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# Any 64-bit number works as long as every replica uses the same one: "oiwatch" in ASCII.
LOCK_KEY = 0x6F69776174636800


class LeaderLock:
    def __init__(self, engine: AsyncEngine, retry_s: float, key: int = LOCK_KEY) -> None:
        self.engine = engine
        self.retry_s = retry_s
        self.key = key
        self.shared = engine.dialect.name != "sqlite"
        self._conn: AsyncConnection | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Waits until this replica leads (True) or `stop` is set (False)."""
        if not self.shared:
            return not stop.is_set()
        while not stop.is_set():
            with contextlib.suppress(SQLAlchemyError, OSError):
                if await self._try():
                    log.info("leader: this replica now runs the jobs and the sender")
                    return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_s)
        return False

    async def _try(self) -> bool:
        conn = await self.engine.connect()
        try:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
            ).scalar_one()
            # The lock is per session, not per transaction: end the transaction so the
            # connection does not sit idle in one for as long as we lead.
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def hold(self, stop: asyncio.Event) -> None:
        """Returns when leadership is lost (the lock's connection failed) or `stop` is set."""
        if not self.shared:
            await stop.wait()
            return
        conn = self._conn
        assert conn is not None, "acquire first"
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_s)
            if stop.is_set():
                return
            try:
                await conn.execute(text("SELECT 1"))
                await conn.commit()
            except (SQLAlchemyError, OSError) as error:
                log.error("leader: lost the database (%s); stepping down", type(error).__name__)
                return

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(SQLAlchemyError, OSError):
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await conn.commit()
        with contextlib.suppress(SQLAlchemyError, OSError):
            await conn.close()
