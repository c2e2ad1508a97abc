"""What /oi shows: per venue and aggregated, in identical units, over identical windows.

Pure: stored points in, an AssetOverview out. OI change is given in contracts (coin) AND in
notional, because notional rises with price even when no contract was opened (domain §1). The
aggregate change compares only venues present at both ends of the window, so a venue that
joins or drops out is not read as OI appearing or vanishing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.signals.table import Row, read

WINDOWS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "24h": timedelta(hours=24),
}
READING_WINDOWS = ("1h", "4h")
HOURS_PER_YEAR = 24 * 365
ALL = "all"


class Point(Protocol):
    venue: str
    ts: datetime
    mark: float
    index_price: float | None
    oi_coin: float
    oi_usd: float
    funding_rate: float | None
    funding_interval_hours: int | None
    volume_24h_usd: float | None


class Flow(Protocol):
    """One venue's liquidations (read-only: storage hands frozen rows)."""

    @property
    def venue(self) -> str: ...

    @property
    def long_usd(self) -> float: ...

    @property
    def short_usd(self) -> float: ...


@dataclass(frozen=True)
class Change:
    contracts_pct: float | None
    notional_pct: float | None


@dataclass(frozen=True)
class VenueLine:
    venue: str
    price: float
    oi_coin: float
    oi_usd: float
    changes: dict[str, Change]
    funding_rate: float | None  # per interval
    funding_interval_hours: int | None
    funding_8h: float | None  # per-8h equivalent, comparable across venues
    funding_apr: float | None
    basis_pct: float | None
    volume_24h_usd: float | None
    liq_long_1h: float
    liq_short_1h: float
    age_s: float


@dataclass(frozen=True)
class AssetOverview:
    asset: str
    venues: list[VenueLine]
    total: VenueLine
    readings: dict[str, tuple[Row, float, float]]  # window -> (row, price %, OI contracts %)
    now: datetime


def _pct(now: float, then: float) -> float | None:
    return (now / then - 1) * 100 if then else None


def _past(points: Sequence[Point], target: datetime, window: timedelta) -> Point | None:
    """The stored point nearest `target`, if one is close enough to stand for it."""
    tolerance = max(timedelta(minutes=5), window * 0.1)
    best = min(points, key=lambda p: abs(p.ts - target), default=None)
    if best is None or abs(best.ts - target) > tolerance:
        return None
    return best


def _per_8h(rate: float | None, interval: int | None) -> float | None:
    if rate is None or not interval:
        return None
    return rate * 8 / interval


def _weighted(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    usable = [(value, weight) for value, weight in pairs if value is not None]
    total = sum(weight for _, weight in usable)
    return sum(v * w for v, w in usable) / total if usable and total else None


def build_overview(
    asset: str,
    latest: Sequence[Point],
    history: Sequence[Point],
    flows: Sequence[Flow],
    now: datetime,
) -> AssetOverview:
    by_venue: dict[str, list[Point]] = {}
    for point in history:
        by_venue.setdefault(point.venue, []).append(point)
    liq = {
        venue: (
            sum(f.long_usd for f in flows if f.venue == venue),
            sum(f.short_usd for f in flows if f.venue == venue),
        )
        for venue in {f.venue for f in flows}
    }
    lines = []
    pasts: dict[str, dict[str, Point | None]] = {}
    for point in sorted(latest, key=lambda p: -p.oi_usd):
        past = {w: _past(by_venue.get(point.venue, []), now - d, d) for w, d in WINDOWS.items()}
        pasts[point.venue] = past
        changes = {
            w: Change(_pct(point.oi_coin, p.oi_coin), _pct(point.oi_usd, p.oi_usd))
            if p is not None
            else Change(None, None)
            for w, p in past.items()
        }
        funding_8h = _per_8h(point.funding_rate, point.funding_interval_hours)
        basis = (point.mark / point.index_price - 1) * 100 if point.index_price else None
        long_usd, short_usd = liq.get(point.venue, (0.0, 0.0))
        lines.append(
            VenueLine(
                venue=point.venue,
                price=point.mark,
                oi_coin=point.oi_coin,
                oi_usd=point.oi_usd,
                changes=changes,
                funding_rate=point.funding_rate,
                funding_interval_hours=point.funding_interval_hours,
                funding_8h=funding_8h,
                funding_apr=funding_8h * 3 * 365 if funding_8h is not None else None,
                basis_pct=basis,
                volume_24h_usd=point.volume_24h_usd,
                liq_long_1h=long_usd,
                liq_short_1h=short_usd,
                age_s=(now - point.ts).total_seconds(),
            )
        )
    total = _aggregate(lines, latest, pasts)
    readings = {}
    if lines:
        primary = latest[[p.venue for p in latest].index(lines[0].venue)]
        for window in READING_WINDOWS:
            then = pasts[primary.venue][window]
            oi_change = total.changes[window].contracts_pct
            if then is None or oi_change is None:
                continue
            price_change = (primary.mark / then.mark - 1) * 100
            readings[window] = (read(price_change, None, oi_change), price_change, oi_change)
    return AssetOverview(asset, lines, total, readings, now)


def _aggregate(
    lines: list[VenueLine], latest: Sequence[Point], pasts: dict[str, dict[str, Point | None]]
) -> VenueLine:
    now_by = {p.venue: p for p in latest}
    changes = {}
    for window in WINDOWS:
        both = [(now_by[v], past[window]) for v, past in pasts.items() if past[window] is not None]
        if not both:
            changes[window] = Change(None, None)
            continue
        coin_now = sum(n.oi_coin for n, _ in both)
        coin_then = sum(p.oi_coin for _, p in both if p is not None)
        usd_now = sum(n.oi_usd for n, _ in both)
        usd_then = sum(p.oi_usd for _, p in both if p is not None)
        changes[window] = Change(_pct(coin_now, coin_then), _pct(usd_now, usd_then))
    oi_usd = sum(line.oi_usd for line in lines)
    funding_8h = _weighted((line.funding_8h, line.oi_usd) for line in lines)
    volumes = [line.volume_24h_usd for line in lines if line.volume_24h_usd is not None]
    return VenueLine(
        venue=ALL,
        price=_weighted((line.price, line.oi_usd) for line in lines) or 0.0,
        oi_coin=sum(line.oi_coin for line in lines),
        oi_usd=oi_usd,
        changes=changes,
        funding_rate=funding_8h,
        funding_interval_hours=8 if funding_8h is not None else None,
        funding_8h=funding_8h,
        funding_apr=funding_8h * 3 * 365 if funding_8h is not None else None,
        basis_pct=_weighted((line.basis_pct, line.oi_usd) for line in lines),
        volume_24h_usd=sum(volumes) if volumes else None,
        liq_long_1h=sum(line.liq_long_1h for line in lines),
        liq_short_1h=sum(line.liq_short_1h for line in lines),
        age_s=max((line.age_s for line in lines), default=0.0),
    )
