"""The engine against labelled real events: how early, how right, how quiet.

For each window of a folder (bot.signals.labels) the engine replays the past only, bar by bar,
through the CascadeTracker, exactly as `oiwatch replay` does. Then, per labelled event:

- *warned*: a squeeze warning of the event's side from `EARLY_SLACK` before the onset to
  `LATE_LIMIT` after it; minutes from the onset (the open of the first flush bar) to the first
  such warning (`early`, any stage) and to the first `confirmed` one. A warning is stamped when
  its data is known, so the best possible is 5 minutes (the onset bar's close);
- *wrong side*: a squeeze warning of the other side near an event, that no event of its own side
  explains;
- *off event*: a squeeze warning near no event (on a calm day, a false warning);
- *overheating lead*: minutes from the first overheating warning of the side later flushed
  (overheating_long before a long squeeze) within `LEAD_HORIZON` before the onset.

`over` transitions close an event already counted; they are listed, not scored.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.signals.kinds import Stage, WarningKind
from bot.signals.labels import LabelledEvent, Window, read_events, windows
from bot.signals.replay import load_binance_metrics, replay
from bot.signals.thresholds import DEFAULT_SETTINGS, SignalSettings
from bot.signals.warning import SignalWarning

EARLY_SLACK = timedelta(minutes=15)  # a warning this soon before the onset still counts
LATE_LIMIT = timedelta(minutes=60)  # after the last flush bar: still the same event
LEAD_HORIZON = timedelta(hours=6)
OVERHEATING_BEFORE = {
    WarningKind.LONG_SQUEEZE: WarningKind.OVERHEATING_LONG,
    WarningKind.SHORT_SQUEEZE: WarningKind.OVERHEATING_SHORT,
}
SQUEEZES = (WarningKind.LONG_SQUEEZE, WarningKind.SHORT_SQUEEZE)
OVERHEATINGS = (WarningKind.OVERHEATING_LONG, WarningKind.OVERHEATING_SHORT)


@dataclass(frozen=True)
class EventScore:
    event: LabelledEvent
    early_min: float | None  # onset -> first warning of its side (any stage)
    confirmed_min: float | None  # onset -> first confirmed warning of its side
    lead_min: float | None  # overheating of the side later flushed, minutes before onset


@dataclass(frozen=True)
class WindowScore:
    window: str
    calm: bool
    days: float
    events: list[EventScore]
    wrong_side: list[SignalWarning]
    off_event: list[SignalWarning]
    overheating: list[SignalWarning]  # every overheating warning announced in the window
    warnings: list[SignalWarning] = field(repr=False)


@dataclass(frozen=True)
class Scorecard:
    windows: list[WindowScore]

    @property
    def events(self) -> list[EventScore]:
        return [e for w in self.windows for e in w.events]

    def totals(self) -> dict[str, float | int | None]:
        events = self.events
        early = [e.early_min for e in events if e.early_min is not None]
        confirmed = [e.confirmed_min for e in events if e.confirmed_min is not None]
        leads = [e.lead_min for e in events if e.lead_min is not None]
        calm = [w for w in self.windows if w.calm]
        calm_days = sum(w.days for w in calm)
        return {
            "events": len(events),
            "warned": len(early),
            "warned_within_10_min": sum(1 for m in early if m <= 10),
            "early_median_min": statistics.median(early) if early else None,
            "confirmed": len(confirmed),
            "confirmed_median_min": statistics.median(confirmed) if confirmed else None,
            "wrong_side": sum(len(w.wrong_side) for w in self.windows),
            "off_event": sum(len(w.off_event) for w in self.windows),
            "false_squeeze_per_calm_day": (
                sum(len(w.off_event) + len(w.wrong_side) for w in calm) / calm_days
                if calm_days
                else None
            ),
            "overheating_lead_events": len(leads),
            "overheating_lead_30_min": sum(1 for m in leads if m >= 30),
            "overheating_lead_median_min": statistics.median(leads) if leads else None,
            "false_overheating_per_calm_day": (
                sum(len(w.overheating) for w in calm) / calm_days if calm_days else None
            ),
        }


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def _near(event: LabelledEvent, ts: datetime) -> bool:
    return event.onset - EARLY_SLACK <= ts <= event.last_flush + LATE_LIMIT


def score_window(
    window: Window, events: list[LabelledEvent], settings: SignalSettings = DEFAULT_SETTINGS
) -> WindowScore:
    points = load_binance_metrics(window.files)
    warnings = replay(points, window.asset, settings)
    squeezes = [w for w in warnings if w.kind in SQUEEZES and w.stage is not Stage.OVER]
    overheating = [w for w in warnings if w.kind in OVERHEATINGS]
    scored = []
    for event in events:
        mine = [w for w in squeezes if w.kind == event.kind and _near(event, w.ts)]
        confirmed = [w for w in mine if w.stage in (Stage.CONFIRMED, Stage.ESCALATED)]
        before = [
            w
            for w in overheating
            if w.kind == OVERHEATING_BEFORE[event.kind]
            and event.onset - LEAD_HORIZON <= w.ts <= event.onset
        ]
        scored.append(
            EventScore(
                event,
                _minutes(mine[0].ts, event.onset) if mine else None,
                _minutes(confirmed[0].ts, event.onset) if confirmed else None,
                _minutes(event.onset, before[0].ts) if before else None,
            )
        )
    wrong: list[SignalWarning] = []
    off: list[SignalWarning] = []
    for warning in squeezes:
        near = [e for e in events if _near(e, warning.ts)]
        if any(e.kind == warning.kind for e in near):
            continue
        (wrong if near else off).append(warning)
    days = (points[-1].ts - points[0].ts).total_seconds() / 86400 if points else 0.0
    return WindowScore(window.name, window.calm, days, scored, wrong, off, overheating, warnings)


def evaluate_folder(
    folder: Path, events_file: Path | None = None, settings: SignalSettings = DEFAULT_SETTINGS
) -> Scorecard:
    labelled = read_events(events_file or folder / "events.csv")
    return Scorecard(
        [
            score_window(window, [e for e in labelled if e.window == window.name], settings)
            for window in windows(folder)
        ]
    )


def _minutes_text(values: list[float | None]) -> str:
    return ", ".join("-" if v is None else f"{v:.0f}" for v in values) or "-"


def _stamp(warning: SignalWarning) -> str:
    stage = f" {warning.stage}" if warning.stage else ""
    return f"{warning.ts:%m-%d %H:%M} {warning.kind}{stage}"


def table(card: Scorecard) -> str:
    """The scorecard as a Markdown table (docs/signals.md shows it), one row per window."""
    lines = [
        "| window | events | warned (<=10 min) | onset -> early, min | onset -> confirmed, min "
        "| wrong side | off event | overheating lead, min | overheating warnings |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for w in card.windows:
        early = [e.early_min for e in w.events]
        soon = sum(1 for m in early if m is not None and m <= 10)
        warned = sum(1 for m in early if m is not None)
        name = f"{w.window} (calm, {w.days * 24:.0f} h)" if w.calm else w.window
        lines.append(
            f"| {name} | {len(w.events)} | {warned} ({soon}) | {_minutes_text(early)} "
            f"| {_minutes_text([e.confirmed_min for e in w.events])} | {len(w.wrong_side)} "
            f"| {len(w.off_event)} | {_minutes_text([e.lead_min for e in w.events])} "
            f"| {len(w.overheating)} |"
        )
    t = card.totals()

    def num(key: str) -> str:
        value = t[key]
        return "-" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")

    lines.append(
        f"| **all** | {t['events']} | {t['warned']} ({t['warned_within_10_min']}) "
        f"| median {num('early_median_min')} | median {num('confirmed_median_min')} "
        f"| {t['wrong_side']} | {t['off_event']} "
        f"| {t['overheating_lead_events']} led, {t['overheating_lead_30_min']} by >=30 min "
        f"| calm days: {num('false_squeeze_per_calm_day')} false squeeze, "
        f"{num('false_overheating_per_calm_day')} overheating per day |"
    )
    return "\n".join(lines)


def as_json(card: Scorecard) -> dict[str, object]:
    return {
        "totals": card.totals(),
        "windows": [
            {
                "window": w.window,
                "calm": w.calm,
                "days": round(w.days, 3),
                "events": [
                    {
                        "onset": e.event.onset.isoformat(),
                        "side": e.event.side,
                        "kind": str(e.event.kind),
                        "early_min": e.early_min,
                        "confirmed_min": e.confirmed_min,
                        "overheating_lead_min": e.lead_min,
                    }
                    for e in w.events
                ],
                "wrong_side": [_stamp(x) for x in w.wrong_side],
                "off_event": [_stamp(x) for x in w.off_event],
                "overheating": [_stamp(x) for x in w.overheating],
            }
            for w in card.windows
        ],
    }
