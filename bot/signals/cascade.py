"""A forced-close cascade, read in two steps (domain brief §5, issue 11; docs/signals.md).

*Early*: within a bar or two of the onset, before OI has said much. Over the last 1-3 bars, price
ran from the close before the run (the onset) to its extreme by at least `cascade_price_z` of the
asset's own 5-minute volatility (x sqrt(bars)) and at least `cascade_price_floor_pct`, and still
stands there; one of its bars spans `cascade_bar_range_pct` by itself (a cascade is a sharp
bar: a slide of small bars is selling, not forced closing); the bars traded at least
`cascade_volume_ratio` times the usual volume; takers sold into a fall (bought into a rise), when
the venue says; and OI is already falling, by `early_oi_z` of its own 5-minute noise and at least
`early_oi_floor_pct`, or, live, one side's liquidations burst while OI is not rising. OI answers a
shock a row or two late, so a run that ended up to `early_oi_lag_bars` ago is read with its OI up
to now. A fall with OI rising is shorts opening into it, never a long squeeze (that is the
divergence reading); a bounce smaller than the cascade it follows is that cascade's, not a
squeeze of the other side.

*Confirmed*: OI (contracts) below its recent peak by more than the asset's usual drawdown
(`squeeze_oi_z` robust deviations) and at least `squeeze_oi_drop_pct`, after a price shock of the
side that price has moved since that peak (close to close: the move since the event began, and
still standing), on heavy volume, the drop being that shock's own. While price is still running
the newest OI sample is read raw: the despiking median (kept against one-sample glitches) would
cost a bar.

Each warning carries its onset as `event_start`; bot.signals.events makes the stages one event.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.signals.change import signed_change
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import BAR, WINDOW_BARS, DespikedOI, Point, bar_high, bar_low
from bot.signals.thresholds import Robust, SignalSettings
from bot.signals.warning import SignalWarning

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
    onset: int = 0  # index of the close before the run
    start_oi: float | None = None  # raw OI at that close
    sharpest_pct: float | None = None  # the run's largest single-bar true range, % (no kline: None)


def _pct(now: float, then: float) -> float:
    return (now / then - 1) * 100 if then else 0.0


def _sharpest(bars: Sequence[Point]) -> float | None:
    """The largest true range of a bar after the first: from the close before it to its high
    and low. Unknown (None) when a bar has no kline: the closes of a mark proxy understate a
    bar's range (on 2025-02-03 they would hide the whole flush), so they cannot veto."""
    if any(bar.high is None or bar.low is None for bar in bars[1:]):
        return None
    return max(
        _pct(max(bar_high(bar), before.close), min(bar_low(bar), before.close))
        for before, bar in itertools.pairwise(bars)
    )


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
    # Every tick reads three to a dozen ends, and nearly all runs fail on price alone: the
    # lows and highs of the longest run are extracted once, each run's are their tail.
    longest = series[max(0, end - RUN_BARS[-1]) : end]
    lows, highs = [bar_low(p) for p in longest], [bar_high(p) for p in longest]
    for bars in RUN_BARS:
        if end <= bars:
            break
        before = series[end - 1 - bars]
        ref = before.close
        down = -_pct(min(lows[-bars:]), ref)
        up = _pct(max(highs[-bars:]), ref)
        long = down >= up
        move = down if long else up
        if move < settings.cascade_price_floor_pct:
            continue  # below the floor, below any need: skip the rest
        # A gap in the data is not speed (2024-08-05 lacks ten hours): no run reaches across
        # one, so a gap inside a shorter run (skipped above on price) ends the search too.
        if any(longest[-1].ts - series[end - 1 - k].ts > BAR * k for k in range(1, bars + 1)):
            break
        run = series[end - bars : end]
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
                end - 1 - bars,
                before.oi,
                _sharpest(series[end - 1 - bars : end]),
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


def _oi_need(bars: int, oi_sigma_pct: float | None, settings: SignalSettings) -> float:
    """An OI move over `bars` bars that is more than the asset's own noise."""
    scaled = settings.early_oi_z * oi_sigma_pct * math.sqrt(bars) if oi_sigma_pct else 0.0
    return max(settings.early_oi_floor_pct, scaled)


