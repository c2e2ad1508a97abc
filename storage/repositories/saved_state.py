"""Named JSON documents the leader saves after a tick and loads when it takes the lead."""

from __future__ import annotations

from datetime import datetime

from storage.db import SessionFactory
from storage.models import SavedState


class SavedStateRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def load(self, name: str) -> str | None:
        async with self._sessions() as session:
            row = await session.get(SavedState, name)
            return row.data if row is not None else None

    async def save(self, name: str, data: str, now: datetime) -> None:
        async with self._sessions() as session:
            await session.merge(SavedState(name=name, data=data, saved_at=now))
            await session.commit()
