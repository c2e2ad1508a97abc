"""Pictures and scores on demand: read the stored series, replay the engine over it, render off
the event loop, and keep each answer for a short while (a group asking /chart BTC ten times
in a minute costs one render)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar, cast

from bot.alerts.observations import AssetData, signal_series
from bot.charts.theme import CHART_WINDOWS, THEMES
from bot.feed.market_feed import DataUnavailable, MarketFeed
from bot.i18n import _, current_language
from bot.risk.clusters import Bar, ClusterMap, liquidation_clusters
from bot.signals.replay import QUIET_BARS, replay
from bot.signals.score import KindScore, score
from bot.signals.series import BAR, WINDOW_BARS, Point
from bot.signals.warning import SignalWarning

LOOKBACK = WINDOW_BARS["24h"] + 1  # what the live pipeline's engine sees each tick
QUIET = BAR * QUIET_BARS
LEVELS_SPAN = timedelta(days=7)
SCORE_SPAN = timedelta(days=7)
T = TypeVar("T")


@dataclass(frozen=True)
class Stored:
    """The engine's series of one asset and what the picture must say about where it came
    from."""

    points: list[Point]
    venues: tuple[str, ...]
    # Backfilled history carries the last settled funding rate, live polls the predicted rate
    # of the running period: the first live snapshot is where one turns into the other.
    live_from: datetime | None


@dataclass(frozen=True)
class Levels:
    png: bytes
    model: ClusterMap
    since: datetime
    until: datetime
    venues: tuple[str, ...]


@dataclass(frozen=True)
class Scorecard:
    rows: list[KindScore]
    since: datetime
    until: datetime


def engine_warnings(
    points: list[Point], asset: str, start: int = 0, quiet: timedelta = QUIET
) -> list[SignalWarning]:
    """What the engine reported bar by bar from `start` on, as the live pipeline would have:
    the one place pictures and scores call the signal engine."""
    return replay(points, asset, lookback=LOOKBACK, start=start, quiet=quiet)


def stored(data: AssetData) -> Stored:
    # Backfill rows carry neither an index price nor a 24 h volume; every live poll has one.
    live = [p.ts for p in data.history if p.index_price is not None or p.volume_24h_usd]
    return Stored(
        signal_series(data), tuple(sorted({p.venue for p in data.history})), min(live, default=None)
    )


class PictureService:
    def __init__(
        self,
        market: MarketFeed,
        ttl: timedelta = timedelta(seconds=60),
        quiet: timedelta = QUIET,
    ) -> None:
        self.market = market
        self.ttl = ttl
        self.quiet = quiet  # when a cascade event is over, as the live pipeline has it
        self._cache: dict[tuple[str, ...], tuple[datetime, object]] = {}
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}
        # One worker: renders queue instead of taking every core, and matplotlib's text and
        # font caches are never touched by two threads at once.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charts")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def chart(self, asset: str, window: str, theme: str = "dark", zone: str = "UTC") -> bytes:
        async def build() -> bytes:
            span = CHART_WINDOWS[window][0]
            stored = await self._series(asset, span + timedelta(hours=24))
            points = stored.points
            start = self._start(points, span)
            chart_points = points[start:]
            if len(chart_points) < 2:
                raise DataUnavailable(
                    _("Not enough stored history for {asset} to draw a chart yet.", asset=asset)
                )
            now = self.market.clock()

            def draw() -> bytes:
                # matplotlib (about 50 MB) loads with the first picture, in the worker thread:
                # a bot whose users never ask for one never pays for it.
                from bot.charts.market_chart import ChartInput, render_market_chart

                chart = ChartInput(
                    asset,
                    window,
                    chart_points,
                    engine_warnings(points, asset, start, self.quiet),
                    venues=stored.venues,
                    now=now,
                    live_from=stored.live_from,
                    zone=zone,
                )
                return render_market_chart(chart, THEMES[theme])

            return await self._run(draw)

        language = current_language().code
        return await self._cached(("chart", asset, window, theme, zone, language), build)

    async def levels(self, asset: str, theme: str = "dark", zone: str = "UTC") -> Levels:
        async def build() -> Levels:
            stored = await self._series(asset, LEVELS_SPAN)
            points = stored.points
            bars = [Bar(p.close, p.oi) for p in points if p.oi is not None]
            if len(bars) < 2:
                raise DataUnavailable(
                    _("Not enough stored history for {asset} to place levels.", asset=asset)
                )
            model = liquidation_clusters(bars)

            placed = [p.ts for p in points if p.oi is not None]
            since, until, now = placed[0], placed[-1], self.market.clock()

            def draw() -> bytes:
                from bot.charts.levels_chart import LevelsInput, render_levels  # lazily

                source = LevelsInput(asset, model, since, until, now, stored.venues, zone)
                return render_levels(source, THEMES[theme])

            png = await self._run(draw)
            return Levels(png, model, since, until, stored.venues)

        return await self._cached(("levels", asset, theme, zone, current_language().code), build)

    async def scorecard(self, asset: str) -> Scorecard:
        async def build() -> Scorecard:
            points = (await self._series(asset, SCORE_SPAN)).points
            if len(points) < 2:
                raise DataUnavailable(_("No stored history for {asset} to score yet.", asset=asset))
            quiet = self.quiet
            rows = await self._run(lambda: score(points, engine_warnings(points, asset, 0, quiet)))
            return Scorecard(rows, points[0].ts, points[-1].ts)

        return await self._cached(("score", asset), build)

    async def _series(self, asset: str, span: timedelta) -> Stored:
        return stored(await self.market.history(asset, self.market.clock() - span))

    @staticmethod
    def _start(points: list[Point], span: timedelta) -> int:
        if not points:
            return 0
        cutoff = points[-1].ts - span
        return next((i for i, p in enumerate(points) if p.ts > cutoff), len(points))

    async def _run(self, work: Callable[[], T]) -> T:
        """In the worker, with the caller's context: a picture is drawn in its reader's
        language."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._executor, context.run, work)

    async def _cached(self, key: tuple[str, ...], build: Callable[[], Awaitable[T]]) -> T:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = self.market.clock()
            hit = self._cache.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                # A key names what its build returns: the charts' keys and types never mix.
                return cast(T, hit[1])
            value = await build()
            self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self.ttl}
            self._cache[key] = (now, value)
            return value
