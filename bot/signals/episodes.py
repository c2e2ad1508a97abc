"""Warnings grouped into episodes: every message one move produced. A long squeeze that starts,
escalates twice and rings again 20 minutes later is one episode, not four, for the chart's
shading and for the scorecard's counts alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.signals.engine import Warning

# Flush bars less than an hour apart make one cascade (tests/data/real/README-analysis.md).
EPISODE_GAP = timedelta(hours=1)


@dataclass(frozen=True)
class Episode:
    kind: str
    messages: tuple[Warning, ...]  # oldest first

    @property
    def first(self) -> Warning:
        return self.messages[0]

    @property
    def start(self) -> datetime:
        return self.messages[0].ts

    @property
    def end(self) -> datetime:
        return self.messages[-1].ts


def episodes(warnings: Sequence[Warning], gap: timedelta = EPISODE_GAP) -> list[Episode]:
    """Per kind, messages no more than `gap` apart; oldest episode first."""
    by_kind: dict[str, list[list[Warning]]] = {}
    for warning in sorted(warnings, key=lambda w: w.ts):
        runs = by_kind.setdefault(warning.kind, [])
        if runs and warning.ts - runs[-1][-1].ts <= gap:
            runs[-1].append(warning)
        else:
            runs.append([warning])
    found = [Episode(kind, tuple(run)) for kind, runs in by_kind.items() for run in runs]
    return sorted(found, key=lambda e: (e.start, e.kind))
