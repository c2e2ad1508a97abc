"""How past warnings played out: per kind, the median price move and OI change 1h and 4h after
each episode (the first message of every move, not each escalation of it), and how often price
went the way the warning pointed. Pure; the bot feeds it its own stored series and the warnings
a replay of that series finds."""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.signals.episodes import episodes
from bot.signals.kinds import Stage, WarningKind
from bot.signals.series import Point
from bot.signals.warning import SignalWarning

HORIZONS: dict[str, timedelta] = {"1h": timedelta(hours=1), "4h": timedelta(hours=4)}
# Which way price should go after the warning if it was right (+1 up, -1 down); kinds that
# describe flow rather than predict a move have no direction.
EXPECTED_DIRECTION = {
    WarningKind.LONG_SQUEEZE: -1,
    WarningKind.SHORT_SQUEEZE: 1,
    WarningKind.OVERHEATING_LONG: -1,
    WarningKind.OVERHEATING_SHORT: 1,
    WarningKind.CROWDING_LONG: -1,
    WarningKind.CROWDING_SHORT: 1,
}
TOLERANCE = timedelta(minutes=10)  # a later bar this close to the horizon still counts
# Fewer judged episodes than this and a median or a hit rate says nothing about the warning.
MIN_EPISODES = 5


@dataclass(frozen=True)
class Outcome:
    count: int  # episodes whose horizon has passed with data
    price_pct: float | None  # median
    oi_pct: float | None  # median, contracts
    hit_rate: float | None  # share that moved the expected way


@dataclass(frozen=True)
class KindScore:
    kind: WarningKind
    episodes: int
    messages: int
    outcomes: dict[str, Outcome]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def score(points: Sequence[Point], warnings: Sequence[SignalWarning]) -> list[KindScore]:
    """One row per warning kind seen, most episodes first; each episode judged from its first
    message."""
    stamps = [p.ts for p in points]
    by_kind: dict[WarningKind, list[SignalWarning]] = {}
    messages: dict[WarningKind, int] = {}
    # An event's over message predicts nothing: it is neither judged nor counted.
    for episode in episodes([w for w in warnings if w.stage is not Stage.OVER]):
        by_kind.setdefault(episode.kind, []).append(episode.first)
        messages[episode.kind] = messages.get(episode.kind, 0) + len(episode.messages)
    rows = []
    for kind, fired in by_kind.items():
        outcomes = {}
        for label, horizon in HORIZONS.items():
            prices: list[float] = []
            ois: list[float] = []
            for warning in fired:
                start = bisect_left(stamps, warning.ts)
                end = bisect_left(stamps, warning.ts + horizon)
                if start >= len(points) or end >= len(points):
                    continue
                if points[end].ts - (warning.ts + horizon) > TOLERANCE:
                    continue
                before, after = points[start], points[end]
                prices.append((after.close / before.close - 1) * 100)
                if before.oi and after.oi is not None:
                    ois.append((after.oi / before.oi - 1) * 100)
            direction = EXPECTED_DIRECTION.get(kind)
            hits = (
                sum(1 for move in prices if move * direction > 0) / len(prices)
                if direction is not None and prices
                else None
            )
            outcomes[label] = Outcome(len(prices), _median(prices), _median(ois), hits)
        rows.append(KindScore(kind, len(fired), messages[kind], outcomes))
    return sorted(rows, key=lambda row: (-row.episodes, row.kind))
