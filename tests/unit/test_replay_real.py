"""The engine on real Binance history: fires during the real cascades, quiet on the calm day.

Onsets (first 5m bar of the move, from tests/data/real/README-analysis.md):
- 2025-10-10: the 20:50 bar (last calm close 116,830 at 20:45), state known 20:55.
- 2024-08-05: the sharp leg starts with the 00:55 bar (OI -6 % in 15 min), known 01:00.
- 2025-11-21: the flush bar 07:30 (OI -3.1 % in 5 min), known 07:35.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.signals.engine import evaluate
from bot.signals.replay import load_binance_metrics, replay
from tests.fakes.exchange import TEST_DATA

REAL = TEST_DATA / "real"
FUNDING = REAL / "ipf_binance_um_BTCUSDT_funding_8h_windows.csv"


def window(name: str) -> list[Path]:
    return [*sorted(REAL.glob(f"ipf_binance_um_BTCUSDT_*_{name}.csv")), FUNDING]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def minutes(a: datetime, b: datetime) -> float:
    return (a - b).total_seconds() / 60


def test_2025_10_10_cascade_long_squeeze_within_35_minutes_of_onset() -> None:
    warnings = replay(load_binance_metrics(window("2025-10-10_cascade")))
    squeezes = [w for w in warnings if w.kind == "long_squeeze"]
    first = squeezes[0]
    assert first.ts == at("2025-10-10 21:30")
    assert minutes(first.ts, at("2025-10-10 20:55")) == 35
    assert [w.severity for w in squeezes[:3]] == ["moderate", "high", "extreme"]
    assert squeezes[2].ts == at("2025-10-10 21:45")
    assert 3 in first.checks and first.numbers["volume x usual"] > 5
    assert all(w.ts >= at("2025-10-10 21:30") for w in warnings)  # nothing before the move


def test_2024_08_05_crash_long_squeeze_within_15_minutes_of_the_sharp_leg() -> None:
    warnings = replay(load_binance_metrics(window("2024-08-05_crash")))
    first = next(w for w in warnings if w.kind == "long_squeeze")
    assert first.ts == at("2024-08-05 01:15")
    assert minutes(first.ts, at("2024-08-05 01:00")) == 15
    assert first.numbers["OI (contracts) from peak pct"] == pytest.approx(-4.0, abs=0.05)
    assert 3 not in first.checks  # no 5m klines for this day: volume is unknown, and says so


def test_2025_11_20_selloff_shorts_building_then_the_flush() -> None:
    points = load_binance_metrics(window("2025-11-20_selloff"))
    warnings = replay(points)
    kinds = [(w.ts, w.kind) for w in warnings]
    assert kinds[0] == (at("2025-11-20 16:50"), "divergence_shorts")
    assert (at("2025-11-21 07:40"), "long_squeeze") in kinds
    assert all(w.kind in ("divergence_shorts", "long_squeeze") for w in warnings)
    # Before the flush the 24h reading is OI rising while price falls.
    upto = [p for p in points if p.ts <= at("2025-11-21 02:15")]
    reading = evaluate("BTC", upto).windows["24h"]
    assert round(reading.price_pct, 1) == -6.7 and reading.oi_pct is not None
    assert round(reading.oi_pct, 1) == 5.7
    assert "shorts building" in reading.row.reading
    flush = evaluate("BTC", [p for p in points if p.ts <= at("2025-11-21 07:40")])
    assert [w.kind for w in flush.warnings] == ["long_squeeze"]
    assert flush.windows["15m"].oi_drop_cause == "liquidation"
    assert flush.windows["15m"].phase == "unwind"


def test_2025_01_01_calm_day_is_quiet_despite_the_volume_spike() -> None:
    points = load_binance_metrics(window("2025-01-01_calm"))
    assert replay(points) == []
    spike = [p for p in points if p.ts <= at("2025-01-01 09:30")]
    assert spike[-1].volume == pytest.approx(2772, rel=0.01)  # the 12.5x bar is in the data
    assert evaluate("BTC", spike).warnings == []


def test_metrics_are_not_seen_before_their_bar_closes() -> None:
    points = load_binance_metrics(window("2025-10-10_cascade"))
    first = points[0]
    assert first.ts == at("2025-10-10 20:25")  # metrics row stamped 20:20
    assert first.close == pytest.approx(116930.8)  # the close of the 20:20 kline
