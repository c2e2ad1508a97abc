"""Market history: every tick's snapshots and the per-minute liquidation flow.

Venues keep little history (Binance OI 30 days, Hyperliquid none), so this table is the bot's
own memory from the first tick on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, SupportsFloat

from sqlalchemy import delete, func, select
from sqlmodel import col

from storage.db import SessionFactory
from storage.models import KlineMinuteRow, LiquidationMinute, MarketSnapshot
from storage.statements import batches, execute_count, table_of, upsert


class SnapshotLike(Protocol):
    """The fields storage needs from bot.market.models.Snapshot (kept structural on purpose;
    read-only, as the frozen snapshot's are)."""

    @property
    def venue(self) -> object: ...

    @property
    def symbol(self) -> str: ...

    @property
    def asset(self) -> str: ...

    @property
    def inverse(self) -> bool: ...

    @property
    def ts(self) -> datetime: ...

    @property
    def mark(self) -> SupportsFloat: ...

    @property
    def index(self) -> SupportsFloat | None: ...

    @property
    def last(self) -> SupportsFloat | None: ...

    @property
    def oi_contracts(self) -> SupportsFloat: ...

    @property
    def oi_coin(self) -> SupportsFloat: ...

    @property
    def oi_usd(self) -> SupportsFloat: ...

    @property
    def funding_rate(self) -> SupportsFloat | None: ...

    @property
    def funding_interval_hours(self) -> int | None: ...

    @property
    def next_funding_time(self) -> datetime | None: ...

    @property
    def volume_24h_coin(self) -> SupportsFloat | None: ...

    @property
    def volume_24h_usd(self) -> SupportsFloat | None: ...


@dataclass(frozen=True, slots=True)
class LiquidationFlow:
    venue: str
    asset: str
    minute: datetime
    long_usd: float
    short_usd: float
    events: int


class KlineLike(Protocol):
    """The fields storage needs from bot.market.klines.KlineMinute (read-only)."""

    @property
    def venue(self) -> str: ...

    @property
    def asset(self) -> str: ...

    @property
    def minute(self) -> datetime: ...

    @property
    def open(self) -> float: ...

    @property
    def high(self) -> float: ...

    @property
    def low(self) -> float: ...

    @property
    def close(self) -> float: ...

    @property
    def volume(self) -> float: ...

    @property
    def taker_buy(self) -> float: ...


KLINE_FIELDS = ("open", "high", "low", "close", "volume", "taker_buy")


def _f(value: SupportsFloat | None) -> float | None:
    return None if value is None else float(value)


def snapshot_row(snap: SnapshotLike) -> dict[str, Any]:
    return {
        "ts": snap.ts,
        "venue": str(snap.venue),
        "symbol": snap.symbol,
        "asset": snap.asset,
        "inverse": snap.inverse,
        "mark": float(snap.mark),
        "index_price": _f(snap.index),
        "last": _f(snap.last),
        "oi_contracts": float(snap.oi_contracts),
        "oi_coin": float(snap.oi_coin),
        "oi_usd": float(snap.oi_usd),
        "funding_rate": _f(snap.funding_rate),
        "funding_interval_hours": snap.funding_interval_hours,
        "next_funding_time": snap.next_funding_time,
        "volume_24h_coin": _f(snap.volume_24h_coin),
        "volume_24h_usd": _f(snap.volume_24h_usd),
    }


class SnapshotRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def save(self, snapshots: Iterable[SnapshotLike]) -> int:
        rows = [snapshot_row(s) for s in snapshots]
        if not rows:
            return 0
        async with self._sessions() as session:
            # A replayed tick (same venue time) is not an error: the first copy wins.
            statement = upsert(session, MarketSnapshot).on_conflict_do_nothing(
                index_elements=["venue", "symbol", "ts"]
            )
            for batch in batches(rows):
                await session.execute(statement, batch)
            await session.commit()
        return len(rows)

    async def latest(self, asset: str, *, since: datetime | None = None) -> list[MarketSnapshot]:
        """The newest snapshot of each venue instrument of `asset`."""
        newest = (
            select(
                col(MarketSnapshot.venue),
                col(MarketSnapshot.symbol),
                func.max(col(MarketSnapshot.ts)).label("ts"),
            )
            .where(col(MarketSnapshot.asset) == asset)
            .group_by(col(MarketSnapshot.venue), col(MarketSnapshot.symbol))
        )
        if since is not None:
            newest = newest.where(col(MarketSnapshot.ts) >= since)
        sub = newest.subquery()
        query = select(MarketSnapshot).join(
            sub,
            (col(MarketSnapshot.venue) == sub.c.venue)
            & (col(MarketSnapshot.symbol) == sub.c.symbol)
            & (col(MarketSnapshot.ts) == sub.c.ts),
        )
        async with self._sessions() as session:
            return list(
                (await session.execute(query.order_by(col(MarketSnapshot.venue)))).scalars()
            )

    async def series(
        self,
        asset: str,
        since: datetime,
        *,
        until: datetime | None = None,
        venue: str | None = None,
    ) -> list[MarketSnapshot]:
        query = select(MarketSnapshot).where(
            col(MarketSnapshot.asset) == asset, col(MarketSnapshot.ts) >= since
        )
        if until is not None:
            query = query.where(col(MarketSnapshot.ts) <= until)
        if venue is not None:
            query = query.where(col(MarketSnapshot.venue) == venue)
        async with self._sessions() as session:
            rows = await session.execute(query.order_by(col(MarketSnapshot.ts)))
            return list(rows.scalars())

    async def venue_latest(self, since: datetime) -> dict[str, datetime]:
        """Newest snapshot time per venue, among rows since `since` (health checks)."""
        query = (
            select(col(MarketSnapshot.venue), func.max(col(MarketSnapshot.ts)))
            .where(col(MarketSnapshot.ts) >= since)
            .group_by(col(MarketSnapshot.venue))
        )
        async with self._sessions() as session:
            return {venue: ts for venue, ts in (await session.execute(query)).all()}

    async def assets(self) -> list[str]:
        async with self._sessions() as session:
            rows = await session.execute(select(col(MarketSnapshot.asset)).distinct())
            return sorted(rows.scalars())

    async def prune(self, before: datetime) -> int:
        async with self._sessions() as session:
            count = await execute_count(
                session, delete(MarketSnapshot).where(col(MarketSnapshot.ts) < before)
            )
            await session.commit()
            return count

    async def downsample(self, before: datetime, span: timedelta, bucket: timedelta) -> int:
        """Keep the first snapshot of each venue instrument per `bucket` for rows in
        [before - span, before); delete the rest. Run regularly, it walks old data once."""
        query = select(
            col(MarketSnapshot.id),
            col(MarketSnapshot.venue),
            col(MarketSnapshot.symbol),
            col(MarketSnapshot.ts),
        ).where(col(MarketSnapshot.ts) >= before - span, col(MarketSnapshot.ts) < before)
        seconds = bucket.total_seconds()
        async with self._sessions() as session:
            rows = (await session.execute(query.order_by(col(MarketSnapshot.ts)))).all()
            kept: set[tuple[str, str, int]] = set()
            doomed = []
            for row_id, venue, symbol, ts in rows:
                key = (venue, symbol, int(ts.timestamp() // seconds))
                if key in kept:
                    doomed.append(row_id)
                else:
                    kept.add(key)
            for batch in batches(doomed):
                await session.execute(
                    delete(MarketSnapshot).where(col(MarketSnapshot.id).in_(batch))
                )
            await session.commit()
        return len(doomed)

    async def add_liquidations(self, flows: Sequence[LiquidationFlow]) -> None:
        """Adds to the minute's totals: a minute can arrive in several flushes."""
        if not flows:
            return
        async with self._sessions() as session:
            table = table_of(LiquidationMinute)
            for flow in flows:
                statement = upsert(session, LiquidationMinute).values(
                    venue=flow.venue,
                    asset=flow.asset,
                    minute=flow.minute,
                    long_usd=flow.long_usd,
                    short_usd=flow.short_usd,
                    events=flow.events,
                )
                await session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["venue", "asset", "minute"],
                        set_={
                            "long_usd": table.c.long_usd + statement.excluded.long_usd,
                            "short_usd": table.c.short_usd + statement.excluded.short_usd,
                            "events": table.c.events + statement.excluded.events,
                        },
                    )
                )
            await session.commit()

    async def liquidations(self, asset: str, since: datetime) -> list[LiquidationFlow]:
        query = select(LiquidationMinute).where(
            col(LiquidationMinute.asset) == asset, col(LiquidationMinute.minute) >= since
        )
        async with self._sessions() as session:
            rows = (await session.execute(query.order_by(col(LiquidationMinute.minute)))).scalars()
            return [
                LiquidationFlow(r.venue, r.asset, r.minute, r.long_usd, r.short_usd, r.events)
                for r in rows
            ]

    async def add_klines(self, klines: Sequence[KlineLike]) -> None:
        """The newest state of each minute wins: a kline frame carries the minute so far."""
        if not klines:
            return
        rows = [
            {"venue": k.venue, "asset": k.asset, "minute": k.minute}
            | {name: getattr(k, name) for name in KLINE_FIELDS}
            for k in klines
        ]
        async with self._sessions() as session:
            statement = upsert(session, KlineMinuteRow)
            statement = statement.on_conflict_do_update(
                index_elements=["venue", "asset", "minute"],
                set_={name: statement.excluded[name] for name in KLINE_FIELDS},
            )
            for batch in batches(rows):
                await session.execute(statement, batch)
            await session.commit()

    async def klines(self, asset: str, since: datetime) -> list[KlineMinuteRow]:
        query = select(KlineMinuteRow).where(
            col(KlineMinuteRow.asset) == asset, col(KlineMinuteRow.minute) >= since
        )
        async with self._sessions() as session:
            return list(
                (await session.execute(query.order_by(col(KlineMinuteRow.minute)))).scalars()
            )

    async def prune_klines(self, before: datetime) -> int:
        async with self._sessions() as session:
            count = await execute_count(
                session, delete(KlineMinuteRow).where(col(KlineMinuteRow.minute) < before)
            )
            await session.commit()
            return count
