"""Channel links: proof (checked at link time and again on use) that a user runs a channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import SessionFactory
from storage.models import ChannelLink


class ChannelRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def link(
        self,
        user_id: int,
        channel_id: int,
        username: str | None,
        title: str | None,
        now: datetime,
    ) -> None:
        async with self._sessions() as session:
            insert = (
                postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
            )
            statement = insert(ChannelLink.__table__).values(
                user_id=user_id,
                channel_id=channel_id,
                username=username,
                title=title,
                linked_at=now,
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id", "channel_id"],
                    set_={"username": username, "title": title, "linked_at": now},
                )
            )
            await session.commit()

    async def find(self, user_id: int, name: str) -> ChannelLink | None:
        """The user's linked channel called @name (case-insensitive), if any."""
        wanted = name.lstrip("@").lower()
        async with self._sessions() as session:
            rows = await session.execute(select(ChannelLink).where(ChannelLink.user_id == user_id))
            for link in rows.scalars():
                if (link.username or "").lower() == wanted:
                    return link
        return None

    async def unlink(self, user_id: int, channel_id: int) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                delete(ChannelLink).where(
                    ChannelLink.user_id == user_id, ChannelLink.channel_id == channel_id
                )
            )
            await session.commit()
            return bool(result.rowcount)
