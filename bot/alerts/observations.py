"""What rules are matched against: one number per (asset, metric, window, venue), in the units
the rule grammar uses (fractions for %, USD for liquidations), plus the engine's 5-minute
series rebuilt from stored snapshots, liquidation minutes and kline minutes, with the same
fields a replayed point has. Pure.

A price level is compared with the mark every other answer calls the asset's price (a quote or
a guarded position without a venue: the linear venue with the most open interest), or with the
venue's own mark for `on venue`; a venue left out this tick gives no price, not another's.

Aggregates compare only venues present at both ends of a window, so a venue that drops out (or
is degraded this tick and left out) is never read as open interest vanishing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.market.overview import Flow, Point
from bot.positions.marks import marks_by_venue
from bot.rules.matcher import ObservationKey
from bot.rules.model import Metric, Op, RuleSpec
from bot.signals.series import BAR
from bot.signals.series import Point as SignalPoint

WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "24h": timedelta(hours=24),
}


class TimedFlow(Flow, Protocol):
    @property
    def minute(self) -> datetime: ...


class LivePoint(Point, Protocol):
    inverse: bool  # coin-margined: a quote or a guard takes its mark only when nothing else is live


class Kline(Protocol):
    venue: str
    minute: datetime  # open time of the minute
    high: float
    low: float
    close: float
    volume: float
    taker_buy: float


@dataclass(frozen=True)
class AssetData:
    asset: str
    latest: Sequence[LivePoint]  # newest point per venue, degraded venues already left out
    history: Sequence[Point]  # the last 24 h and a bit, every venue
    flows: Sequence[TimedFlow]  # liquidations per venue and minute, last 24 h
    klines: Sequence[Kline] = ()  # 1-minute klines (Binance's stream), last 24 h

    def on_venue(self, venue: str) -> AssetData:
        return AssetData(
            self.asset,
            [p for p in self.latest if p.venue == venue],
            [p for p in self.history if p.venue == venue],
            [f for f in self.flows if f.venue == venue],
            [k for k in self.klines if k.venue == venue],
        )


def _nearest(points: Sequence[Point], target: datetime, window: timedelta) -> Point | None:
    tolerance = max(timedelta(minutes=2), window * 0.2)
    best = min(points, key=lambda p: abs(p.ts - target), default=None)
    return best if best is not None and abs(best.ts - target) <= tolerance else None


def level_marks(latest: Sequence[LivePoint]) -> dict[str | None, LivePoint]:
    """The point whose mark a price level is compared with, by venue; None: the asset's price."""
    chosen = marks_by_venue(latest)
    for point in latest:
        chosen.setdefault(point.venue, point)  # an inverse venue's own, when linear ones live
    return {venue or None: point for venue, point in chosen.items()}


def level_already_crossed(spec: RuleSpec, latest: Sequence[LivePoint]) -> LivePoint | None:
    """The point whose mark already stands past a new price level rule's level (so, judged on
    the next tick like any new rule, it rings then); None when it does not, or is no level."""
    if spec.metric is not Metric.PRICE_LEVEL or spec.threshold is None:
        return None
    point = level_marks(latest).get(spec.venue)
    level = spec.threshold.value
    if point is None or level is None:
        return None
    crossed = point.mark > float(level) if spec.op is Op.ABOVE else point.mark < float(level)
    return point if crossed else None


