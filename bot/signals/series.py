"""The engine's input: one point per 5-minute bar, stamped when its state is known.

Floats on purpose: these feed statistics, not money. A point stamped `ts` describes the market
as of `ts` (for Binance metrics, the close of the bar that opened at ts - 5 min), so a replay
can never look ahead. Anything a venue does not publish is None, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

BAR = timedelta(minutes=5)
WINDOW_BARS: dict[str, int] = {"5m": 1, "15m": 3, "1h": 12, "4h": 48, "24h": 288}


@dataclass(frozen=True, slots=True)
class Point:
    ts: datetime
    close: float
    high: float | None = None
    low: float | None = None
    volume: float | None = None  # base coin traded in the bar
    oi: float | None = None  # contracts / coin
    oi_usd: float | None = None
    funding: float | None = None  # per-8h equivalent
    basis_pct: float | None = None
    liq_long_usd: float | None = None
    liq_short_usd: float | None = None


def despiked_oi(points: list[Point]) -> list[float | None]:
    """Median of the last three OI samples: one glitched sample (+8.7 % then -7.6 % seen on
    2025-10-10) vanishes, a real move shows one bar later. Causal: no future sample is used."""
    out: list[float | None] = []
    window: list[float] = []
    for point in points:
        if point.oi is None:
            out.append(None)
            continue
        window.append(point.oi)
        if len(window) > 3:
            window.pop(0)
        out.append(sorted(window)[len(window) // 2])
    return out
