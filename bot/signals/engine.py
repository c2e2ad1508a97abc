"""Readings and warnings for one asset from its 5-minute series (domain brief §2-§7, §10).

Pure and causal: `evaluate(asset, points)` looks only at `points` (the last one is "now"). Every
window (5m, 15m, 1h, 4h, 24h) measures price, volume, OI in contracts and in notional, funding
and basis over the same span. Each warning carries the numbers it rests on, the window, the
checks of §10 it used, and the data age, so a reader can verify it from the message.

The traps found in the real data are handled where they bite:
- OI keeps falling 20-40 min after the price low: the squeeze test looks back from the OI peak
  over the window plus a lag, and measures price by its range since that peak, not by a signed
  close-to-close move in the same bar.
- One-sample OI glitches: OI is despiked (causal median of three) for the window readings and
  the OI peaks; the newest sample is read raw only while price is running, so a broad drop
  costs no bar of lag.
- A cascade is announced early from price speed in the asset's own volatility, volume, taker
  flow and OI (or, live, liquidations) already moving; OI then confirms it (bot.signals.cascade).
- A lone volume spike fires nothing: every warning needs OI to move.
- Funding was not stretched before the 2025 cascades: no warning requires extreme funding.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.signals.cascade import SQUEEZE_WINDOWS, confirmed, early, price_runs
from bot.signals.change import signed_change
from bot.signals.kinds import OIDropCause, Phase, Severity, Stage, WarningKind
from bot.signals.series import WINDOW_BARS, DespikedOI, Point, despiked_oi
from bot.signals.table import FlatBands, Row, read
from bot.signals.thresholds import DEFAULT_SETTINGS, Robust, SignalSettings, robust
from bot.signals.warning import SignalWarning

NEUTRAL_FUNDING = 0.0001  # 0.01 % per 8h: the venues' default interest component
TREND_WINDOWS = ("1h", "4h")


@dataclass(frozen=True)
class WindowReading:
    window: str
    price_pct: float
    oi_pct: float | None  # contracts
    oi_usd_pct: float | None  # notional
    volume_ratio: float | None  # window volume / usual volume for that span
    row: Row
    notional_mostly_price: bool
    phase: Phase
    oi_drop_cause: OIDropCause | None


@dataclass(frozen=True)
class AssetReadings:
    asset: str
    ts: datetime
    windows: dict[str, WindowReading] = field(default_factory=dict)
    warnings: list[SignalWarning] = field(default_factory=list)


@dataclass(frozen=True)
class Baselines:
    """The asset's own normal, per window: OI changes, per-bar volume, funding. Cheap to keep
    between ticks (recompute hourly); `evaluate` computes it when not given."""

    oi_change: dict[str, Robust | None]
    oi_drawdown: dict[str, Robust | None]  # % below the rolling peak over the squeeze span
    bar_volume: float | None
    funding: Robust | None
    price_sigma_pct: float | None = None  # robust deviation of 5-minute closes, %
    oi_sigma_pct: float | None = None  # robust deviation of 5-minute OI (contracts) changes, %


def _pct(now: float, then: float) -> float:
    return (now / then - 1) * 100 if then else 0.0


def _spread(moves: list[float], min_samples: int) -> float | None:
    """A bar's usual move: the robust deviation, or the mean absolute one when more than half
    the moves are alike (a ticking-over quiet market, where MAD reads zero)."""
    found = robust(moves, min_samples)
    if found is None:
        return None
    if found.scale > 0:
        return found.scale
    mean = sum(abs(m - found.median) for m in moves) / len(moves)
    return 1.2533 * mean if mean > 0 else None


def baselines(points: Sequence[Point], settings: SignalSettings = DEFAULT_SETTINGS) -> Baselines:
    oi = despiked_oi(list(points))
    changes: dict[str, Robust | None] = {}
    for window, n in WINDOW_BARS.items():
        samples = [
            _pct(a, b)
            for a, b in zip(oi[n:], oi[:-n], strict=False)
            if a is not None and b is not None
        ]
        changes[window] = robust(samples, settings.baseline_min_samples)
    drawdowns: dict[str, Robust | None] = {}
    for window in SQUEEZE_WINDOWS:
        span = WINDOW_BARS[window] + settings.squeeze_lag_bars
        samples = []
        for j in range(span, len(oi)):
            recent = [v for v in oi[j - span : j + 1] if v is not None]
            value = oi[j]
            if recent and value is not None:
                samples.append(-_pct(value, max(recent)))
        drawdowns[window] = robust(samples, settings.baseline_min_samples)
    volumes = [p.volume for p in points if p.volume is not None]
    fundings = [p.funding for p in points if p.funding is not None]
    moves = [_pct(b.close, a.close) for a, b in itertools.pairwise(points)]
    oi_moves = [
        _pct(b.oi, a.oi)
        for a, b in itertools.pairwise(points)
        if a.oi is not None and b.oi is not None
    ]
    price_sigma = _spread(moves, settings.volatility_min_samples)
    oi_sigma = _spread(oi_moves, settings.volatility_min_samples)
    return Baselines(
        changes,
        drawdowns,
        statistics.median(volumes) if volumes else None,
        robust(fundings, settings.baseline_min_samples),
        price_sigma,
        oi_sigma,
    )


def evaluate(
    asset: str,
    points: Sequence[Point],
    *,
    now: datetime | None = None,
    settings: SignalSettings = DEFAULT_SETTINGS,
    base: Baselines | None = None,
) -> AssetReadings:
    if not points:
        return AssetReadings(asset, now or datetime.min)
    series = list(points)
    last = series[-1]
    now = now or last.ts
    # A live bar is stamped at its end, up to 5 minutes ahead of now: its data is fresh, not
    # from the future.
    age = max(0.0, (now - last.ts).total_seconds())
    base = base or baselines(series, settings)
    oi = DespikedOI(series)
    ranges = PriceRanges(series)
    readings = AssetReadings(asset, last.ts)
    bands = FlatBands(settings.flat_price_pct, 20.0, settings.flat_oi_pct)
    for window, n in WINDOW_BARS.items():
        if len(series) > n and oi.at(-1) is not None and oi.at(-1 - n) is not None:
            readings.windows[window] = _window_reading(
                window, n, series, ranges, oi, base, settings, bands
            )
    warnings = readings.warnings
    runs = price_runs(series, base.price_sigma_pct, base.bar_volume, settings)
    found_early = early(
        asset,
        series,
        runs,
        base.price_sigma_pct,
        base.bar_volume,
        base.oi_sigma_pct,
        settings,
        age,
    )
    found_confirmed = confirmed(
        asset,
        series,
        oi,
        base.oi_drawdown,
        base.price_sigma_pct,
        base.bar_volume,
        bool(runs),
        settings,
        age,
    )
    # Both stages of one side go out together (a fresh shock that OI confirms at once is a
    # new event, confirmed); of two sides, the one OI confirms.
    squeezes = [w for w in (found_early, found_confirmed) if w is not None]
    if len({w.kind for w in squeezes}) > 1:
        squeezes = [w for w in squeezes if w.stage is Stage.CONFIRMED]
    for window in TREND_WINDOWS:
        reading = readings.windows.get(window)
        if reading is None:
            continue
        n = WINDOW_BARS[window]
        for found in (
            _overheating(asset, window, n, series, oi, reading, base, settings, age),
            _divergence(asset, window, reading, last.ts, settings, age),
        ):
            if found is not None:
                warnings.append(found)
                if found.kind in (WarningKind.OVERHEATING_LONG, WarningKind.OVERHEATING_SHORT):
                    readings.windows[window] = replace(reading, phase=Phase.OVERHEATING)
    for window in ("4h", "24h"):
        reading = readings.windows.get(window)
        if reading is not None:
            found = _accumulation(
                asset, window, WINDOW_BARS[window], ranges, reading, last.ts, settings, age
            )
            if found is not None:
                warnings.append(found)
                break
    for found in (
        _crowding(asset, series, readings.windows.get("4h"), base, settings, age),
        _basis_widening(asset, series, readings.windows.get("4h"), settings, age),
    ):
        if found is not None:
            warnings.append(found)
    if squeezes:
        # A cascade in progress explains everything else this tick: say that one thing.
        readings.warnings[:] = squeezes
    else:
        readings.warnings[:] = _one_per_situation(warnings)
    return readings


# Overheating with price falling already says that shorts pile in; saying "shorts building"
# beside it would be the same news twice.
SUBSUMES = {
    WarningKind.OVERHEATING_SHORT: WarningKind.DIVERGENCE_SHORTS,
    WarningKind.OVERHEATING_LONG: WarningKind.DIVERGENCE_CLOSES,
}


def _one_per_situation(warnings: list[SignalWarning]) -> list[SignalWarning]:
    """One warning per kind (the shortest window found it first), none that another covers."""
    seen: dict[WarningKind, SignalWarning] = {}
    for warning in warnings:
        seen.setdefault(warning.kind, warning)
    covered = {SUBSUMES[kind] for kind in seen if kind in SUBSUMES}
    return [w for kind, w in seen.items() if kind not in covered]


def _volume_ratio(series: list[Point], start: int, base: Baselines) -> float | None:
    volumes = [p.volume for p in series[start:] if p.volume is not None]
    if not volumes or not base.bar_volume:
        return None
    return sum(volumes) / (base.bar_volume * len(volumes))


def _window_reading(
    window: str,
    n: int,
    series: list[Point],
    ranges: PriceRanges,
    oi: DespikedOI,
    base: Baselines,
    settings: SignalSettings,
    bands: FlatBands,
) -> WindowReading:
    now, then = series[-1], series[-1 - n]
    price_pct = _pct(now.close, then.close)
    oi_now, oi_then = oi.at(-1), oi.at(-1 - n)
    assert oi_now is not None and oi_then is not None
    oi_pct = _pct(oi_now, oi_then)
    oi_usd_pct = _pct(now.oi_usd, then.oi_usd) if now.oi_usd and then.oi_usd else oi_pct + price_pct
    ratio = _volume_ratio(series, len(series) - n, base)
    volume_pct = (ratio - 1) * 100 if ratio is not None else None
    row = read(price_pct, volume_pct, oi_pct, bands)
    mostly_price = oi_usd_pct > settings.flat_oi_pct and abs(oi_pct) < abs(oi_usd_pct) / 2
    cause = _oi_drop_cause(n, ranges, oi_pct, price_pct, ratio, settings)
    phase = _phase(price_pct, oi_pct, ratio, ranges, n, settings, cause)
    return WindowReading(
        window, price_pct, oi_pct, oi_usd_pct, ratio, row, mostly_price, phase, cause
    )


class PriceRanges:
    """High-to-low ranges over tails of one evaluation's points, each computed when a check
    first reads it: most ticks read few or none, as the cheaper checks beside them fail first,
    and extracting every high and low up front cost a tenth of the tick."""

    def __init__(self, points: Sequence[Point]) -> None:
        self._points = points
        self._found: dict[tuple[int, int | None], float] = {}

    def __len__(self) -> int:
        return len(self._points)

    def pct(self, start: int, end: int | None = None) -> float:
        """High-to-low range in % over points[start:end]."""
        found = self._found.get((start, end))
        if found is None:
            bars = self._points[start:end]
            # series.bar_low / bar_high written out: a range reads up to a day's 288 bars, and
            # the call per bar cost 4 % of the tick.
            low = min([p.low if p.low is not None else p.close for p in bars], default=0.0)
            high = max([p.high if p.high is not None else p.close for p in bars])
            found = (high / low - 1) * 100 if low else 0.0
            self._found[(start, end)] = found
        return found


def _oi_drop_cause(
    n: int,
    ranges: PriceRanges,
    oi_pct: float,
    price_pct: float,
    ratio: float | None,
    settings: SignalSettings,
) -> OIDropCause | None:
    """Why OI fell sharply (domain §5); None when it did not."""
    if oi_pct > -settings.squeeze_oi_drop_pct / 2:
        return None
    floor = settings.cascade_price_floor_pct

    # A range costs a pass over the window's bars: each is read only where it decides the cause
    # (most drops on ordinary volume are voluntary whatever the range says).
    def moved() -> bool:
        return ranges.pct(-1 - n) >= floor

    # Unknown volume cannot veto (check 3 is then skipped, as in the squeeze test).
    heavy = ratio is None or ratio >= settings.cascade_volume_ratio
    if heavy and moved():
        return OIDropCause.LIQUIDATION
    light = ratio is None or ratio < 1.0
    if light and len(ranges) > 2 * n and ranges.pct(-1 - 2 * n, -n) >= 2 * floor:
        return OIDropCause.POST_IMPULSE
    flat = abs(price_pct) < settings.flat_price_pct
    if flat and ratio is not None and ratio < 1.2 and not moved():
        return OIDropCause.EXPIRY
    return OIDropCause.VOLUNTARY


def _phase(
    price_pct: float,
    oi_pct: float,
    ratio: float | None,
    ranges: PriceRanges,
    n: int,
    settings: SignalSettings,
    cause: OIDropCause | None,
) -> Phase:
    if cause is OIDropCause.LIQUIDATION:
        return Phase.UNWIND
    # OI first: the range costs a pass over the window's bars, and OI rarely grows enough.
    growing = oi_pct >= settings.accumulation_oi_growth_pct / 2
    if growing and ranges.pct(-1 - n) < settings.accumulation_price_range_pct:
        return Phase.ACCUMULATION
    moving = abs(price_pct) >= settings.overheat_price_move_pct and oi_pct > settings.flat_oi_pct
    if moving and (ratio is None or ratio >= 1.2):
        return Phase.ACCELERATION
    return Phase.NONE


def _required(change: Robust | None, floor: float, z: float) -> float:
    return max(floor, z * change.scale) if change is not None else floor


def _overheating(
    asset: str,
    window: str,
    n: int,
    series: list[Point],
    oi: DespikedOI,
    reading: WindowReading,
    base: Baselines,
    settings: SignalSettings,
    age: float,
) -> SignalWarning | None:
    oi_pct = reading.oi_pct
    need = _required(
        base.oi_change.get(window), settings.overheat_oi_growth_pct, settings.overheat_oi_z
    )
    if oi_pct is None or oi_pct < need or abs(reading.price_pct) < settings.overheat_price_move_pct:
        return None
    mid, start, now_oi = oi.at(-1 - n // 2), oi.at(-1 - n), oi.at(-1)
    if mid is None or start is None or now_oi is None:
        return None
    first, second = _pct(mid, start), _pct(now_oi, mid)
    if second <= 0 or second < settings.overheat_acceleration * max(first, 0.0):
        return None  # OI is not growing faster than earlier in the move
    long = reading.price_pct > 0
    numbers = {
        "OI (contracts) pct": oi_pct,
        "OI first half pct": first,
        "OI second half pct": second,
        "price pct": reading.price_pct,
    }
    checks = [1, 2]
    if reading.volume_ratio is not None:
        numbers["volume x usual"] = reading.volume_ratio
        checks.append(3)
    last = series[-1]
    if last.funding is not None:
        numbers["funding 8h pct"] = last.funding * 100
        checks.append(4)
    if last.basis_pct is not None:
        numbers["basis pct"] = last.basis_pct
    side = "longs" if long else "shorts"
    summary = (
        f"{asset} overheating: OI {signed_change(oi_pct)}% in {window} and accelerating while "
        f"price {'rises' if long else 'falls'} {abs(reading.price_pct):.1f}%; {side} piling in, "
        f"a sharp move against them can force closes"
    )
    return SignalWarning(
        WarningKind.OVERHEATING_LONG if long else WarningKind.OVERHEATING_SHORT,
        Severity.HIGH if oi_pct >= 2 * need else Severity.MODERATE,
        asset,
        window,
        last.ts,
        summary,
        numbers,
        tuple(checks),
        age,
    )


def _divergence(
    asset: str,
    window: str,
    reading: WindowReading,
    ts: datetime,
    settings: SignalSettings,
    age: float,
) -> SignalWarning | None:
    oi_pct, price_pct = reading.oi_pct, reading.price_pct
    if oi_pct is None:
        return None
    numbers = {"price pct": price_pct, "OI (contracts) pct": oi_pct}
    if price_pct >= settings.divergence_price_pct and oi_pct <= -settings.divergence_oi_pct:
        return SignalWarning(
            WarningKind.DIVERGENCE_CLOSES,
            Severity.MODERATE,
            asset,
            window,
            ts,
            f"{asset} rally made of closes: price {signed_change(price_pct)}% while OI "
            f"{signed_change(oi_pct)}% in {window}; such rallies tend to stall",
            numbers,
            (1, 2),
            age,
        )
    if price_pct <= -settings.divergence_price_pct and oi_pct >= settings.divergence_oi_pct:
        return SignalWarning(
            WarningKind.DIVERGENCE_SHORTS,
            Severity.MODERATE,
            asset,
            window,
            ts,
            f"{asset} shorts building: price {signed_change(price_pct)}% while OI "
            f"{signed_change(oi_pct)}% in {window}; a reversal can squeeze them",
            numbers,
            (1, 2),
            age,
        )
    return None


def _accumulation(
    asset: str,
    window: str,
    n: int,
    ranges: PriceRanges,
    reading: WindowReading,
    ts: datetime,
    settings: SignalSettings,
    age: float,
) -> SignalWarning | None:
    oi_pct = reading.oi_pct
    if oi_pct is None or oi_pct < settings.accumulation_oi_growth_pct:
        return None
    price_range = ranges.pct(-1 - n)
    if price_range >= settings.accumulation_price_range_pct:
        return None
    return SignalWarning(
        WarningKind.ACCUMULATION,
        Severity.MODERATE,
        asset,
        window,
        ts,
        f"{asset} positions building in a range: OI {signed_change(oi_pct)}% in {window} with "
        f"price inside {price_range:.1f}%; the longer it lasts, the larger the "
        f"forced-close wave on a breakout",
        {"OI (contracts) pct": oi_pct, "price range pct": price_range},
        (1, 2),
        age,
    )


def _crowding(
    asset: str,
    series: list[Point],
    reading: WindowReading | None,
    base: Baselines,
    settings: SignalSettings,
    age: float,
) -> SignalWarning | None:
    funding = series[-1].funding
    if funding is None or reading is None or reading.oi_pct is None or base.funding is None:
        return None
    if reading.oi_pct < settings.crowding_oi_growth_pct:
        return None
    if abs(funding - NEUTRAL_FUNDING) < settings.crowding_funding_floor:
        return None
    if abs(base.funding.z(funding)) < settings.crowding_funding_z:
        return None
    long = funding > NEUTRAL_FUNDING
    side = "longs" if long else "shorts"
    return SignalWarning(
        WarningKind.CROWDING_LONG if long else WarningKind.CROWDING_SHORT,
        Severity.MODERATE,
        asset,
        "4h",
        series[-1].ts,
        f"{asset} {side} crowding: OI {signed_change(reading.oi_pct)}% in 4h with funding "
        f"{signed_change(funding * 100, 4)}% per 8h, far from its usual level; "
        f"{'long' if long else 'short'}-squeeze risk",
        {
            "OI (contracts) pct": reading.oi_pct,
            "funding 8h pct": funding * 100,
            "funding z": base.funding.z(funding),
        },
        (2, 4),
        age,
    )


def _basis_widening(
    asset: str,
    series: list[Point],
    reading: WindowReading | None,
    settings: SignalSettings,
    age: float,
) -> SignalWarning | None:
    """Derivatives piling up away from spot: |basis| widens while OI rises over 4h (domain §4).
    A basis move without OI growth is more likely arbitrage and stays quiet."""
    n = WINDOW_BARS["4h"]
    if reading is None or reading.oi_pct is None or len(series) <= n:
        return None
    now, then = series[-1].basis_pct, series[-1 - n].basis_pct
    if now is None or then is None or reading.oi_pct < settings.crowding_oi_growth_pct:
        return None
    widening = abs(now) - abs(then)
    if widening < settings.basis_widening_pct:
        return None
    long = now > 0
    return SignalWarning(
        WarningKind.BASIS_WIDENING,
        Severity.MODERATE,
        asset,
        "4h",
        series[-1].ts,
        f"{asset} basis widening with OI: {signed_change(then, 2)}% -> {signed_change(now, 2)}% "
        f"while OI {signed_change(reading.oi_pct)}% in 4h; "
        f"{'longs' if long else 'shorts'} pay up in derivatives",
        {"basis now pct": now, "basis 4h ago pct": then, "OI (contracts) pct": reading.oi_pct},
        (2,),
        age,
    )
