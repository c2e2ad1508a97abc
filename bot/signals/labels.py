"""Where the real cascades began, from the raw data alone, by a rule fixed before the engine is
scored (tests/data/real/README-analysis.md, "Cascade onset rule"):

- a bar is a *flush bar* when its 5-minute range (high / low - 1) is at least 1.0 % and OI
  (contracts) falls at least 1.0 % from metrics row t - 5 min to row t + 5 min (the bar and the
  next one: OI can lag price by a bar). Without a 5-minute kline the range is the mark proxy's
  (oi_usd / oi) move over the bar, a lower bound of it;
- flush bars less than 60 minutes apart make one cascade; the onset is the first flush bar;
- the side flushed is the direction of the run's larger excursion from the onset bar's open, to
  the lowest low or the highest high up to the last flush bar (down = longs), never one bar's
  sign (2025-04-07 14:15 shows why) nor the close after the rebound (2025-10-10 21:55).

It looks one bar ahead, so it labels history; it is not a live signal. Windows named `*_calm`
are the calm references: any squeeze warning on them is false.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from bot.signals.kinds import WarningKind
from bot.signals.replay import parse_time

FLUSH_RANGE_PCT = 1.0
FLUSH_OI_PCT = 1.0
RUN_GAP = timedelta(minutes=60)
STEP = timedelta(minutes=5)
EVENT_COLUMNS = ("window", "onset", "side", "kind", "last_flush", "price_pct", "oi_pct")


@dataclass(frozen=True)
class Window:
    name: str  # e.g. 2025-10-10_cascade
    asset: str  # BTC
    files: tuple[Path, ...]  # metrics, klines when present, funding when present

    @property
    def calm(self) -> bool:
        return self.name.endswith("_calm")


class Flushed(StrEnum):
    """Who a cascade force-closed."""

    LONGS = "longs"
    SHORTS = "shorts"


@dataclass(frozen=True)
class LabelledEvent:
    window: str
    onset: datetime  # open stamp of the first flush bar
    side: Flushed
    last_flush: datetime
    price_pct: float  # the run's larger excursion from the onset's open, signed
    oi_pct: float  # OI from the row before the onset to the row after the last flush bar

    @property
    def kind(self) -> WarningKind:
        return WarningKind.LONG_SQUEEZE if self.side == Flushed.LONGS else WarningKind.SHORT_SQUEEZE


def windows(folder: Path) -> list[Window]:
    """Every window with a 5-minute metrics file in the folder, with its klines and funding."""
    found = []
    for metrics in sorted(folder.glob("*_metrics_5m_*.csv")):
        prefix, name = metrics.stem.split("_metrics_5m_")
        symbol = prefix.rsplit("_", 1)[-1]
        files = [metrics, *folder.glob(f"{prefix}_klines_5m_{name}.csv")]
        files += sorted(folder.glob(f"{prefix}_funding_*.csv"))
        found.append(Window(name, symbol.removesuffix("USDT"), tuple(files)))
    return found


def _rows(path: Path) -> dict[datetime, dict[str, str]]:
    with path.open(newline="") as handle:
        return {parse_time(row["t"]): row for row in csv.DictReader(handle)}


def label(window: Window) -> list[LabelledEvent]:
    metrics = _rows(window.files[0])
    klines_path = next((p for p in window.files if "_klines_5m_" in p.name), None)
    klines = _rows(klines_path) if klines_path else {}
    oi = {t: float(row["oi"]) for t, row in metrics.items()}
    proxy = {t: float(row["oi_usd"]) / float(row["oi"]) for t, row in metrics.items()}
    # A bar's open, high, low: the kline, else the proxy at the rows either side of it.
    bars: dict[datetime, tuple[float, float, float]] = {}
    for t in sorted(metrics):
        kline = klines.get(t)
        if kline is not None:
            bars[t] = (float(kline["o"]), float(kline["h"]), float(kline["l"]))
        elif t - STEP in proxy:
            then, now = proxy[t - STEP], proxy[t]
            bars[t] = (then, max(then, now), min(then, now))
    flush = [
        t
        for t, (_, high, low) in sorted(bars.items())
        if (high / low - 1) * 100 >= FLUSH_RANGE_PCT
        and t - STEP in oi
        and t + STEP in oi
        and (oi[t + STEP] / oi[t - STEP] - 1) * 100 <= -FLUSH_OI_PCT
    ]
    runs: list[list[datetime]] = []
    for t in flush:
        if runs and t - runs[-1][-1] < RUN_GAP:
            runs[-1].append(t)
        else:
            runs.append([t])
    events = []
    for run in runs:
        first, last = run[0], run[-1]
        span = [bar for t, bar in bars.items() if first <= t <= last]
        opened = bars[first][0]
        down = (min(low for _, _, low in span) / opened - 1) * 100
        up = (max(high for _, high, _ in span) / opened - 1) * 100
        events.append(
            LabelledEvent(
                window.name,
                first,
                Flushed.LONGS if -down >= up else Flushed.SHORTS,
                last,
                down if -down >= up else up,
                (oi[last + STEP] / oi[first - STEP] - 1) * 100,
            )
        )
    return events


def write_events(folder: Path, out: Path) -> list[LabelledEvent]:
    events = [event for window in windows(folder) for event in label(window)]
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EVENT_COLUMNS)
        for e in events:
            writer.writerow(
                [
                    e.window,
                    f"{e.onset:%Y-%m-%d %H:%M}",
                    e.side,
                    e.kind,
                    f"{e.last_flush:%Y-%m-%d %H:%M}",
                    f"{e.price_pct:.2f}",
                    f"{e.oi_pct:.2f}",
                ]
            )
    return events


def read_events(path: Path) -> list[LabelledEvent]:
    with path.open(newline="") as handle:
        return [
            LabelledEvent(
                row["window"],
                parse_time(row["onset"]),
                Flushed(row["side"]),
                parse_time(row["last_flush"]),
                float(row["price_pct"]),
                float(row["oi_pct"]),
            )
            for row in csv.DictReader(handle)
        ]
