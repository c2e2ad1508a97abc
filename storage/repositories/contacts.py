"""Users and chats the bot has talked to, recorded on first contact and touched on later ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel

from storage.db import SessionFactory
from storage.models import Chat, User


@dataclass(frozen=True, slots=True)
class UserSeen:
    id: int
    username: str | None = None
    first_name: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class ChatSeen:
    id: int
    type: str
    title: str | None = None
    username: str | None = None


class ContactRepository:
    """Upserts contacts; a contact seen again within `touch_interval` costs no write, so a
    chatty user does not turn every command into a database round trip."""

    def __init__(self, sessions: SessionFactory, touch_interval: timedelta = timedelta(minutes=10)):
        self._sessions = sessions
        self._touch_interval = touch_interval
        self._recent: dict[tuple[str, int], datetime] = {}

    async def record(self, user: UserSeen | None, chat: ChatSeen | None, now: datetime) -> None:
        rows: list[tuple[type[SQLModel], dict[str, Any]]] = []
        if user is not None and self._due(("user", user.id), now):
            rows.append(
                (
                    User,
                    {
                        "id": user.id,
                        "username": user.username,
                        "first_name": user.first_name,
                        "language_code": user.language_code,
                    },
                )
            )
        if chat is not None and self._due(("chat", chat.id), now):
            rows.append(
                (
                    Chat,
                    {
                        "id": chat.id,
                        "type": chat.type,
                        "title": chat.title,
                        "username": chat.username,
                        "active": True,
                    },
                )
            )
        if not rows:
            return
        async with self._sessions() as session:
            for model, values in rows:
                await session.execute(_upsert(session.bind.dialect.name, model, values, now))
            await session.commit()
        for model, values in rows:
            self._recent[("user" if model is User else "chat", values["id"])] = now

    def _due(self, key: tuple[str, int], now: datetime) -> bool:
        seen = self._recent.get(key)
        return seen is None or now - seen >= self._touch_interval

    async def get_user(self, user_id: int) -> User | None:
        async with self._sessions() as session:
            return await session.get(User, user_id)

    async def get_chat(self, chat_id: int) -> Chat | None:
        async with self._sessions() as session:
            return await session.get(Chat, chat_id)


def _upsert(dialect: str, model: type[SQLModel], values: dict[str, Any], now: datetime) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model.__table__).values(**values, first_seen=now, last_seen=now)  # type: ignore[attr-defined]
    # first_seen stays as it was; everything else follows the latest contact.
    return statement.on_conflict_do_update(
        index_elements=["id"],
        set_={**{k: v for k, v in values.items() if k != "id"}, "last_seen": now},
    )