def _forced(run: Run, oi_sigma_pct: float | None, settings: SignalSettings) -> bool:
    """Heavy, one-sided, and OI already falling: positions closed, not opened."""
    if run.oi_pct is None:
        return False
    if run.volume_ratio is not None and run.volume_ratio < settings.cascade_volume_ratio:
        return False
    if not _flow_agrees(run, settings):
        return False
    if run.oi_pct <= -_oi_need(run.bars, oi_sigma_pct, settings):
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
    last = len(series) - 1

    def forced(other: Run) -> bool:
        # OI answers a shock a row late (2023-10-23 18:45 fell 2 % with OI +0.6 %, then OI
        # fell 2.2 % in the bounce bar): the earlier run's OI is read one row past its end.
        next_row = series[min(other.onset + other.bars + 1, last)].oi
        return _forced(_oi_until(other, next_row), oi_sigma_pct, settings)

    others = [
        other
        for end in range(max(1, run.onset - settings.squeeze_lag_bars), run.onset + 2)
        for other in price_runs(series, sigma_pct, bar_volume, settings, end=end)
        if other.long != run.long
    ]
    # The cascade's size is its deepest run, forced or not (its first bars may close before OI
    # says so: 2023-03-10 01:05-01:20 fell 1.4 %, OI confirmed only the last 1 %).
    deepest = max((abs(other.move_pct) for other in others), default=0.0)
    return deepest >= abs(run.move_pct) and any(forced(other) for other in others)


def _oi_until(run: Run, oi: float | None) -> Run:
    """The run with its OI change read from its onset to a later sample, if lower."""
    if oi is None or not run.start_oi:
        return run
    return replace(run, oi_pct=min(run.oi_pct or 0.0, _pct(oi, run.start_oi)))


def _lagged_runs(
    series: Sequence[Point],
    runs: list[Run],
    sigma_pct: float | None,
    bar_volume: float | None,
    settings: SignalSettings,
) -> Iterator[Run]:
    """OI answers a shock a row or two late (2022-05-11 20:55 fell 2.8 % with OI flat, then OI
    fell 2.8 % over the next two rows): the runs that ended up to `early_oi_lag_bars` ago, and stood
    when they ended, read with their OI up to now, unless price has run the other way since
    (then the later OI drop may be that run's: 2022-05-12 04:30 bounced 2.4 % on it). Lazy: a
    tick with a current flush never looks back."""
    sides = {r.long for r in runs}
    for end in range(len(series) - 1, len(series) - 1 - settings.early_oi_lag_bars, -1):
        found = price_runs(series, sigma_pct, bar_volume, settings, end=end)
        yield from (_oi_until(r, series[-1].oi) for r in found if not (sides - {r.long}))
        sides |= {r.long for r in found}


def flow_texts(volume_ratio: float | None, who: str, liquidated: float | None) -> tuple[str, str]:
    """The volume and liquidation clauses of a price-run sentence (empty when unknown)."""
    volume = f" on {volume_ratio:.0f}x volume" if volume_ratio is not None else ""
    forced = f", {who} liquidated ${liquidated / 1e6:,.1f}M" if liquidated else ""
    return volume, forced


