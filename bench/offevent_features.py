"""What sets the off-event squeeze warnings apart from the true events' first ones? (issue 11)

Replays every real window of a folder (default tests/data/real) as `oiwatch evaluate` does, with
the engine as it was before the sharp-bar check (`cascade_bar_range_pct` 0), then takes two
groups of messages: the first squeeze message of each labelled event (its side, near
it) and every off-event squeeze message. For each, at its own tick and on the past only (the
baselines as the replay had them, refreshed hourly), over the span from its `event_start` (the
onset: the close before the run) to the tick:

- `move`: price from the onset's close to the span's extreme toward the side, %, and `sig`
  the same in the asset's own 5-minute deviations x sqrt(bars);
- `bar`: the largest single-bar excursion toward the side, from the bar's previous close to its
  low (longs) / high (shorts), %; `bar_sig` in 5-minute deviations; `range` the largest bar's
  true range (from the close before it to its high and low; the proxy's close-to-close move
  without klines), as the engine's `cascade_bar_range_pct` reads it; `share` the part of the
  move made by that one bar;
- `oi`: raw OI (contracts) from the onset to now, %; `oi_sig` in the asset's own 5-minute OI
  deviations x sqrt(bars); `oi_bar` the largest one-row OI drop in the span (and the row after
  it when known), %;
- `vol`: span volume / (usual bar x bars), `-` when there are no klines;
- `flush`: a bar of the span whose range is >= 1 % while OI falls >= 1 % from the row before
  it to the row after it (or to now, if that row is not known yet): the labelling rule read
  causally.

    .venv/bin/python bench/offevent_features.py [folder]
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from bot.signals.engine import Baselines, baselines
from bot.signals.kinds import WarningKind
from bot.signals.labels import windows
from bot.signals.replay import BASELINE_EVERY, load_binance_metrics
from bot.signals.scorecard import EARLY_SLACK, LATE_LIMIT, evaluate_folder
from bot.signals.series import Point
from bot.signals.thresholds import DEFAULT_SETTINGS
from bot.signals.warning import SignalWarning

FLUSH_PCT = 1.0  # the labelling rule's range and OI marks
WITHOUT_SHARP_BAR = replace(DEFAULT_SETTINGS, cascade_bar_range_pct=0.0)


@dataclass(frozen=True)
class Features:
    group: str  # "event" or "off"
    window: str
    ts: str
    side: str
    stage: str
    minutes: float
    move: float
    sig: float | None
    bar: float
    bar_sig: float | None
    range_pct: float
    share: float
    oi: float
    oi_sig: float | None
    oi_bar: float
    vol: float | None
    flush: bool


def _pct(now: float, then: float) -> float:
    return (now / then - 1) * 100


def _base_at(points: list[Point], i: int) -> Baselines:
    """The baselines replay() used at its step i (points[:i] seen), refreshed hourly."""
    at = (i // BASELINE_EVERY) * BASELINE_EVERY
    return baselines(points[: at if at >= 1 else 1])


def features(group: str, window: str, points: list[Point], warning: SignalWarning) -> Features:
    now = next(i for i, p in enumerate(points) if p.ts == warning.ts)
    start = warning.event_start or warning.ts
    onset = next(i for i, p in enumerate(points) if p.ts == start)
    base = _base_at(points, now + 1)
    long = warning.kind == WarningKind.LONG_SQUEEZE
    sign = -1 if long else 1
    ref = points[onset].close
    span = points[onset + 1 : now + 1]
    bars = max(1, len(span))

    def extreme(p: Point) -> float:
        if long:
            return p.low if p.low is not None else p.close
        return p.high if p.high is not None else p.close

    move = max(sign * _pct(extreme(p), ref) for p in span)
    singles, ranges, oi_drops = [], [], []
    flush = False
    for j in range(onset + 1, now + 1):
        prev, bar = points[j - 1], points[j]
        singles.append(sign * _pct(extreme(bar), prev.close))
        high = max(bar.high if bar.high is not None else bar.close, prev.close)
        low = min(bar.low if bar.low is not None else bar.close, prev.close)
        ranges.append(_pct(high, low))
        after = points[min(j + 1, now)].oi
        if prev.oi and bar.oi is not None and after is not None:
            drop = _pct(min(bar.oi, after), prev.oi)
            oi_drops.append(drop)
            flush |= ranges[-1] >= FLUSH_PCT and _pct(after, prev.oi) <= -FLUSH_PCT
    sigma, oi_sigma = base.price_sigma_pct, base.oi_sigma_pct
    oi = _pct(points[now].oi or 0.0, points[onset].oi or 1.0)
    volumes = [p.volume for p in span if p.volume is not None]
    vol = sum(volumes) / (base.bar_volume * len(volumes)) if volumes and base.bar_volume else None
    best = max(singles)
    return Features(
        group,
        window,
        f"{warning.ts:%m-%d %H:%M}",
        "long" if long else "short",
        str(warning.stage),
        (warning.ts - start).total_seconds() / 60,
        move,
        move / (sigma * math.sqrt(bars)) if sigma else None,
        best,
        best / sigma if sigma else None,
        max(ranges),
        best / move if move > 0 else 0.0,
        oi,
        -oi / (oi_sigma * math.sqrt(bars)) if oi_sigma else None,
        min(oi_drops, default=0.0),
        vol,
        flush,
    )


def collect(folder: Path) -> list[Features]:
    card = evaluate_folder(folder, settings=WITHOUT_SHARP_BAR)
    files = {w.name: w.files for w in windows(folder)}
    rows = []
    for w in card.windows:
        points = load_binance_metrics(files[w.window])
        firsts = []
        for e in w.events:
            mine = [
                x
                for x in w.warnings
                if x.kind == e.event.kind
                and x.stage != "over"
                and e.event.onset - EARLY_SLACK <= x.ts <= e.event.last_flush + LATE_LIMIT
            ]
            if mine:
                firsts.append(mine[0])
        rows += [features("event", w.window, points, x) for x in firsts]
        rows += [features("off", w.window, points, x) for x in w.off_event]
    return rows


def _f(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main(folder: Path) -> None:
    rows = collect(folder)
    print(
        "| group | window | tick | side | stage | min | move % | move σ | bar % | bar σ | range % "
        "| bar share | OI % | OI σ | OI row % | vol x | flush bar |"
    )
    print("| --- " * 17 + "|")
    for r in sorted(rows, key=lambda r: (r.group, r.window, r.ts)):
        print(
            f"| {r.group} | {r.window} | {r.ts} | {r.side} | {r.stage} | {r.minutes:.0f} "
            f"| {r.move:.2f} | {_f(r.sig, 1)} | {r.bar:.2f} | {_f(r.bar_sig, 1)} "
            f"| {r.range_pct:.2f} | {r.share:.2f} | {r.oi:.2f} | {_f(r.oi_sig, 1)} "
            f"| {r.oi_bar:.2f} | {_f(r.vol, 1)} | {'yes' if r.flush else 'no'} |"
        )
    mark = DEFAULT_SETTINGS.cascade_bar_range_pct
    print(f"\nlargest bar range >= {mark:g} % (the default cascade_bar_range_pct), per group:")
    for group in ("event", "off"):
        for stage in ("early", "confirmed"):
            mine = [r for r in rows if r.group == group and r.stage == stage]
            sharp = sum(1 for r in mine if r.range_pct >= mark)
            print(f"  {group} {stage}: {sharp} of {len(mine)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/data/real"))
