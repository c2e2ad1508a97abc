"""Per-chat settings; a chat that never used /settings has the defaults."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import ChatSettings
from storage.statements import not_null, rows_where_in


class ChatSettingsRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def get(self, chat_id: int) -> ChatSettings:
        async with self._sessions() as session:
            found = await session.get(ChatSettings, chat_id)
            return found if found is not None else ChatSettings(chat_id=chat_id)

    async def languages(self) -> dict[int, str]:
        """Every chat that chose a language with /settings lang."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(col(ChatSettings.chat_id), not_null(ChatSettings.language)).where(
                    col(ChatSettings.language).is_not(None)
                )
            )
            return {chat_id: language for chat_id, language in rows.all()}

    async def for_chats(self, chat_ids: Iterable[int]) -> dict[int, ChatSettings]:
        """Only chats with stored settings: the rest use the defaults."""
        async with self._sessions() as session:
            rows = await rows_where_in(session, ChatSettings, ChatSettings.chat_id, chat_ids)
            return {row.chat_id: row for row in rows}

    async def save(self, settings: ChatSettings) -> None:
        async with self._sessions() as session:
            await session.merge(settings)
            await session.commit()

    async def rewrite_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """The old chat's settings go to the new id, unless an admin already set the new
        chat's own (those are the newer word)."""
        async with self._sessions() as session:
            row = await session.get(ChatSettings, old_chat_id)
            if row is not None:
                await session.delete(row)
                await session.flush()
                if await session.get(ChatSettings, new_chat_id) is None:
                    # Every column moves, including ones added after this was written.
                    session.add(ChatSettings(**{**row.model_dump(), "chat_id": new_chat_id}))
            await session.commit()
