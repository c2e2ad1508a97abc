"""The engine's aggregate series from stored snapshots: venues joining or leaving are not OI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts.observations import AssetData, signal_series
from bot.signals.engine import evaluate
from bot.signals.kinds import Stage
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


@dataclass
class Liq:
    minute: datetime
    long_usd: float
    short_usd: float
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


def test_a_crash_in_a_bars_last_minute_polled_before_the_fall_rings_at_the_next_poll() -> None:
    # Four calm hours polled at :52 of each minute (60,000 +-30, 60 coins a minute, half bought,
    # $5k of each side liquidated); 12:04 is the crash minute: 60,000 down to 58,100, closing
    # 58,200 on 900 coins (150 bought) and $23.3M of longs, 0.11 % of the $21B of OI. Its poll
    # at 12:04:52 still saw 60,000; the next, at 12:05:07, 58,230; then nothing more.
    start = T0 - timedelta(hours=4)
    history, klines, flows = [], [], []
    for m in range(4 * 60 + 5):
        minute = start + timedelta(minutes=m)
        close = 60000.0 + 30 * ((3 * m) % 7 - 3) if m < 4 * 60 + 4 else 58200.0
        calm = close > 59000
        history.append(
            P("binance", minute + timedelta(seconds=52), close if calm else 60000.0, 350000.0)
        )
        if calm:
            klines.append(K(minute, close + 10, close - 10, close, 60.0, 30.0))
            flows.append(Liq(minute, 5e3, 5e3))
        else:
            klines.append(K(minute, 60000.0, 58100.0, close, 900.0, 150.0))
            flows.append(Liq(minute, 23.3e6, 0.0))
    now = T0 + timedelta(minutes=5, seconds=7)
    history.append(P("binance", now, 58230.0, 350000.0))
    series = signal_series(AssetData("BTC", [], history, flows, klines), now)
    [warning] = [w for w in evaluate("BTC", series, now=now).warnings if w.stage is Stage.EARLY]
    assert warning.summary == (
        "BTC likely long squeeze starting: price -3.1% in 10 min on 4x volume, OI 0.0%, longs "
        "liquidated $23.3M; longs are being forced out"
    )
    crash = series[-2]
    assert (crash.ts, crash.close) == (T0 + BAR, 60000.0)  # its poll was before the fall
    # Its range (60,100 at 12:00, then the crash) is the klines' on the price polled right after
    # their close, x 58,230 / 58,200. On the poll before the fall it was 61,959 to 59,931: a
    # rise as large as the fall, so no run of the fall stood.
    assert (crash.high, crash.low) == pytest.approx((60100 * 58230 / 58200, 58130.0))
