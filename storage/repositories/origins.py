"""Which rule or position each user's command message made (see CommandOrigin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import CommandOrigin
from storage.statements import execute_count


class Made(StrEnum):
    RULE = "rule"
    POSITION = "position"


@dataclass(frozen=True, slots=True)
class Origin:
    """A user's message: Telegram numbers messages per chat."""

    chat_id: int
    message_id: int


class OriginRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def made(self, origin: Origin, kind: Made) -> int | None:
        """The id of the rule or position the message made last; None: it made none."""
        async with self._sessions() as session:
            row = await session.get(CommandOrigin, (origin.chat_id, origin.message_id, kind.value))
            return row.made_id if row is not None else None

    async def record(self, origin: Origin, kind: Made, made_id: int, now: datetime) -> None:
        """The message made `made_id`: an edit of it changes that one from now on."""
        async with self._sessions() as session:
            await session.merge(
                CommandOrigin(
                    chat_id=origin.chat_id,
                    message_id=origin.message_id,
                    kind=kind.value,
                    made_id=made_id,
                    created_at=now,
                )
            )
            await session.commit()

    async def prune(self, before: datetime) -> int:
        """Messages that made their rule or position before `before`: an edit of one of them
        makes a new one, as an edit of a message never seen does."""
        async with self._sessions() as session:
            count = await execute_count(
                session, delete(CommandOrigin).where(col(CommandOrigin.created_at) < before)
            )
            await session.commit()
            return count
