"""Guarded positions per user, with the guard's state. A close keeps the row (inactive) and
every user change bumps `version` and `updated_at`, so the leader picks changes up each tick."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlmodel import col

from bot.positions.model import GuardedPosition, GuardState, PositionClaim
from bot.risk.models import MarginMode
from bot.risk.side import Side
from storage.db import SessionFactory
from storage.models import PositionRow
from storage.statements import count_rows, execute_count, not_null, rows_where_in


class PositionCapReached(Exception):
    def __init__(self, cap: int) -> None:
        super().__init__(f"you already guard {cap} positions")
        self.cap = cap


def _levels_text(levels: Iterable[Decimal]) -> str:
    return ",".join(format(level.normalize(), "f") for level in levels)


def to_guarded(row: PositionRow) -> GuardedPosition:
    assert row.id is not None
    claim = PositionClaim(
        asset=row.asset,
        side=Side(row.side),
        entry=row.entry,
        leverage=row.leverage,
        size=row.size,
        venue=row.venue,
        margin_mode=MarginMode(row.margin_mode),
        cross_balance=row.cross_balance,
        levels=tuple(Decimal(word) for word in row.levels.split(",")),
        funding_level=row.funding_level,
        settlement_cost=row.settlement_cost,
    )
    state = GuardState(
        levels_sent=row.levels_sent,
        funding_sent=row.funding_sent,
        funding_paid=row.funding_paid,
        funding_seen=row.funding_seen,
        liq_told=row.liq_told,
        snoozed_until=row.snoozed_until,
    )
    return GuardedPosition(
        row.id, row.user_id, row.chat_id, claim, row.created_at, row.version, state
    )


def _claim_values(claim: PositionClaim) -> dict[str, object]:
    return {
        "asset": claim.asset,
        "side": claim.side.value,
        "entry": claim.entry,
        "leverage": claim.leverage,
        "size": claim.size,
        "venue": claim.venue,
        "margin_mode": claim.margin_mode.value,
        "cross_balance": claim.cross_balance,
        "levels": _levels_text(claim.levels),
        "funding_level": claim.funding_level,
        "settlement_cost": claim.settlement_cost,
    }


class PositionRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def add(
        self,
        user_id: int,
        chat_id: int,
        claim: PositionClaim,
        state: GuardState,
        now: datetime,
        *,
        cap: int,
    ) -> GuardedPosition:
        async with self._sessions() as session:
            count = await count_rows(
                session,
                PositionRow,
                col(PositionRow.user_id) == user_id,
                col(PositionRow.active).is_(True),
            )
            if count >= cap:
                raise PositionCapReached(cap)
            row = PositionRow(
                user_id=user_id,
                chat_id=chat_id,
                created_at=now,
                updated_at=now,
                levels_sent=state.levels_sent,
                funding_sent=state.funding_sent,
                funding_paid=state.funding_paid,
                liq_told=state.liq_told,
                **_claim_values(claim),  # type: ignore[arg-type]
            )
            session.add(row)
            await session.commit()
            await session.refresh(row)
            return to_guarded(row)

    async def for_user(self, user_id: int) -> list[GuardedPosition]:
        async with self._sessions() as session:
            query = select(PositionRow).where(
                col(PositionRow.user_id) == user_id, col(PositionRow.active).is_(True)
            )
            rows = (await session.execute(query.order_by(col(PositionRow.id)))).scalars()
            return [to_guarded(row) for row in rows]

    async def get(self, user_id: int, position_id: int) -> GuardedPosition | None:
        async with self._sessions() as session:
            row = await session.get(PositionRow, position_id)
        if row is None or row.user_id != user_id or not row.active:
            return None
        return to_guarded(row)

    async def active(self) -> list[GuardedPosition]:
        async with self._sessions() as session:
            query = select(PositionRow).where(col(PositionRow.active).is_(True))
            rows = (await session.execute(query.order_by(col(PositionRow.id)))).scalars()
            return [to_guarded(row) for row in rows]

    async def changed_since(self, since: datetime) -> list[tuple[int, bool, int]]:
        """(id, active, version) of rows a user changed at or after `since`."""
        async with self._sessions() as session:
            query = select(
                not_null(PositionRow.id), col(PositionRow.active), col(PositionRow.version)
            ).where(col(PositionRow.updated_at) >= since)
            return [(int(i), bool(a), int(v)) for i, a, v in (await session.execute(query)).all()]

    async def by_ids(self, ids: Iterable[int]) -> list[GuardedPosition]:
        async with self._sessions() as session:
            rows = await rows_where_in(session, PositionRow, PositionRow.id, ids)
            return [to_guarded(row) for row in rows]

    async def close(self, user_id: int, position_id: int | None, now: datetime) -> int:
        """Stops guarding one of the user's positions (or all); returns how many."""
        return await self._change(user_id, position_id, now, active=False)

    async def edit(
        self,
        user_id: int,
        position_id: int,
        claim: PositionClaim,
        state: GuardState,
        now: datetime,
    ) -> bool:
        """A changed claim starts a new episode: levels already crossed count as sent."""
        values = _claim_values(claim)
        return bool(
            await self._change(
                user_id,
                position_id,
                now,
                levels_sent=state.levels_sent,
                funding_sent=state.funding_sent,
                liq_told=state.liq_told,
                **values,
            )
        )

    async def snooze(
        self, user_id: int, position_id: int, until: datetime | None, now: datetime
    ) -> bool:
        return bool(await self._change(user_id, position_id, now, snoozed_until=until))

    async def _change(
        self, user_id: int, position_id: int | None, now: datetime, **values: object
    ) -> int:
        """A user's change to their active position (None: all of them), seen by the leader."""
        query = update(PositionRow).where(
            col(PositionRow.user_id) == user_id, col(PositionRow.active).is_(True)
        )
        if position_id is not None:
            query = query.where(col(PositionRow.id) == position_id)
        async with self._sessions() as session:
            count = await execute_count(
                session,
                query.values(version=col(PositionRow.version) + 1, updated_at=now, **values),
            )
            await session.commit()
            return count

    async def save_states(self, positions: Iterable[GuardedPosition]) -> None:
        """The guard's state after a tick; not a user change, so `version` stays."""
        async with self._sessions() as session:
            for p in positions:
                s = p.state
                await session.execute(
                    update(PositionRow)
                    .where(col(PositionRow.id) == p.id)
                    .values(
                        levels_sent=s.levels_sent,
                        funding_sent=s.funding_sent,
                        funding_paid=s.funding_paid,
                        funding_seen=s.funding_seen,
                        liq_told=s.liq_told,
                    )
                )
            await session.commit()
