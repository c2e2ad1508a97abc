"""Watch rules per chat, with the matcher's state (armed, last fired, muted) persisted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from storage.db import SessionFactory
from storage.models import Chat, WatchRuleRow


class RuleCapReached(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"this chat already has {cap} rules")
        self.cap = cap


@dataclass(frozen=True, slots=True)
class RuleStateRow:
    rule_id: int
    armed: bool
    last_fired: datetime | None
    muted_until: datetime | None


class RuleRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def add(
        self,
        chat_id: int,
        created_by: int,
        text: str,
        now: datetime,
        *,
        cap: int,
        cooldown_s: int = 1800,
    ) -> WatchRuleRow:
        async with self._sessions() as session:
            count = (
                await session.execute(
                    select(func.count())
                    .select_from(WatchRuleRow)
                    .where(WatchRuleRow.chat_id == chat_id)
                )
            ).scalar_one()
            if count >= cap:
                raise RuleCapReached(cap)
            row = WatchRuleRow(
                chat_id=chat_id,
                created_by=created_by,
                text=text,
                created_at=now,
                cooldown_s=cooldown_s,
            )
            session.add(row)
            await session.commit()
            await session.refresh(row)
            return row

    async def for_chat(self, chat_id: int) -> list[WatchRuleRow]:
        async with self._sessions() as session:
            query = select(WatchRuleRow).where(WatchRuleRow.chat_id == chat_id)
            return list((await session.execute(query.order_by(WatchRuleRow.id))).scalars())

    async def get(self, rule_id: int) -> WatchRuleRow | None:
        async with self._sessions() as session:
            return await session.get(WatchRuleRow, rule_id)

    async def active(self) -> list[WatchRuleRow]:
        async with self._sessions() as session:
            query = select(WatchRuleRow).where(WatchRuleRow.paused.is_(False))
            return list((await session.execute(query.order_by(WatchRuleRow.id))).scalars())

    async def delete(self, chat_id: int, rule_id: int | None = None) -> list[int]:
        """Deletes one rule of the chat (or all of them); returns the ids removed."""
        async with self._sessions() as session:
            query = delete(WatchRuleRow).where(WatchRuleRow.chat_id == chat_id)
            if rule_id is not None:
                query = query.where(WatchRuleRow.id == rule_id)
            result = await session.execute(query.returning(WatchRuleRow.id))
            removed = [row[0] for row in result.fetchall()]
            await session.commit()
            return removed

    async def mute(self, chat_id: int, rule_id: int, until: datetime | None) -> bool:
        return await self._update(chat_id, rule_id, muted_until=until)

    async def set_cooldown(self, chat_id: int, cooldown_s: int) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(WatchRuleRow)
                .where(WatchRuleRow.chat_id == chat_id)
                .values(cooldown_s=cooldown_s)
            )
            await session.commit()

    async def save_states(self, states: Iterable[RuleStateRow]) -> None:
        async with self._sessions() as session:
            for state in states:
                await session.execute(
                    update(WatchRuleRow)
                    .where(WatchRuleRow.id == state.rule_id)
                    .values(
                        armed=state.armed,
                        last_fired=state.last_fired,
                        muted_until=state.muted_until,
                    )
                )
            await session.commit()

    async def pause_chat(self, chat_id: int, paused: bool) -> list[int]:
        """The bot left or was blocked (paused) or came back: the chat's rules follow."""
        async with self._sessions() as session:
            result = await session.execute(
                update(WatchRuleRow)
                .where(WatchRuleRow.chat_id == chat_id)
                .values(paused=paused)
                .returning(WatchRuleRow.id)
            )
            ids = [row[0] for row in result.fetchall()]
            await session.execute(update(Chat).where(Chat.id == chat_id).values(active=not paused))
            await session.commit()
            return ids

    async def rewrite_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its rules now live under the new id."""
        async with self._sessions() as session:
            await session.execute(
                update(WatchRuleRow)
                .where(WatchRuleRow.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
            await session.commit()

    async def _update(self, chat_id: int, rule_id: int, **values: object) -> bool:
        async with self._sessions() as session:
            result = await session.execute(
                update(WatchRuleRow)
                .where(WatchRuleRow.chat_id == chat_id, WatchRuleRow.id == rule_id)
                .values(**values)
            )
            await session.commit()
            return bool(result.rowcount)
