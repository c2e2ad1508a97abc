"""The engine's aggregate series from stored snapshots: venues joining or leaving are not OI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.alerts.observations import AssetData, signal_series
from bot.signals.series import BAR
from tests.unit.test_market_overview import P

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


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
