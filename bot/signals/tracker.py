"""Which warnings are news: a kind is reported when it starts or escalates, not every tick it
persists; after `quiet` without firing, the same kind counts as new again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.signals.kinds import WarningKind
from bot.signals.warning import SignalWarning


@dataclass
class WarningTracker:
    quiet: timedelta = timedelta(minutes=30)
    _active: dict[tuple[str, WarningKind], tuple[datetime, int]] = field(default_factory=dict)

    def news(self, warnings: Iterable[SignalWarning], now: datetime) -> list[SignalWarning]:
        fresh = []
        for warning in warnings:
            key = (warning.asset, warning.kind)
            level = warning.severity.rank
            previous = self._active.get(key)
            if previous is None or now - previous[0] > self.quiet or level > previous[1]:
                fresh.append(warning)
                self._active[key] = (now, level)
            else:
                self._active[key] = (now, previous[1])
        return fresh
