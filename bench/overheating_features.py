"""Does anything in the data announce a cascade 30 minutes or more ahead? (issue 11, part 3)

For every real window of a folder (default tests/data/real) and every 5-minute point, candidate
pre-cascade features are computed on the past only, each against the asset's own last 24 h, and
signed toward the side that builds up (+ longs piling in, - shorts):

- oi1h, oi4h: OI (contracts) growth over the hour / 4 hours in robust deviations of its own
  changes, signed by the price move over the same span (zero when OI does not grow);
- lev1h, lev4h: leverage built per unit of price move: contracts growth (OI notional growth
  minus price growth) / max(|price %|, 0.25), signed by the price move;
- funding: the 8h-equivalent rate, %;
- ls_level, ls_1h: the accounts' long/short ratio against its 24 h median, and its 1 h change,
  in robust deviations; top_1h: the same change for top traders' positions;
- taker_1h: taker buy share of the hour's volume minus one half, in points.

A feature "fires" at a threshold when |value| >= threshold; an episode is a run of firing points
on one side (30 quiet minutes end it). Printed per feature and threshold: the labelled onsets
with an episode of the side later flushed 30 min to 6 h before, and the episodes per day in the
hours before onsets (6 h to 30 min), on the calm days, and in the other hours of the event
windows. A feature that separates fires more before onsets than in the other hours; one that
only fires on volatile days fires as often in both.

Then the engine's own overheating warnings, replayed as `oiwatch evaluate` does: each with the
first labelled onset within 6 h after it, whether that cascade flushed the side the warning
named (a reversal) or the other (the move went on), and the warnings no cascade followed, per day.

    .venv/bin/python bench/overheating_features.py [folder]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.signals.labels import LabelledEvent, read_events, windows
from bot.signals.replay import load_binance_metrics
from bot.signals.scorecard import OVERHEATING_BEFORE, evaluate_folder
from bot.signals.series import Point
from bot.signals.thresholds import robust

HISTORY = 288  # 24 h of 5-minute points
QUIET = timedelta(minutes=30)
LEAD_MIN, LEAD_MAX = timedelta(minutes=30), timedelta(hours=6)
AFTER = timedelta(hours=1)
THRESHOLDS = {"funding": (0.01, 0.02, 0.03)}
DEFAULT_THRESHOLDS = (2.0, 3.0, 4.0, 6.0)
FEATURES = (
    "oi1h",
    "oi4h",
    "lev1h",
    "lev4h",
    "funding",
    "ls_level",
    "ls_1h",
    "top_1h",
    "taker_1h",
)


def _pct(now: float | None, then: float | None) -> float | None:
    return (now / then - 1) * 100 if now and then else None


def _z(value: float, history: list[float]) -> float | None:
    found = robust(history, 48)
    return (value - found.median) / found.scale if found and found.scale > 0 else None


def _changes(
    points: list[Point], i: int, bars: int, field: Callable[[Point], float | None]
) -> list[float]:
    """The field's `bars`-bar changes, % , over the 24 h before point i (and at it)."""
    out = []
    for j in range(max(bars, i - HISTORY), i + 1):
        change = _pct(field(points[j]), field(points[j - bars]))
        if change is not None:
            out.append(change)
    return out


def features(points: list[Point], i: int) -> dict[str, float]:
    p, found = points[i], {}
    for name, bars in (("1h", 12), ("4h", 48)):
        if i < bars:
            continue
        oi, price = _pct(p.oi, points[i - bars].oi), _pct(p.close, points[i - bars].close)
        if oi is None or price is None:
            continue
        side = 1.0 if price >= 0 else -1.0
        z = _z(oi, _changes(points, i, bars, lambda q: q.oi))
        if z is not None:
            found[f"oi{name}"] = side * max(z, 0.0)
        found[f"lev{name}"] = side * max(oi, 0.0) / max(abs(price), 0.25)
    if p.funding is not None:
        found["funding"] = p.funding * 100
    history = [q.long_short_ratio for q in points[max(0, i - HISTORY) : i + 1]]
    known = [v for v in history if v is not None]
    if p.long_short_ratio is not None:
        level = _z(p.long_short_ratio, known)
        if level is not None:
            found["ls_level"] = level
    for name, field in (
        ("ls_1h", lambda q: q.long_short_ratio),
        ("top_1h", lambda q: q.top_long_short_ratio),
    ):
        change = _pct(field(p), field(points[i - 12])) if i >= 12 else None
        z = _z(change, _changes(points, i, 12, field)) if change is not None else None
        if z is not None:
            found[name] = z
    flow = [(q.taker_sell_share, q.volume or 1.0) for q in points[max(0, i - 11) : i + 1]]
    flow = [(s, v) for s, v in flow if s is not None]
    if flow:
        found["taker_1h"] = (0.5 - sum(s * v for s, v in flow) / sum(v for _, v in flow)) * 100
    return found