def early(
    asset: str,
    series: Sequence[Point],
    runs: list[Run],
    sigma_pct: float | None,
    bar_volume: float | None,
    oi_sigma_pct: float | None,
    settings: SignalSettings,
    age: float,
) -> SignalWarning | None:
    run = next(
        (
            r
            for r in itertools.chain(
                runs, _lagged_runs(series, runs, sigma_pct, bar_volume, settings)
            )
            # One sharp bar, as the onset rule's flush bar: the slides of small bars that rang
            # off-event (SVB 2023-03-09 16:50, 0.8 % at most per bar) are selling, not forced
            # closing. Confirmation stays as it was: it rests on OI beyond its own drawdowns.
            if (r.sharpest_pct is None or r.sharpest_pct >= settings.cascade_bar_range_pct)
            and _forced(r, oi_sigma_pct, settings)
            and not _rebound(series, r, sigma_pct, bar_volume, oi_sigma_pct, settings)
        ),
        None,
    )
    if run is None or run.oi_pct is None:
        return None
    who = "longs" if run.long else "shorts"
    minutes = (len(series) - 1 - run.onset) * BAR.total_seconds() / 60
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
    liquidated = _liquidated(series[run.onset + 1 :], run.long)
    if liquidated is not None:
        numbers[f"{who} liquidated USD"] = liquidated
        checks.append(5)
    severity = Severity.HIGH if abs(run.move_pct) >= 3 * run.need_pct else Severity.MODERATE
    volume, forced = flow_texts(run.volume_ratio, who, liquidated)
    summary = (
        f"{asset} likely {'long' if run.long else 'short'} squeeze starting: price "
        f"{signed_change(run.move_pct)}% in {minutes:.0f} min{volume}, "
        f"OI {signed_change(run.oi_pct)}%{forced}; {who} are being forced out"
    )
    return SignalWarning(
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
) -> SignalWarning | None:
    now_oi = oi.at(-1)
    raw = series[-1].oi
    if raw is not None and now_oi is not None and running:
        now_oi = min(now_oi, raw)  # price is running now: read the newest sample without lag
    if now_oi is None:
        return None
    # The window whose OI drop stands furthest beyond its own normal holds the event.
    best: tuple[float, str, int, float, float] | None = None
    longest = max(WINDOW_BARS[w] for w in SQUEEZE_WINDOWS) + settings.squeeze_lag_bars
    raw_peak = max([p.oi for p in series[-longest - 1 :] if p.oi is not None], default=None)
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
        # Ties go to the earlier bar: with flat OI the despiked value of the newest bar can equal
        # the peak, and a peak on the newest bar leaves no drop to confirm.
        peak, peak_at = max(recent, key=lambda sample: (sample[0], -sample[1]))
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
    # The despiked peak is the median of three samples: the close that goes with it is the one
    # of the raw sample it came from, not the bar that followed (2023-10-23 22:45, whose close
    # is already 5 % up from the OI it is stamped with, made a long squeeze of the fade).
    despiked_peak = oi.at(peak_at)
    peak_at = next(
        (i for i in range(peak_at, peak_at - 3, -1) if series[i].oi == despiked_peak), peak_at
    )
    ref = series[peak_at].close
    since = series[peak_at + 1 :]
    # The side is where price went since the event began (the OI peak), close to close: a wick
    # either way decides nothing, and a rebound inside a long cascade stays that long cascade.
    long = series[-1].close <= ref
    move = (
        -_pct(min(bar_low(p) for p in since), ref)
        if long
        else _pct(max(bar_high(p) for p in since), ref)
    )
    elapsed = len(series) - 1 - peak_at
    need_move = price_need(elapsed, sigma_pct, settings)
    # ...and still stands there, as a run must: a close back near the peak's says no side
    # (2025-04-07 14:25, +4 % then -2.6 %, closed 0.3 % from the OI peak's close).
    if move < need_move or abs(_pct(series[-1].close, ref)) < need_move / 2:
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
    shock = next(
        (
            run
            for end in range(len(series), max(1, peak_at - lag, len(series) - lag) - 1, -1)
            for run in price_runs(series, sigma_pct, bar_volume, settings, end=end)
            if run.long == long
        ),
        None,
    )
    if shock is None:
        return None
    onset = shock.start
    # The OI drop must be this shock's: most of it after the lag before the shock's onset.
    after_lag = [v for v in tail[-(len(series) - shock.onset + lag) :] if v is not None]
    if after_lag and -_pct(now_oi, max(after_lag)) < need:
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
        f"{asset} {kind.replace('_', ' ')} in progress: OI {signed_change(-drop)}% from its peak "
        f"while price {'fell' if long else 'rose'} {move:.1f}%; {who} are being force-closed"
    )
    return SignalWarning(
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
