"""Exactly one leader among replicas: the one holding a PostgreSQL advisory lock runs the
market poll, the alert pipeline and the outbox sender (Telegram's 30/s belongs to the token,
not the process). The lock lives as long as its connection: a leader that dies lets a follower
in at its next try.

A leader that loses its connection keeps leading while the database cannot be reached at all
(nobody else can take the lock then, and stepping down would stop the polling of Telegram, so
even commands that need no database would go unanswered); it steps down as soon as the
database answers with the lock taken by another replica, or takes it again.

SQLite is one process by construction (the embedded default): that process always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.runtime.supervisor import stopped_within
from storage.db import UNAVAILABLE

log = logging.getLogger(__name__)

# Any 64-bit number works as long as every replica uses the same one: "oiwatch" in ASCII.
LOCK_KEY = 0x6F69776174636800
REGAIN_TIMEOUT_S = 5.0


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
            with contextlib.suppress(*UNAVAILABLE):
                if await self._try():
                    log.info("leader: this replica now runs the jobs and the sender")
                    return True
            await stopped_within(stop, self.retry_s)
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
        """Returns when leadership is lost (another replica holds the lock) or `stop` is set."""
        if not self.shared:
            await stop.wait()
            return
        assert self._conn is not None, "acquire first"
        while not await stopped_within(stop, self.retry_s):
            try:
                await self._check()
            except UNAVAILABLE as error:
                log.error("leader: lost the database (%s); still leading", type(error).__name__)
                await self._drop()
                if not await self._regain(stop):
                    return

    async def _check(self) -> None:
        assert self._conn is not None
        await self._conn.execute(text("SELECT 1"))
        await self._conn.commit()

    async def _regain(self, stop: asyncio.Event) -> bool:
        """While the database cannot be reached, keeps trying; True once the lock is ours
        again, False if another replica took it (or on stop)."""
        while not await stopped_within(stop, self.retry_s):
            try:
                # Bounded: a dead host can hold a connect for a minute, and stop must not wait.
                async with asyncio.timeout(max(self.retry_s, REGAIN_TIMEOUT_S)):
                    got = await self._try()
            except UNAVAILABLE:
                continue  # still unreachable: nobody else can lead either
            if got:
                log.info("leader: the database is back and the lock still ours")
                return True
            log.error("leader: another replica took the lock while the database was away")
            return False
        return False

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(*UNAVAILABLE):
                await conn.close()

    async def release(self) -> None:
        conn = self._conn
        if conn is None:
            return
        with contextlib.suppress(*UNAVAILABLE):
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            await conn.commit()
        await self._drop()