@dataclass
class Window:
    calm: bool
    days: float
    events: list[LabelledEvent]
    stamps: list[datetime]
    values: list[dict[str, float]]


def _episodes(window: Window, feature: str, threshold: float) -> list[tuple[datetime, int]]:
    found: list[tuple[datetime, int]] = []
    last: tuple[datetime, int] | None = None
    for ts, values in zip(window.stamps, window.values, strict=True):
        value = values.get(feature)
        if value is None or abs(value) < threshold:
            continue
        side = 1 if value > 0 else -1
        if last is None or ts - last[0] > QUIET or last[1] != side:
            found.append((ts, side))
        last = (ts, side)
    return found


def _before(event: LabelledEvent, ts: datetime) -> bool:
    return event.onset - LEAD_MAX <= ts <= event.onset - LEAD_MIN


def _hours(window: Window, keep: Callable[[datetime], bool]) -> float:
    return sum(1 for ts in window.stamps if keep(ts)) / 12


def main(folder: Path) -> None:
    labelled = read_events(folder / "events.csv")
    loaded = []
    for found in windows(folder):
        points = load_binance_metrics(found.files)
        stamps = [p.ts for p in points if p.oi is not None]
        values = [features(points, i) for i, p in enumerate(points) if p.oi is not None]
        days = (points[-1].ts - points[0].ts).total_seconds() / 86400
        events = [e for e in labelled if e.window == found.name]
        loaded.append(Window(found.calm, days, events, stamps, values))
    print(f"{len(labelled)} onsets in {len(loaded)} windows; episodes per day in each class")
    print(
        "| feature | threshold | onsets led >= 30 min | before onsets | calm days | other hours |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for feature in FEATURES:
        for threshold in THRESHOLDS.get(feature, DEFAULT_THRESHOLDS):
            led = before = calm = other = 0
            hours = {"before": 0.0, "calm": 0.0, "other": 0.0}
            for w in loaded:
                episodes = _episodes(w, feature, threshold)
                if w.calm:
                    calm += len(episodes)
                    hours["calm"] += w.days * 24
                    continue

                def near(ts: datetime, w: Window = w) -> bool:
                    return any(e.onset - LEAD_MAX <= ts <= e.last_flush + AFTER for e in w.events)

                def ahead(ts: datetime, w: Window = w) -> bool:
                    return any(_before(e, ts) for e in w.events)

                for e in w.events:
                    side = 1 if e.kind == "long_squeeze" else -1
                    led += any(s == side and _before(e, ts) for ts, s in episodes)
                before += sum(1 for ts, _ in episodes if ahead(ts))
                other += sum(1 for ts, _ in episodes if not near(ts))
                hours["before"] += _hours(w, ahead)
                hours["other"] += _hours(w, lambda ts, near=near: not near(ts))
            rates = [
                n / (hours[k] / 24) if hours[k] else 0.0
                for n, k in ((before, "before"), (calm, "calm"), (other, "other"))
            ]
            print(
                f"| {feature} | {threshold:g} | {led} | "
                + " | ".join(f"{r:.2f}" for r in rates)
                + " |"
            )


def engine_warnings(folder: Path) -> None:
    """What followed each overheating warning of the engine, by the events file."""
    card = evaluate_folder(folder)
    named = other = alone = 0
    days = calm_days = 0.0
    calm_alone = 0
    print("\n| window | overheating | window read | next onset within 6 h | minutes | side |")
    print("| --- | --- | --- | --- | --- | --- |")
    for w in card.windows:
        days += w.days
        calm_days += w.days if w.calm else 0.0
        onsets = [e.event for e in w.events]
        for warning in w.overheating:
            after = [e for e in onsets if warning.ts <= e.onset <= warning.ts + LEAD_MAX]
            if not after:
                alone += 1
                calm_alone += w.calm
                print(
                    f"| {w.window} | {warning.ts:%m-%d %H:%M} {warning.kind} | {warning.window} "
                    "| none | - | - |"
                )
                continue
            first = after[0]
            same = OVERHEATING_BEFORE[first.kind] == warning.kind
            named += same
            other += not same
            minutes = (first.onset - warning.ts).total_seconds() / 60
            print(
                f"| {w.window} | {warning.ts:%m-%d %H:%M} {warning.kind} | {warning.window} | "
                f"{first.onset:%m-%d %H:%M} {first.kind} | {minutes:.0f} | "
                f"{'named side flushed' if same else 'other side flushed'} |"
            )
    print(
        f"{named + other + alone} overheating warnings: {named} before a cascade of the side "
        f"they named, {other} before one of the other side, {alone} before none "
        f"({alone / days:.2f} a day over {days:.1f} days; "
        f"{calm_alone} on {calm_days:.1f} calm days)"
    )


if __name__ == "__main__":
    chosen = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/data/real")
    main(chosen)
    engine_warnings(chosen)
