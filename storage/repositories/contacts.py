"""Users and chats the bot has talked to, recorded on first contact and touched on later ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from storage.db import SessionFactory
from storage.models import Chat, User
from storage.statements import batches, upsert

log = logging.getLogger(__name__)


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
    """Upserts contacts behind the command path: `record` only notes who was seen, and one
    transaction writes every new or stale contact within `flush_after` seconds. A first
    command from a new user then costs no database round trip (2,000 new users at 200
    commands a second queued behind their own inserts; bench/bench_load.py). A contact seen
    again within `touch_interval` is not written at all. A crash loses at most the contacts of
    the last `flush_after` seconds, which the next message from them restores."""

    def __init__(
        self,
        sessions: SessionFactory,
        touch_interval: timedelta = timedelta(minutes=10),
        flush_after: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._touch_interval = touch_interval
        self._flush_after = flush_after
        self._recent: dict[tuple[str, int], datetime] = {}
        # key -> (table, latest values, first seen in this batch, last seen)
        self._pending: dict[
            tuple[str, int], tuple[type[SQLModel], dict[str, Any], datetime, datetime]
        ] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()

    async def record(self, user: UserSeen | None, chat: ChatSeen | None, now: datetime) -> None:
        if user is not None and self._due(("user", user.id), now):
            self._note(
                ("user", user.id),
                User,
                {
                    "id": user.id,
                    "username": user.username,
                    "first_name": user.first_name,
                    "language_code": user.language_code,
                },
                now,
            )
        if chat is not None and self._due(("chat", chat.id), now):
            self._note(
                ("chat", chat.id),
                Chat,
                {
                    "id": chat.id,
                    "type": chat.type,
                    "title": chat.title,
                    "username": chat.username,
                    "active": True,
                },
                now,
            )
        if self._pending and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush_soon())

    def _note(
        self, key: tuple[str, int], model: type[SQLModel], values: dict[str, Any], now: datetime
    ) -> None:
        earlier = self._pending.get(key)
        self._pending[key] = (model, values, earlier[2] if earlier else now, now)
        self._recent[key] = now

    async def _flush_soon(self) -> None:
        # Woken early by aclose, never cancelled: a write cancelled half-way lost its batch and
        # left its session to unwind after the engine was gone, hanging the shutdown.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._flush_after):
                await self._closing.wait()
        await self.flush()

    async def flush(self) -> None:
        """Writes what `record` noted; the runner calls it once more on the way out."""
        pending, self._pending = self._pending, {}
        if not pending:
            return
        rows: dict[type[SQLModel], list[dict[str, Any]]] = {}
        for model, values, first, last in pending.values():
            rows.setdefault(model, []).append({**values, "first_seen": first, "last_seen": last})
        try:
            async with self._sessions() as session:
                for model, batch in rows.items():
                    await session.execute(_upsert(session, model, batch[0]), batch)
                await session.commit()
        except (SQLAlchemyError, OSError):
            log.exception("contacts not written; retrying with the next batch")
            for key, entry in pending.items():
                self._pending.setdefault(key, entry)

    async def aclose(self) -> None:
        self._closing.set()
        if self._flusher is not None:
            await self._flusher
        await self.flush()

    def _due(self, key: tuple[str, int], now: datetime) -> bool:
        seen = self._recent.get(key)
        return seen is None or now - seen >= self._touch_interval

    async def get_user(self, user_id: int) -> User | None:
        async with self._sessions() as session:
            return await session.get(User, user_id)

    async def get_chat(self, chat_id: int) -> Chat | None:
        async with self._sessions() as session:
            return await session.get(Chat, chat_id)

    async def language_codes(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Telegram's language_code of each user who sent one (the rest are left out)."""
        wanted = list(user_ids)
        found: dict[int, str] = {}
        async with self._sessions() as session:
            for batch in batches(wanted):
                query = select(User.id, User.language_code).where(
                    col(User.id).in_(batch),
                    col(User.language_code).is_not(None),
                )
                found.update((user_id, code) for user_id, code in (await session.execute(query)))
        return found


def _upsert(session: AsyncSession, model: type[SQLModel], example: dict[str, Any]) -> Executable:
    """One statement for the whole batch, compiled once: a statement per contact, each built
    and compiled on the event loop, stalled commands for ~5 ms twice a second while new users
    arrived (bench/bench_load.py)."""
    statement = upsert(session, model)
    # first_seen stays as it was; everything else follows the latest contact.
    kept = {"id", "first_seen"}
    return statement.on_conflict_do_update(
        index_elements=["id"],
        set_={k: statement.excluded[k] for k in example if k not in kept},
    )
