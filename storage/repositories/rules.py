"""Watch rules per chat, with the matcher's state (armed, last fired, muted) persisted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Executable, bindparam, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import Chat, RuleChange, WatchRuleRow
from storage.statements import count_rows, execute_count, not_null, rows_where_in, table_of


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
    revision: int  # of the rule the state is of: a rule changed since keeps its own


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
            count = await count_rows(session, WatchRuleRow, col(WatchRuleRow.chat_id) == chat_id)
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
            await session.flush()
            assert row.id is not None
            _log(session, [row.id], now)
            await session.commit()
            await session.refresh(row)
            return row

    async def for_chat(self, chat_id: int) -> list[WatchRuleRow]:
        async with self._sessions() as session:
            query = select(WatchRuleRow).where(col(WatchRuleRow.chat_id) == chat_id)
            return list((await session.execute(query.order_by(col(WatchRuleRow.id)))).scalars())

    async def get(self, rule_id: int) -> WatchRuleRow | None:
        async with self._sessions() as session:
            return await session.get(WatchRuleRow, rule_id)

    async def active(self) -> list[WatchRuleRow]:
        async with self._sessions() as session:
            query = select(WatchRuleRow).where(col(WatchRuleRow.paused).is_(False))
            return list((await session.execute(query.order_by(col(WatchRuleRow.id)))).scalars())

    async def delete(self, chat_id: int, rule_id: int | None = None) -> list[int]:
        """Deletes one rule of the chat (or all of them); returns the ids removed."""
        async with self._sessions() as session:
            query = delete(WatchRuleRow).where(col(WatchRuleRow.chat_id) == chat_id)
            if rule_id is not None:
                query = query.where(col(WatchRuleRow.id) == rule_id)
            result = await session.execute(query.returning(not_null(WatchRuleRow.id)))
            removed = [row[0] for row in result.fetchall()]
            _log(session, removed)
            await session.commit()
            return removed

    async def rewrite(self, chat_id: int, rule_id: int, text: str) -> bool:
        """A new threshold: the rule starts armed again, as if just added, in a new revision
        unless its text stays the same (retyped, its alerts still hold)."""
        revision = col(WatchRuleRow.revision)
        return await self._update(
            chat_id,
            rule_id,
            text=text,
            armed=True,
            last_fired=None,
            revision=case((col(WatchRuleRow.text) != text, revision + 1), else_=revision),
        )

    async def mute(self, chat_id: int, rule_id: int, until: datetime | None) -> bool:
        return await self._update(chat_id, rule_id, muted_until=until)

    async def set_cooldown(self, chat_id: int, cooldown_s: int) -> list[int]:
        return await self._update_chat(chat_id, cooldown_s=cooldown_s)

    async def save_states(self, states: Iterable[RuleStateRow]) -> None:
        # One statement run for every row (executemany): a cold start's first tick fires and
        # persists hundreds of thousands of rules, and a statement each took 8 s per 20,000 on
        # PostgreSQL, the tick waiting minutes before the next could begin.
        rows = [
            {
                "state_rule": state.rule_id,
                "state_revision": state.revision,
                "state_armed": state.armed,
                "state_fired": state.last_fired,
                "state_muted": state.muted_until,
            }
            for state in states
        ]
        if not rows:
            return
        table = table_of(WatchRuleRow)
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("state_rule"),
                table.c.revision == bindparam("state_revision"),
            )
            .values(
                armed=bindparam("state_armed"),
                last_fired=bindparam("state_fired"),
                muted_until=bindparam("state_muted"),
            )
        )
        async with self._sessions() as session:
            await session.execute(statement, rows)
            await session.commit()

    async def pause_chat(self, chat_id: int, paused: bool) -> list[int]:
        """The bot left or was blocked (paused) or came back: the chat's rules follow."""
        return await self._update_chat(
            chat_id,
            paused=paused,
            also=update(Chat).where(col(Chat.id) == chat_id).values(active=not paused),
        )

    async def rewrite_chat(self, old_chat_id: int, new_chat_id: int) -> list[int]:
        """A group became a supergroup: its rules now live under the new id."""
        return await self._update_chat(old_chat_id, chat_id=new_chat_id)

    async def _update(self, chat_id: int, rule_id: int, **values: object) -> bool:
        async with self._sessions() as session:
            count = await execute_count(
                session,
                update(WatchRuleRow)
                .where(col(WatchRuleRow.chat_id) == chat_id, col(WatchRuleRow.id) == rule_id)
                .values(**values),
            )
            if count:
                _log(session, [rule_id])
            await session.commit()
            return bool(count)

    async def _update_chat(
        self, of_chat: int, *, also: Executable | None = None, **values: object
    ) -> list[int]:
        """Updates every rule of the chat; returns their ids."""
        async with self._sessions() as session:
            result = await session.execute(
                update(WatchRuleRow)
                .where(col(WatchRuleRow.chat_id) == of_chat)
                .values(**values)
                .returning(not_null(WatchRuleRow.id))
            )
            ids = [row[0] for row in result.fetchall()]
            if also is not None:
                await session.execute(also)
            _log(session, ids)
            await session.commit()
            return ids

    # -- the change log other replicas follow ------------------------------------------------

    async def last_change(self) -> int:
        async with self._sessions() as session:
            return (await session.execute(select(func.max(col(RuleChange.id))))).scalar_one() or 0

    async def changes_since(self, cursor: int, limit: int = 10_000) -> tuple[int, set[int]]:
        """(new cursor, ids of rules changed after `cursor`)."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(not_null(RuleChange.id), col(RuleChange.rule_id))
                    .where(col(RuleChange.id) > cursor)
                    .order_by(col(RuleChange.id))
                    .limit(limit)
                )
            ).all()
        if not rows:
            return cursor, set()
        return rows[-1][0], {rule_id for _, rule_id in rows}

    async def by_ids(self, ids: Iterable[int]) -> list[WatchRuleRow]:
        async with self._sessions() as session:
            return await rows_where_in(session, WatchRuleRow, WatchRuleRow.id, ids)

    async def prune_changes(self, before: datetime) -> int:
        async with self._sessions() as session:
            count = await execute_count(
                session, delete(RuleChange).where(col(RuleChange.changed_at) < before)
            )
            await session.commit()
            return count


def _log(session: AsyncSession, rule_ids: Iterable[int], now: datetime | None = None) -> None:
    at = now or datetime.now(UTC)
    session.add_all(RuleChange(rule_id=rule_id, changed_at=at) for rule_id in rule_ids)
