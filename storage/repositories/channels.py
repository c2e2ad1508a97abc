"""Channel links: proof (checked at link time and again on use) that a user runs a channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import ChannelLink
from storage.statements import count_rows, execute_count, upsert


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
            statement = upsert(session, ChannelLink).values(
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
            await _name(session, channel_id, username, title)
            await session.commit()

    async def rename(self, channel_id: int, username: str | None, title: str | None) -> None:
        """Telegram calls the channel @username now (it was renamed): every link to it says so."""
        async with self._sessions() as session:
            await _name(session, channel_id, username, title)
            await session.commit()

    async def find(self, user_id: int, name: str) -> ChannelLink | None:
        """The user's linked channel called @name (case-insensitive) when last seen, if any."""
        wanted = name.lstrip("@").lower()
        async with self._sessions() as session:
            rows = await session.execute(
                select(ChannelLink).where(col(ChannelLink.user_id) == user_id)
            )
            for link in rows.scalars():
                if (link.username or "").lower() == wanted:
                    return link
        return None

    async def linked(self, user_id: int, channel_id: int) -> bool:
        """Whether the user has this channel linked, whatever its name."""
        async with self._sessions() as session:
            return await session.get(ChannelLink, (user_id, channel_id)) is not None

    async def links_to(self, channel_id: int) -> int:
        """How many users have this channel linked: its rules are shared by all of them."""
        async with self._sessions() as session:
            return await count_rows(session, ChannelLink, col(ChannelLink.channel_id) == channel_id)

    async def unlink(self, user_id: int, channel_id: int) -> bool:
        async with self._sessions() as session:
            count = await execute_count(
                session,
                delete(ChannelLink).where(
                    col(ChannelLink.user_id) == user_id, col(ChannelLink.channel_id) == channel_id
                ),
            )
            await session.commit()
            return bool(count)


async def _name(
    session: AsyncSession, channel_id: int, username: str | None, title: str | None
) -> None:
    """The channel's links take its current name and title. A link to another channel that
    still has that name (renamed since, and its old name taken) loses it, so @name finds one
    channel; the other is found by what Telegram calls it now."""
    await session.execute(
        update(ChannelLink)
        .where(col(ChannelLink.channel_id) == channel_id)
        .values(username=username, title=title)
    )
    if username:
        await session.execute(
            update(ChannelLink)
            .where(
                func.lower(col(ChannelLink.username)) == username.lower(),
                col(ChannelLink.channel_id) != channel_id,
            )
            .values(username=None)
        )