def observations(
    data: AssetData, now: datetime, marks: Mapping[str | None, LivePoint]
) -> dict[ObservationKey, float]:
    """`marks`: level_marks(data.latest), which the tick also names each alert's venue by."""
    out: dict[ObservationKey, float] = {
        (data.asset, Metric.PRICE_LEVEL, None, venue): point.mark for venue, point in marks.items()
    }
    by_venue: dict[str, list[Point]] = {}
    for point in data.history:
        by_venue.setdefault(point.venue, []).append(point)
    total_oi = sum(p.oi_usd for p in data.latest)
    for point in data.latest:
        venue = point.venue
        if point.funding_rate is not None and point.funding_interval_hours:
            out[(data.asset, Metric.FUNDING, None, venue)] = (
                point.funding_rate * 8 / point.funding_interval_hours
            )
        if point.index_price:
            out[(data.asset, Metric.BASIS, None, venue)] = point.mark / point.index_price - 1
    funding = [
        (out.get((data.asset, Metric.FUNDING, None, p.venue)), p.oi_usd) for p in data.latest
    ]
    weighted = [(f, w) for f, w in funding if f is not None]
    if weighted and total_oi:
        out[(data.asset, Metric.FUNDING, None, None)] = sum(f * w for f, w in weighted) / sum(
            w for _, w in weighted
        )
    basis = [(out.get((data.asset, Metric.BASIS, None, p.venue)), p.oi_usd) for p in data.latest]
    weighted = [(b, w) for b, w in basis if b is not None]
    if weighted:
        out[(data.asset, Metric.BASIS, None, None)] = sum(b * w for b, w in weighted) / sum(
            w for _, w in weighted
        )
    for window, span in WINDOWS.items():
        pairs = []
        for point in data.latest:
            then = _nearest(by_venue.get(point.venue, []), now - span, span)
            if then is not None:
                pairs.append((point, then))
                key = (data.asset, Metric.OI, window, point.venue)
                out[key] = point.oi_coin / then.oi_coin - 1 if then.oi_coin else 0.0
                out[(data.asset, Metric.OI_USD, window, point.venue)] = (
                    point.oi_usd / then.oi_usd - 1 if then.oi_usd else 0.0
                )
                out[(data.asset, Metric.PRICE, window, point.venue)] = point.mark / then.mark - 1
        if pairs:
            coin_then = sum(t.oi_coin for _, t in pairs)
            usd_then = sum(t.oi_usd for _, t in pairs)
            if coin_then and usd_then:
                out[(data.asset, Metric.OI, window, None)] = (
                    sum(n.oi_coin for n, _ in pairs) / coin_then - 1
                )
                out[(data.asset, Metric.OI_USD, window, None)] = (
                    sum(n.oi_usd for n, _ in pairs) / usd_then - 1
                )
            primary_now, primary_then = max(pairs, key=lambda pair: pair[0].oi_usd)
            out[(data.asset, Metric.PRICE, window, None)] = primary_now.mark / primary_then.mark - 1
        recent = [f for f in data.flows if f.minute > now - span]
        if data.latest:
            out[(data.asset, Metric.LIQ, window, None)] = sum(
                f.long_usd + f.short_usd for f in recent
            )
            for venue in {p.venue for p in data.latest}:
                out[(data.asset, Metric.LIQ, window, venue)] = sum(
                    f.long_usd + f.short_usd for f in recent if f.venue == venue
                )
    return out


_MINUTE = timedelta(minutes=1)
# From a whole minute to the end of its 5-minute bar, by the minute's place in the bar.
_TO_BAR_END = [BAR - _MINUTE * i for i in range(5)]


def _bucket(minute: datetime) -> datetime:
    """The stamp (end) of the 5-minute bar a whole minute belongs to."""
    return minute + _TO_BAR_END[minute.minute % 5]


@dataclass(slots=True)
class _BarKlines:
    high: float
    low: float
    volume: float
    taker_buy: float
    close: float  # the bar's last kline close
    minutes: int
    last: datetime  # that kline's minute


def _bar_klines(klines: Sequence[Kline]) -> dict[datetime, _BarKlines]:
    """Per 5-minute bar, from kline minutes in minute order (as stored): range, volume, taker
    buys, last close and its minute, and how many minutes were seen."""
    bars: dict[datetime, _BarKlines] = {}
    for k in klines:
        stamp = _bucket(k.minute)
        bar = bars.get(stamp)
        if bar is None:
            bars[stamp] = _BarKlines(k.high, k.low, k.volume, k.taker_buy, k.close, 1, k.minute)
        else:
            bar.high, bar.low = max(bar.high, k.high), min(bar.low, k.low)
            bar.volume += k.volume
            bar.taker_buy += k.taker_buy
            bar.close = k.close
            bar.minutes += 1
            bar.last = k.minute
    return bars


def _first_poll(history: Sequence[Point], start: int, begin: datetime) -> float:
    """The OI-weighted price of each venue's first poll from history[start], a bar's first,
    within the minute from `begin` (0.0 when there is none)."""
    seen: set[str] = set()
    oi_usd = weighted = 0.0
    end = begin + _MINUTE
    for i in range(start, len(history)):
        point = history[i]
        if point.ts >= end:
            break
        if point.venue not in seen:
            seen.add(point.venue)
            oi_usd += point.oi_usd
            weighted += point.mark * point.oi_usd
    return weighted / oi_usd if oi_usd else 0.0


