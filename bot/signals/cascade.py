"""A forced-close cascade, read in two steps (domain brief §5, issue 11; docs/signals.md).

*Early*: within a bar or two of the onset, before OI has said much. Over the last 1-3 bars, price
ran from the close before the run (the onset) to its extreme by at least `cascade_price_z` of the
asset's own 5-minute volatility (x sqrt(bars)) and at least `cascade_price_floor_pct`, and still
stands there; the bars traded at least `cascade_volume_ratio` times the usual volume; takers sold
into a fall (bought into a rise), when the venue says; and OI is already falling, by `early_oi_z`
of its own 5-minute noise and at least `early_oi_floor_pct`, or, live, one side's liquidations
burst while OI is not rising. A fall with OI rising is shorts opening into it, never a long
squeeze (that is the divergence reading); a bounce smaller than the cascade it follows is that
cascade's, not a squeeze of the other side.

*Confirmed*: OI (contracts) below its recent peak by more than the asset's usual drawdown
(`squeeze_oi_z` robust deviations) and at least `squeeze_oi_drop_pct`, after a price shock of the
side that price has moved since that peak (close to close: the move since the event began), on
heavy volume. While price is still running the newest OI sample is read raw: the despiking median
(kept against one-sample glitches) would cost a bar.

Each warning carries its onset as `event_start`; bot.signals.events makes the stages one event.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import BAR, WINDOW_BARS, DespikedOI, Point
from bot.signals.thresholds import Robust, SignalSettings
from bot.signals.warning import Warning

SQUEEZE_WINDOWS = ("15m", "1h", "4h")
RUN_BARS = (1, 2, 3)


@dataclass(frozen=True)
class Run:
    """The price run of the last `bars` bars, from the close before it."""

    bars: int
    start: datetime  # the close before the run: the event's onset
    long: bool  # a fall (longs flushed)
    move_pct: float  # to the extreme, signed
    need_pct: float
    sigmas: float | None  # the move in units of the asset's own volatility over the run
    volume_ratio: float | None
    sell_share: float | None
    oi_pct: float | None  # raw OI over the run
    liq_pct: float | None = None  # the run's side liquidated, % of OI notional (live streams)
    liq_other_pct: float | None = None  # the other side's


def _pct(now: float, then: float) -> float:
    return (now / then - 1) * 100 if then else 0.0


def _low(p: Point) -> float:
    return p.low if p.low is not None else p.close


def _high(p: Point) -> float:
    return p.high if p.high is not None else p.close


def price_need(bars: int, sigma_pct: float | None, settings: SignalSettings) -> float:
    scaled = settings.cascade_price_z * sigma_pct * math.sqrt(bars) if sigma_pct else 0.0
    return max(settings.cascade_price_floor_pct, scaled)


def _sell_share(points: Sequence[Point]) -> float | None:
    known = [(p.taker_sell_share, p.volume or 1.0) for p in points]
    weighted = [(s, v) for s, v in known if s is not None]
    if not weighted:
        return None
    return sum(s * v for s, v in weighted) / sum(v for _, v in weighted)


def price_runs(
    series: Sequence[Point],
    sigma_pct: float | None,
    bar_volume: float | None,
    settings: SignalSettings,
    *,
    end: int | None = None,
) -> list[Run]:
    """The runs (1-3 bars, shortest first) ending at series[end - 1] (default: now) that moved
    price beyond its own normal."""
    end = len(series) if end is None else end
    runs = []
    for bars in RUN_BARS:
        if end <= bars:
            break
        before, run = series[end - 1 - bars], series[end - bars : end]
        if run[-1].ts - before.ts > BAR * bars:
            break  # a gap in the data is not speed (2024-08-05 lacks ten hours)
        ref = before.close
        down = -_pct(min(_low(p) for p in run), ref)
        up = _pct(max(_high(p) for p in run), ref)
        long = down >= up
        move = down if long else up
        close = _pct(run[-1].close, ref)
        need = price_need(bars, sigma_pct, settings)
        # The run must still stand: a wick that closed back where it began is not a flush.
        if move < need or (close > -need / 2 if long else close < need / 2):
            continue
        volumes = [p.volume for p in run if p.volume is not None]
        ratio = sum(volumes) / (bar_volume * len(volumes)) if volumes and bar_volume else None
        oi_pct = _pct(run[-1].oi, before.oi) if run[-1].oi is not None and before.oi else None
        notional = run[-1].oi_usd or before.oi_usd
        flushed, other = _liquidated(run, long), _liquidated(run, not long)
        runs.append(
            Run(
                bars,
                before.ts,
                long,
                -move if long else move,
                need,
                move / (sigma_pct * math.sqrt(bars)) if sigma_pct else None,
                ratio,
                _sell_share(run),
                oi_pct,
                flushed / notional * 100 if flushed is not None and notional else None,
                other / notional * 100 if other is not None and notional else None,
            )
        )
    return runs


def _flow_agrees(run: Run, settings: SignalSettings) -> bool:
    """Takers sold into the fall / bought into the rise (unknown: no veto)."""
    if run.sell_share is None:
        return True
    lean = run.sell_share - 0.5
    return lean >= settings.taker_lean if run.long else -lean >= settings.taker_lean


def _kind(long: bool) -> WarningKind:
    return WarningKind.LONG_SQUEEZE if long else WarningKind.SHORT_SQUEEZE


def _liquidated(series: Sequence[Point], long: bool) -> float | None:
    known = [p.liq_long_usd if long else p.liq_short_usd for p in series]
    values = [v for v in known if v is not None]
    return sum(values) if values else None


def _forced(run: Run, oi_sigma_pct: float | None, settings: SignalSettings) -> bool:
    """Heavy, one-sided, and OI already falling: positions closed, not opened."""
    if run.oi_pct is None:
        return False
    if run.volume_ratio is not None and run.volume_ratio < settings.cascade_volume_ratio:
        return False
    if not _flow_agrees(run, settings):
        return False
    oi_need = max(
        settings.early_oi_floor_pct,
        settings.early_oi_z * oi_sigma_pct * math.sqrt(run.bars) if oi_sigma_pct else 0.0,
    )
    if run.oi_pct <= -oi_need:
        return True
    # Live, the liquidation streams say it before OI does: a one-sided burst of forced closes
    # stands in for the OI drop, as long as OI is not rising (then positions are being opened
    # into the move, not force-closed).
    burst = (
        run.liq_pct is not None
        and run.liq_pct >= settings.early_liq_oi_pct
        and run.liq_pct >= 2 * (run.liq_other_pct or 0.0)
    )
    return burst and run.oi_pct <= 0


def _rebound(
    series: Sequence[Point],
    run: Run,
    sigma_pct: float | None,
    bar_volume: float | None,
    oi_sigma_pct: float | None,
    settings: SignalSettings,
) -> bool:
    """The run retraces a larger opposite cascade that ended within the OI lag before it: the
    bounce of a long cascade (OI still falling from it) is not a short squeeze. A bounce after
    a fall on rising OI is (LUNA's CPI drop, then shorts squeezed)."""
    onset = len(series) - 1 - run.bars
    return any(
        other.long != run.long
        and abs(other.move_pct) >= abs(run.move_pct)
        and _forced(other, oi_sigma_pct, settings)
        for end in range(max(1, onset - settings.squeeze_lag_bars), onset + 2)
        for other in price_runs(series, sigma_pct, bar_volume, settings, end=end)
    )


def early(
    asset: str,
    series: Sequence[Point],
    runs: list[Run],
    sigma_pct: float | None,
    bar_volume: float | None,
    oi_sigma_pct: float | None,
    settings: SignalSettings,
    age: float,
) -> Warning | None:
    run = next(
        (
            r
            for r in runs
            if _forced(r, oi_sigma_pct, settings)
            and not _rebound(series, r, sigma_pct, bar_volume, oi_sigma_pct, settings)
        ),
        None,
    )
    if run is None or run.oi_pct is None:
        return None
    who = "longs" if run.long else "shorts"
    minutes = run.bars * BAR.total_seconds() / 60
    numbers = {
        "price from onset pct": run.move_pct,
        "OI (contracts) from onset pct": run.oi_pct,
        "minutes since onset": minutes,
    }
    if run.sigmas is not None:
        numbers["price x own volatility"] = run.sigmas
    checks = [1, 2]
    if run.volume_ratio is not None:
        numbers["volume x usual"] = run.volume_ratio
        checks.append(3)
    if run.sell_share is not None:
        numbers["taker sell share pct"] = run.sell_share * 100
        checks.append(7)
    liquidated = _liquidated(series[-run.bars :], run.long)
    if liquidated is not None:
        numbers[f"{who} liquidated USD"] = liquidated
        checks.append(5)
    severity = Severity.HIGH if abs(run.move_pct) >= 3 * run.need_pct else Severity.MODERATE
    volume = f" on {run.volume_ratio:.0f}x volume" if run.volume_ratio is not None else ""
    forced = f", {who} liquidated ${liquidated / 1e6:,.1f}M" if liquidated else ""
    summary = (
        f"{asset} likely {'long' if run.long else 'short'} squeeze starting: price "
        f"{run.move_pct:+.1f}% in {minutes:.0f} min{volume}, OI {run.oi_pct:+.1f}%{forced}; "
        f"{who} are being forced out"
    )
    return Warning(
        _kind(run.long),
        severity,
        asset,
        f"{minutes:.0f}m",
        series[-1].ts,
        summary,
        numbers,
        tuple(checks),
        age,
        stage=Stage.EARLY,
        event_start=run.start,
    )


def _severity(drop: float, need: float, settings: SignalSettings) -> Severity:
    if drop >= settings.squeeze_extreme_x * need:
        return Severity.EXTREME
    return Severity.HIGH if drop >= settings.squeeze_high_x * need else Severity.MODERATE


def confirmed(
    asset: str,
    series: list[Point],
    oi: DespikedOI,
    drawdowns: dict[str, Robust | None],
    sigma_pct: float | None,
    bar_volume: float | None,
    running: bool,
    settings: SignalSettings,
    age: float,
) -> Warning | None:
    now_oi = oi.at(-1)
    raw = series[-1].oi
    if raw is not None and now_oi is not None and running:
        now_oi = min(now_oi, raw)  # price is running now: read the newest sample without lag
    if now_oi is None:
        return None
    # The window whose OI drop stands furthest beyond its own normal holds the event.
    best: tuple[float, str, int, float, float] | None = None
    longest = max(WINDOW_BARS[w] for w in SQUEEZE_WINDOWS) + settings.squeeze_lag_bars
    raw_peak = max((p.oi for p in series[-longest - 1 :] if p.oi is not None), default=None)
    if raw_peak is None or -_pct(now_oi, raw_peak) < settings.squeeze_oi_drop_pct:
        return None  # no despiked peak can stand further above now than the raw one
    tail = oi.tail(longest + 1)
    for window in SQUEEZE_WINDOWS:
        span = WINDOW_BARS[window] + settings.squeeze_lag_bars
        if len(series) <= span:
            continue
        recent = [
            (v, i)
            for i, v in enumerate(tail[-(span + 1) :], start=len(series) - 1 - span)
            if v is not None
        ]
        if not recent:
            continue
        peak, peak_at = max(recent)
        drop = -_pct(now_oi, peak)
        usual = drawdowns.get(window)
        need = settings.squeeze_oi_drop_pct
        if usual is not None:
            need = max(need, usual.median + settings.squeeze_oi_z * usual.scale)
        if drop >= need and peak_at < len(series) - 1 and (best is None or drop / need > best[0]):
            best = (drop / need, window, peak_at, drop, need)
    if best is None:
        return None
    _, window, peak_at, drop, need = best
    ref = series[peak_at].close
    since = series[peak_at + 1 :]
    # The side is where price went since the event began (the OI peak), close to close: a wick
    # either way decides nothing, and a rebound inside a long cascade stays that long cascade.
    long = series[-1].close <= ref
    move = (
        -_pct(min(_low(p) for p in since), ref) if long else _pct(max(_high(p) for p in since), ref)
    )
    elapsed = len(series) - 1 - peak_at
    if move < price_need(elapsed, sigma_pct, settings):
        return None
    volumes = [p.volume for p in since if p.volume is not None]
    ratio = sum(volumes) / (bar_volume * len(volumes)) if volumes and bar_volume else None
    if ratio is not None and ratio < settings.cascade_volume_ratio:
        return None  # a quiet OI drop is closing, not a cascade (check 3 skipped if unknown)
    # OI falls up to 40 minutes after the price shock that forced it; without such a shock on
    # this side, then and within that lag of now, the drop is closing, not a cascade
    # (2023-09-02's slow bleed, or OI still bleeding hours after a crash). The latest shock dates
    # the event: an old OI peak is not when this cascade began.
    lag = settings.squeeze_lag_bars
    onset = next(
        (
            run.start
            for end in range(len(series), max(1, peak_at - lag, len(series) - lag) - 1, -1)
            for run in price_runs(series, sigma_pct, bar_volume, settings, end=end)
            if run.long == long
        ),
        None,
    )
    if onset is None:
        return None
    who = "longs" if long else "shorts"
    numbers = {
        "OI (contracts) from peak pct": -drop,
        "price from OI peak pct": -move if long else move,
        "minutes since OI peak": elapsed * BAR.total_seconds() / 60,
    }
    checks = [1, 2]
    if ratio is not None:
        numbers["volume x usual"] = ratio
        checks.append(3)
    if series[-1].funding is not None:
        numbers["funding 8h pct"] = series[-1].funding * 100
        checks.append(4)
    liquidated = _liquidated(since, long)
    if liquidated is not None:
        numbers[f"{who} liquidated USD"] = liquidated
        checks.append(5)
    kind = _kind(long)
    summary = (
        f"{asset} {kind.replace('_', ' ')} in progress: OI {-drop:+.1f}% from its peak while "
        f"price {'fell' if long else 'rose'} {move:.1f}%; {who} are being force-closed"
    )
    return Warning(
        kind,
        _severity(drop, need, settings),
        asset,
        window,
        series[-1].ts,
        summary,
        numbers,
        tuple(checks),
        age,
        stage=Stage.CONFIRMED,
        event_start=onset,
    )
