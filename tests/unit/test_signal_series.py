"""The engine's aggregate series from stored snapshots: venues joining or leaving are not OI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.observations import AssetData, signal_series
from bot.signals.series import BAR
from tests.unit.test_market_overview import P

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class K:
    minute: datetime
    high: float
    low: float
    close: float
    volume: float
    taker_buy: float
    venue: str = "binance"


def test_a_venue_joining_is_chained_not_added() -> None:
    # Binance has history (backfilled) from 12:00 and grows 1 % per bar; Hyperliquid only
    # appears at 12:10 with 50 coin. Before it joined the total moves as Binance does (1 %),
    # after it as both do; the chain ends at today's true total, 103.0301 + 50.
    history = [P("binance", T0 + BAR * i, 100.0, 100 * 1.01**i) for i in range(4)] + [
        P("hyperliquid", T0 + BAR * i, 100.0, 50.0) for i in (2, 3)
    ]
    series = signal_series(AssetData("BTC", [], history, []))
    assert [p.ts for p in series] == [T0 + BAR * (i + 1) for i in range(4)]
    both = 102.01 + 50  # 12:10, the first bar with both venues
    assert [p.oi for p in series] == pytest.approx([both / 1.01**2, both / 1.01, both, 153.0301])
    assert series[-1].oi_usd == pytest.approx(153.0301 * 100)
    assert all(p.liq_long_usd is None for p in series)  # no stream: unknown, not zero


def test_a_venue_dropping_out_is_not_oi_vanishing() -> None:
    history = [P("binance", T0 + BAR * i, 100.0, 100.0) for i in range(3)] + [
        P("okx", T0 + BAR * i, 100.0, 40.0) for i in (0, 1)
    ]
    series = signal_series(AssetData("BTC", [], history, []))
    assert [p.oi for p in series] == pytest.approx([100.0, 100.0, 100.0])


def test_live_points_carry_range_volume_taker_flow_and_basis_like_replayed_ones() -> None:
    # Two polls a bar at 60,000 then a crash bar: mark 58,200 (index 58,300) at 12:07; the
    # klines saw a low of 58,100 on a last price of 58,150, 95 coins traded, 15 bought.
    history = [
        P("binance", T0 + timedelta(minutes=1), 60000.0, 100.0, index_price=60000.0),
        P("binance", T0 + timedelta(minutes=7), 58200.0, 99.0, index_price=58300.0),
    ]
    klines = [
        K(T0 + timedelta(minutes=1), 60010.0, 59990.0, 60000.0, 10.0, 5.0),
        K(T0 + timedelta(minutes=5), 60000.0, 59000.0, 59000.0, 40.0, 10.0),
        K(T0 + timedelta(minutes=6), 59000.0, 58100.0, 58150.0, 55.0, 5.0),
    ]
    data = AssetData("BTC", [], history, [], klines)
    now = T0 + timedelta(minutes=7)
    calm, crash = signal_series(data, now)
    assert (calm.high, calm.low, calm.volume, calm.taker_buy_volume) == pytest.approx(
        (60000 * 60010 / 60000, 59990.0, 10.0, 5.0)
    )
    assert calm.basis_pct == 0.0
    assert crash.ts == T0 + BAR * 2 and crash.close == 58200.0
    assert crash.high == pytest.approx(58200 * 60000 / 58150)  # the range, on the bar's price
    assert crash.low == pytest.approx(58200 * 58100 / 58150)
    # The bar is open (ends 12:10) and two of its minutes were seen: stated at that pace.
    assert (crash.volume, crash.taker_buy_volume) == pytest.approx((95 * 2.5, 15 * 2.5))
    assert crash.basis_pct == pytest.approx((58200 / 58300 - 1) * 100)
    assert signal_series(data)[-1].volume == 95.0  # charts: what was traded, no pace
    assert signal_series(AssetData("BTC", [], history, []))[-1].volume is None  # unknown, not 0