def signal_series(data: AssetData, now: datetime | None = None) -> list[SignalPoint]:
    """The aggregate as 5-minute points for the engine: the last snapshot of every venue in
    each bucket, OI-weighted price, funding and basis, liquidations summed, and from the
    klines the bar's high and low, volume and taker buy volume (None where no kline was seen,
    never 0). With `now`, the bar still open states its volume at the pace so far (volume
    x 5 / minutes seen), so it compares with complete bars as replayed ones do.

    OI is chain-linked: each bucket's change is measured on the venues present in it and in
    the one before, then the chain is scaled so its last value is today's true total. A venue
    that joins (history backfilled for some venues only) or drops out is never read as open
    interest appearing or vanishing."""
    history = sorted(data.history, key=lambda p: p.ts)
    buckets: dict[datetime, dict[str, Point]] = {}
    starts: dict[datetime, int] = {}  # where each bucket's polls begin in `history`
    for i, point in enumerate(history):
        stamp = _bucket(point.ts.replace(second=0, microsecond=0))
        bucket = buckets.get(stamp)
        if bucket is None:
            bucket = buckets[stamp] = {}
            starts[stamp] = i
        bucket[point.venue] = point
    liq: dict[datetime, tuple[float, float]] = {}
    for flow in data.flows:
        stamp = _bucket(flow.minute)
        longs, shorts = liq.get(stamp, (0.0, 0.0))
        liq[stamp] = (longs + flow.long_usd, shorts + flow.short_usd)
    ranges = _bar_klines(data.klines)
    # Each bar's fields and its OI chain; the points are built once the chain's scale is known.
    rows: list[tuple[dict[str, Any], float, float]] = []
    previous: dict[str, Point] = {}
    coin_chain = usd_chain = 1.0
    for stamp in sorted(buckets):
        points = buckets[stamp]
        common = points.keys() & previous.keys()
        coin_then = sum(previous[v].oi_coin for v in common)
        usd_then = sum(previous[v].oi_usd for v in common)
        if coin_then and usd_then:
            coin_chain *= sum(points[v].oi_coin for v in common) / coin_then
            usd_chain *= sum(points[v].oi_usd for v in common) / usd_then
        previous = points
        # OI-weighted price, funding (per 8 h) and basis (%), in one pass: this runs for
        # every bar of every watched asset each tick.
        oi_usd = price_sum = funding_sum = funding_oi = basis_sum = basis_oi = 0.0
        for p in points.values():
            oi_usd += p.oi_usd
            price_sum += p.mark * p.oi_usd
            if p.funding_rate is not None and p.funding_interval_hours:
                funding_sum += p.funding_rate * 8 / p.funding_interval_hours * p.oi_usd
                funding_oi += p.oi_usd
            if p.index_price:
                basis_sum += (p.mark / p.index_price - 1) * 100 * p.oi_usd
                basis_oi += p.oi_usd
        price = price_sum / oi_usd if oi_usd else 0.0
        long_usd, short_usd = liq.get(stamp, (0.0, 0.0)) if data.flows else (None, None)
        bar = ranges.get(stamp)
        pace = 1.0
        if bar is not None and now is not None and stamp > now:
            pace = 5 / min(5, bar.minutes)
        # The klines' range as ratios to their close, applied to a price polled at that close:
        # right whatever the quote (mark vs last trade, 1000PEPE vs PEPE). A closed bar's last
        # poll precedes its end, so when its klines run to the end the ratio is taken at the
        # next bar's first poll, the first to have seen their close. On the bar's own poll, a
        # fall in the seconds between (price polled before it, klines closed after it) drew the
        # bar's range as a rise as large, and no run of that fall stood. The first poll after
        # can only pull a move of the next bar's first seconds in, on the side it went.
        anchor = price
        start = starts.get(stamp + BAR)
        if bar is not None and start is not None and bar.last == stamp - _MINUTE:
            anchor = _first_poll(history, start, stamp) or price
        high = anchor * bar.high / bar.close if bar and bar.close > 0 else None
        low = anchor * bar.low / bar.close if bar and bar.close > 0 else None
        fields = {
            "ts": stamp,
            "close": price,
            "high": max(price, high) if high is not None else None,
            "low": min(price, low) if low is not None else None,
            "volume": bar.volume * pace if bar else None,
            "funding": funding_sum / funding_oi if funding_oi else None,
            "basis_pct": basis_sum / basis_oi if basis_oi else None,
            "liq_long_usd": long_usd,
            "liq_short_usd": short_usd,
            "taker_buy_volume": bar.taker_buy * pace if bar else None,
        }
        rows.append((fields, coin_chain, usd_chain))
    if not rows:
        return []
    last = buckets[rows[-1][0]["ts"]].values()
    coin_scale = sum(p.oi_coin for p in last) / coin_chain
    usd_scale = sum(p.oi_usd for p in last) / usd_chain
    return [
        SignalPoint(**fields, oi=coin * coin_scale, oi_usd=usd * usd_scale)
        for fields, coin, usd in rows
    ]
