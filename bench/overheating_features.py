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
- taker_1h: taker buy share of the hour's volume minus one half, in points;
- relev_price, relev_ls, relev_flushed: re-leveraging after a flush. A flush bar is the events
  file's rule (range >= 1 %, OI down >= 1 % from the row before to the row after it), read a
  row late as it would be live; within `RELEV_HOURS` of the latest one, OI (median of three)
  rebuilt from its lowest since that bar, in robust deviations of its own 1 h changes; the side
  is the price since that low, the accounts' long/short ratio since that low, or the side the
  flush had just flushed (the dip is bought again);
- absorb1h, absorb4h: absorption, OI growing (oi1h / oi4h, own deviations) while price stalls
  (the span's high-low range at most `STALL` x its own 5-minute deviation x sqrt(bars)); the
  side is the accounts' long/short ratio over the span (price says nothing when it stalls);
- oi1h_ls, oi1h_top, oi4h_ls: OI growth AND a crowding ratio moving the same span: the smaller
  of the two in own deviations, the side taken from the ratio (accounts' long/short, top
  traders' positions), not from price.

A feature "fires" at a threshold when |value| >= threshold; an episode is a run of firing points
on one side (30 quiet minutes end it). Printed per feature and threshold: the labelled onsets
with an episode of the side later flushed 30 min to 6 h before, and the episodes per day in the
hours before onsets (6 h to 30 min), on the calm days, and in the other hours of the event
windows, and of the episodes before onsets the share whose side the next onset flushed. A
feature that separates fires more before onsets than in the other hours and names the flushed
side more often than not; one that only fires on volatile days fires as often in both.

Then the engine's own overheating warnings, replayed as `oiwatch evaluate` does: each with the
first labelled onset within 6 h after it, whether that cascade flushed the side the warning
named (a reversal) or the other (the move went on), and the warnings no cascade followed, per day.

    .venv/bin/python bench/overheating_features.py [folder]
    .venv/bin/python bench/overheating_features.py --episodes top_1h 6 [folder]
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
CLASSES = ("before", "near", "other", "calm")
RELEV_HOURS = 12
STALL = 1.5  # a stalled span's range, in its own 5-minute deviations x sqrt(bars)
FLUSH_PCT = 1.0  # the events file's flush bar: range and OI drop, %
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
    "relev_price",
    "relev_ls",
    "relev_flushed",
    "absorb1h",
    "absorb4h",
    "oi1h_ls",
    "oi1h_top",
    "oi4h_ls",
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


def _sign(value: float) -> float:
    return 1.0 if value >= 0 else -1.0


def _despiked(points: list[Point], i: int) -> float | None:
    known = [q.oi for q in points[max(0, i - 2) : i + 1] if q.oi is not None]
    return sorted(known)[len(known) // 2] if known else None


def _flush(points: list[Point], j: int) -> float:
    """+1 when bar j flushed longs, -1 shorts, 0 when it was no flush bar (needs row j + 1)."""
    before, bar, after = points[j - 1], points[j], points[j + 1]
    oi = _pct(after.oi, before.oi)
    if oi is None or oi > -FLUSH_PCT:
        return 0.0
    low = bar.low if bar.low is not None else min(bar.close, before.close)
    high = bar.high if bar.high is not None else max(bar.close, before.close)
    if (high / low - 1) * 100 < FLUSH_PCT:
        return 0.0
    return 1.0 if bar.close < before.close else -1.0


def _releverage(points: list[Point], i: int, scale: float) -> dict[str, float]:
    """OI rebuilt from its low since the latest flush bar within RELEV_HOURS, own deviations."""
    for j in range(i - 1, max(0, i - RELEV_HOURS * 12), -1):
        flushed = _flush(points, j)
        if flushed:
            break
    else:
        return {}
    lows = [(oi, k) for k in range(j + 1, i + 1) if (oi := _despiked(points, k)) is not None]
    now = _despiked(points, i)
    if not lows or now is None:
        return {}
    low, at = min(lows)
    rebuilt = max(_pct(now, low) or 0.0, 0.0) / scale
    found = {
        "relev_price": _sign(points[i].close - points[at].close) * rebuilt,
        "relev_flushed": flushed * rebuilt,
    }
    ls_now, ls_then = points[i].long_short_ratio, points[at].long_short_ratio
    if ls_now is not None and ls_then is not None:
        found["relev_ls"] = _sign(ls_now - ls_then) * rebuilt
    return found


def _stalled(points: list[Point], i: int, bars: int) -> bool | None:
    """Whether price's range over the span stayed within STALL of its own deviation."""
    span = points[i - bars : i + 1]
    found = robust(_changes(points, i, 1, lambda q: q.close), 48)
    if found is None or found.scale <= 0:
        return None
    high = max(q.high if q.high is not None else q.close for q in span)
    low = min(q.low if q.low is not None else q.close for q in span)
    return (high / low - 1) * 100 <= STALL * found.scale * bars**0.5


def _ratio_z(
    points: list[Point], i: int, bars: int, field: Callable[[Point], float | None]
) -> float | None:
    change = _pct(field(points[i]), field(points[i - bars])) if i >= bars else None
    return _z(change, _changes(points, i, bars, field)) if change is not None else None


def _crowding(points: list[Point], i: int, growth: dict[str, float]) -> dict[str, float]:
    """Absorption and OI growth with a crowding ratio; the side from the ratio, never price."""
    found = {}
    accounts, top = (lambda q: q.long_short_ratio), (lambda q: q.top_long_short_ratio)
    for name, bars in (("1h", 12), ("4h", 48)):
        oi = growth.get(name)
        ls = _ratio_z(points, i, bars, accounts)
        if oi is None or ls is None:
            continue
        if _stalled(points, i, bars):
            found[f"absorb{name}"] = _sign(ls) * oi
        found[f"oi{name}_ls"] = _sign(ls) * min(oi, abs(ls))
    top_z = _ratio_z(points, i, 12, top)
    if "1h" in growth and top_z is not None:
        found["oi1h_top"] = _sign(top_z) * min(growth["1h"], abs(top_z))
    return found


def features(points: list[Point], i: int) -> dict[str, float]:
    p, found, growth = points[i], {}, {}
    for name, bars in (("1h", 12), ("4h", 48)):
        if i < bars:
            continue
        oi, price = _pct(p.oi, points[i - bars].oi), _pct(p.close, points[i - bars].close)
        if oi is None or price is None:
            continue
        side = 1.0 if price >= 0 else -1.0
        changes = _changes(points, i, bars, lambda q: q.oi)
        z = _z(oi, changes)
        if z is not None:
            growth[name] = max(z, 0.0)
            found[f"oi{name}"] = side * growth[name]
        scale = robust(changes, 48)
        if name == "1h" and scale and scale.scale > 0:
            found.update(_releverage(points, i, scale.scale))
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
        z = _ratio_z(points, i, 12, field)
        if z is not None:
            found[name] = z
    found.update(_crowding(points, i, growth))
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


def _side(event: LabelledEvent) -> int:
    return 1 if event.kind == "long_squeeze" else -1


def _class(window: Window, ts: datetime) -> str:
    """before (6 h to 30 min before an onset), near (the rest up to 1 h past its last flush
    bar), other (the event window's remaining hours) or calm (a calm window)."""
    if window.calm:
        return "calm"
    if any(_before(e, ts) for e in window.events):
        return "before"
    if any(e.onset - LEAD_MAX <= ts <= e.last_flush + AFTER for e in window.events):
        return "near"
    return "other"


def _row(loaded: list[Window], feature: str, threshold: float) -> str:
    led = named = 0
    episodes = dict.fromkeys(CLASSES, 0)
    hours = dict.fromkeys(CLASSES, 0.0)
    defined = dict.fromkeys(CLASSES, 0)
    firing = dict.fromkeys(CLASSES, 0)
    for w in loaded:
        found = _episodes(w, feature, threshold)
        classes = [_class(w, ts) for ts in w.stamps]
        for kind, values in zip(classes, w.values, strict=True):
            hours[kind] += 1 / 12
            if feature in values:
                defined[kind] += 1
                firing[kind] += abs(values[feature]) >= threshold
        led += sum(any(s == _side(e) and _before(e, ts) for ts, s in found) for e in w.events)
        for ts, side in found:
            kind = _class(w, ts)
            episodes[kind] += 1
            if kind == "before":
                following = next(e for e in w.events if _before(e, ts))
                named += side == _side(following)
    rates = [episodes[k] / hours[k] * 24 if hours[k] else 0.0 for k in ("before", "calm", "other")]
    share = [firing[k] / defined[k] * 100 if defined[k] else 0.0 for k in ("before", "other")]
    return (
        f"| {feature} | {threshold:g} | {led} | "
        + " | ".join(f"{r:.2f}" for r in rates)
        + f" | {share[0]:.1f} % / {share[1]:.1f} % | "
        + (f"{named}/{episodes['before']} |" if episodes["before"] else "- |")
    )


def _load(folder: Path) -> list[Window]:
    labelled = read_events(folder / "events.csv")
    loaded = []
    for found in windows(folder):
        points = load_binance_metrics(found.files)
        stamps = [p.ts for p in points if p.oi is not None]
        values = [features(points, i) for i, p in enumerate(points) if p.oi is not None]
        days = (points[-1].ts - points[0].ts).total_seconds() / 86400
        events = [e for e in labelled if e.window == found.name]
        loaded.append(Window(found.calm, days, events, stamps, values))
    return loaded


def list_episodes(loaded: list[Window], feature: str, threshold: float) -> None:
    """Every episode of one feature, its class and the onset it came before."""
    for w in loaded:
        for ts, side in _episodes(w, feature, threshold):
            kind = _class(w, ts)
            following = next((e for e in w.events if _before(e, ts)), None)
            then = f" {following.onset:%m-%d %H:%M} {following.kind}" if following else ""
            print(f"{ts:%Y-%m-%d %H:%M} {'long' if side > 0 else 'short'} {kind}{then}")


def main(loaded: list[Window]) -> None:
    onsets = sum(len(w.events) for w in loaded)
    print(f"{onsets} onsets in {len(loaded)} windows; episodes per day in each class")
    print(
        "| feature | threshold | onsets led >= 30 min | before onsets | calm days | other hours "
        "| time firing, before / other | side flushed next |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for feature in FEATURES:
        for threshold in THRESHOLDS.get(feature, DEFAULT_THRESHOLDS):
            print(_row(loaded, feature, threshold))


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
    args = sys.argv[1:]
    if "--episodes" in args:
        at = args.index("--episodes")
        feature, threshold = args[at + 1], float(args[at + 2])
        del args[at : at + 3]
        chosen = Path(args[0]) if args else Path("tests/data/real")
        list_episodes(_load(chosen), feature, threshold)
    else:
        chosen = Path(args[0]) if args else Path("tests/data/real")
        main(_load(chosen))
        engine_warnings(chosen)
