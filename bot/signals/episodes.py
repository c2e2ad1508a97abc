"""Warnings grouped into episodes: every message one move produced. A long squeeze that starts,
escalates twice and rings again 20 minutes later is one episode, not four, for the chart's
shading and for the scorecard's counts alike. A cascade's stages name their event (its onset,
`event_start`); other kinds are one episode while their messages come less than an hour apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.signals.kinds import WarningKind
from bot.signals.warning import SignalWarning

# Flush bars less than an hour apart make one cascade (tests/data/real/README-analysis.md).
EPISODE_GAP = timedelta(hours=1)


@dataclass(frozen=True)
class Episode:
    kind: WarningKind
    messages: tuple[SignalWarning, ...]  # oldest first

    @property
    def first(self) -> SignalWarning:
        return self.messages[0]

    @property
    def start(self) -> datetime:
        return self.messages[0].ts

    @property
    def end(self) -> datetime:
        return self.messages[-1].ts


def episodes(warnings: Sequence[SignalWarning], gap: timedelta = EPISODE_GAP) -> list[Episode]:
    """Per kind: the stages of one event, or messages no more than `gap` apart; oldest
    episode first."""
    events: dict[tuple[WarningKind, datetime], list[SignalWarning]] = {}
    runs: dict[WarningKind, list[list[SignalWarning]]] = {}
    for warning in sorted(warnings, key=lambda w: w.ts):
        if warning.event_start is not None:
            events.setdefault((warning.kind, warning.event_start), []).append(warning)
            continue
        kind_runs = runs.setdefault(warning.kind, [])
        if kind_runs and warning.ts - kind_runs[-1][-1].ts <= gap:
            kind_runs[-1].append(warning)
        else:
            kind_runs.append([warning])
    found = [Episode(kind, tuple(run)) for (kind, _), run in events.items()]
    found += [Episode(kind, tuple(run)) for kind, kind_runs in runs.items() for run in kind_runs]
    return sorted(found, key=lambda e: (e.start, e.kind))
