from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.market.klines import KlineMinute
from storage.db import make_session_factory
from storage.repositories.snapshots import LiquidationFlow, SnapshotRepository

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Snap:
    venue: str
    ts: datetime
    oi_contracts: Decimal
    mark: Decimal = Decimal("50000")
    symbol: str = "BTCUSDT"
    asset: str = "BTC"
    inverse: bool = False
    index: Decimal | None = Decimal("49990")
    last: Decimal | None = None
    oi_coin: Decimal = Decimal("100")
    oi_usd: Decimal = Decimal("5000000")
    funding_rate: Decimal | None = Decimal("0.0001")
    funding_interval_hours: int | None = 8
    next_funding_time: datetime | None = None
    volume_24h_coin: Decimal | None = None
    volume_24h_usd: Decimal | None = None


async def test_latest_is_the_newest_row_per_venue_and_replays_are_ignored(
    engine: AsyncEngine,
) -> None:
    repo = SnapshotRepository(make_session_factory(engine))
    await repo.save([Snap("binance", T0, Decimal(1)), Snap("bybit", T0, Decimal(2))])
    await repo.save([Snap("binance", T0 + timedelta(minutes=1), Decimal(3))])
    await repo.save([Snap("binance", T0, Decimal(99))])  # same venue time again: ignored

    latest = {row.venue: row for row in await repo.latest("BTC")}
    assert {v: r.oi_contracts for v, r in latest.items()} == {"binance": 3.0, "bybit": 2.0}
    assert latest["binance"].ts == T0 + timedelta(minutes=1)
    assert latest["binance"].funding_rate == 0.0001
    assert [r.oi_contracts for r in await repo.series("BTC", T0, venue="binance")] == [1.0, 3.0]
    assert await repo.assets() == ["BTC"]
    assert await repo.latest("BTC", since=T0 + timedelta(minutes=5)) == []


async def test_liquidation_minutes_accumulate(engine: AsyncEngine) -> None:
    repo = SnapshotRepository(make_session_factory(engine))
    await repo.add_liquidations([LiquidationFlow("binance", "BTC", T0, 1000.0, 0.0, 1)])
    await repo.add_liquidations([LiquidationFlow("binance", "BTC", T0, 500.0, 250.0, 2)])
    [flow] = await repo.liquidations("BTC", T0)
    assert (flow.long_usd, flow.short_usd, flow.events) == (1500.0, 250.0, 3)


async def test_prune_drops_old_rows_only(engine: AsyncEngine) -> None:
    repo = SnapshotRepository(make_session_factory(engine))
    await repo.save(
        [Snap("binance", T0 - timedelta(days=40), Decimal(1)), Snap("binance", T0, Decimal(2))]
    )
    assert await repo.prune(T0 - timedelta(days=30)) == 1
    assert [r.oi_contracts for r in await repo.series("BTC", T0 - timedelta(days=60))] == [2.0]


async def test_downsample_keeps_one_snapshot_per_hour_in_the_span(engine: AsyncEngine) -> None:
    repo = SnapshotRepository(make_session_factory(engine))
    old = T0 - timedelta(days=8)
    await repo.save(
        [Snap("binance", old + timedelta(minutes=5 * i), Decimal(i)) for i in range(36)]
    )
    await repo.save([Snap("binance", T0, Decimal(99))])  # recent: untouched
    removed = await repo.downsample(T0 - timedelta(days=7), timedelta(days=2), timedelta(hours=1))
    kept = [r.oi_contracts for r in await repo.series("BTC", old - timedelta(hours=1))]
    assert removed == 33  # 36 five-minute rows over 3 hours -> 3 rows
    assert kept == [0.0, 12.0, 24.0, 99.0]


async def test_kline_minutes_keep_the_newest_frame_and_prune(engine: AsyncEngine) -> None:
    repo = SnapshotRepository(make_session_factory(engine))
    first = KlineMinute("binance", "BTC", T0, 60000.0, 60010.0, 59990.0, 60000.0, 5.0, 2.0)
    await repo.add_klines([first, replace(first, minute=T0 - timedelta(days=3))])
    # The same minute, later in it: a lower low and more volume, mostly sold.
    await repo.add_klines([replace(first, low=58200.0, close=58300.0, volume=80.0, taker_buy=9.0)])
    [row] = await repo.klines("BTC", T0 - timedelta(minutes=1))
    assert (row.low, row.close, row.volume, row.taker_buy) == (58200.0, 58300.0, 80.0, 9.0)
    assert await repo.prune_klines(T0 - timedelta(days=2)) == 1
    assert len(await repo.klines("BTC", T0 - timedelta(days=4))) == 1
