"""What the guard needs beyond this tick's marks: cascade stages on guarded assets (from the
same signal engine and cascade tracker the rules use, with the guard's own tracker so neither
steals the other's news) and each asset's hourly ATR, from the bot's stored history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from bot.alerts.observations import signal_series
from bot.alerts.saved_tracker import SavedTracker
from bot.feed.market_feed import MarketFeed
from bot.positions.evaluate import hourly_atr
from bot.signals.engine import Baselines, baselines, evaluate
from bot.signals.events import CascadeTracker
from bot.signals.warning import SignalWarning

HISTORY = timedelta(hours=24, minutes=10)
REFRESH = timedelta(hours=1)
TRACKER_STATE = "position_guard_tracker"  # the guard's tracker's name in saved_state


@dataclass
class MarketWatch:
    market: MarketFeed
    tracker: CascadeTracker = field(default_factory=CascadeTracker)
    # As the rules' pipeline keeps its own: a restart or a takeover mid-cascade goes on with
    # the event rather than telling a position's owner about it again. None: memory only.
    saved: SavedTracker | None = None
    _worked: CascadeTracker | None = None  # this tick's, kept once its alerts are queued
    _hourly: dict[str, tuple[datetime, Baselines, Decimal | None]] = field(default_factory=dict)

    async def warnings(self, assets: Iterable[str], now: datetime) -> list[SignalWarning]:
        """This tick's cascade transitions (early, confirmed, escalated, over) and other new
        warnings on these assets, aggregated across venues; `keep` once they are queued."""
        if self.saved is not None:
            self.tracker = await self.saved.resumed(self.tracker)
        tracker = self._worked = self.tracker.fork()
        news: list[SignalWarning] = []
        for asset in sorted(assets):
            data = await self.market.history(asset, now - HISTORY)
            series = signal_series(data)
            if len(series) < 4:
                continue
            cached = self._hourly.get(asset)
            if cached is None or now - cached[0] > REFRESH:
                marks = ((p.ts, p.mark) for p in data.history)
                # A resumed event is measured against the market before it (as the pipeline).
                usual = tracker.before_events(asset, series) if cached is None else series
                cached = (now, baselines(usual), hourly_atr(marks))
                self._hourly[asset] = cached
            readings = evaluate(asset, series, now=now, base=cached[1])
            news += tracker.update(asset, readings.warnings, now, series)
        return news

    async def keep(self, now: datetime) -> None:
        """After the tick's alerts are in the outbox: a tick that failed before says its news
        again on the next one rather than losing it."""
        if self._worked is not None:
            self.tracker, self._worked = self._worked, None
        if self.saved is not None:
            await self.saved.save(self.tracker, now)

    def atr(self, asset: str) -> Decimal | None:
        cached = self._hourly.get(asset)
        return cached[2] if cached is not None else None
