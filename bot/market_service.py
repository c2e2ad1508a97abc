"""Market data for the bot: poll the venues, keep the bot's own history, answer /oi and the
live /liq and /funding lookups. Everything reads stored snapshots, so chat answers and alerts
see the same numbers."""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.alerts.observations import AssetData
from bot.market.collector import Collector, MarketEndpoints
from bot.market.history import backfill_venue
from bot.market.liquidations import (
    LiquidationAggregator,
    StreamConsumer,
    binance_stream,
    bybit_stream,
    okx_stream,
)
from bot.market.models import LiquidationEvent, TickResult, Venue
from bot.market.okx import OkxFetcher
from bot.market.overview import AssetOverview, build_overview
from storage.models import MarketSnapshot
from storage.repositories.snapshots import LiquidationFlow, SnapshotRepository

log = logging.getLogger(__name__)

FRESH = timedelta(minutes=5)


class UnknownAsset(LookupError):
    def __init__(self, asset: str, suggestions: list[str]) -> None:
        super().__init__(asset)
        self.asset = asset
        self.suggestions = suggestions


class DataUnavailable(RuntimeError):
    """No fresh data: says which venues failed and how old the last good data is."""


@dataclass
class VenueHealth:
    last_good: datetime | None = None
    last_error: str | None = None  # what a trader reads, without the venue's name
    failing_since: datetime | None = None

    def failed(self, venue: str, reason: str | None, now: datetime) -> None:
        self.last_error = (reason or "no answer").removeprefix(f"{venue}: ")
        if self.failing_since is None:
            self.failing_since = now

    def answered(self, now: datetime) -> None:
        self.last_good, self.last_error, self.failing_since = now, None, None

    def problem(self) -> str:
        """'unreachable (connection refused) since 06:31 UTC'."""
        since = f" since {self.failing_since:%H:%M} UTC" if self.failing_since else ""
        return f"{self.last_error}{since}"


@dataclass
class MarketService:
    snapshots: SnapshotRepository
    collector: Collector | None
    known_assets: set[str]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    health: dict[str, VenueHealth] = field(default_factory=dict)
    liquidations: LiquidationAggregator = field(default_factory=LiquidationAggregator)
    last_tick: TickResult | None = None

    async def poll(self) -> TickResult | None:
        if self.collector is None:
            return None
        tick = await self.collector.tick()
        now = self.clock()
        for venue, result in tick.results.items():
            health = self.health.setdefault(str(venue), VenueHealth())
            if result.degraded:
                health.failed(str(venue), result.reason, now)
            else:
                health.answered(now)
        stored = await self.snapshots.save(tick.snapshots())
        await self.flush_liquidations()
        self.known_assets.update(s.asset for s in tick.snapshots())
        self.last_tick = tick
        log.info("poll: %d snapshots stored, degraded: %s", stored, tick.degraded() or "none")
        return tick

    async def backfill(self, now: datetime | None = None) -> int:
        """On a first start (no stored history for the polled assets), load what the venues keep
        so OI changes and readings work at once."""
        if self.collector is None:
            return 0
        now = now or self.clock()
        assets = sorted(self.known_assets)
        for asset in assets:
            if await self.snapshots.series(asset, now - timedelta(hours=1)):
                return 0  # not a first start
        venues = await asyncio.gather(*(backfill_venue(f, assets) for f in self.collector.fetchers))
        # Bars younger than FRESH would pass for live data (without index, last or volume) and
        # hide a venue whose first poll fails: the present comes from the polls.
        stored = await self.snapshots.save(
            [s for snapshots in venues for s in snapshots if s.ts < now - FRESH]
        )
        log.info("backfilled %d snapshots from venue history", stored)
        return stored

    def record_liquidation(self, event: LiquidationEvent) -> None:
        self.liquidations.add(event)

    async def flush_liquidations(self) -> None:
        flows = self.liquidations.drain()
        await self.snapshots.add_liquidations(
            [
                LiquidationFlow(
                    str(f.venue), f.asset, f.minute, float(f.long_usd), float(f.short_usd), f.events
                )
                for f in flows
            ]
        )

    async def history(self, asset: str, since: datetime) -> AssetData:
        """Every venue's stored snapshots and liquidation minutes of `asset` since `since`
        (no `latest`: callers that alert pick the fresh ones themselves)."""
        return AssetData(
            asset,
            [],
            await self.snapshots.series(asset, since),
            await self.snapshots.liquidations(asset, since),
        )

    def resolve(self, word: str) -> str:
        asset = word.upper().removesuffix("USDT").removesuffix("-USDT-SWAP")
        if asset in self.known_assets:
            return asset
        close = difflib.get_close_matches(asset, sorted(self.known_assets), n=3, cutoff=0.5)
        raise UnknownAsset(asset, close)

    async def fresh(self, asset: str) -> list[MarketSnapshot]:
        now = self.clock()
        rows = await self.snapshots.latest(asset, since=now - FRESH)
        if rows:
            return rows
        last = await self.snapshots.latest(asset)
        failing = [f"{v}: {h.problem()}" for v, h in self.health.items() if h.last_error]
        if last:
            age = int((now - max(r.ts for r in last)).total_seconds() // 60)
            detail = f"the last good data is {age} min old, too old to answer from"
        elif self.collector is None:
            detail = "market data is switched off on this bot (OIWATCH_VENUES is empty)"
        elif self.last_tick is None:
            detail = "no data yet: the first poll is still running"
        else:
            detail = "no venue has had data for it since the bot started"
        venues = "; ".join(failing) or f"no venue lists {asset} right now"
        raise DataUnavailable(f"No fresh data for {asset} ({venues}); {detail}.")

    async def overview(self, asset: str) -> tuple[AssetOverview, dict[str, str]]:
        now = self.clock()
        latest = await self.fresh(asset)
        history = await self.snapshots.series(asset, now - timedelta(hours=24, minutes=30))
        flows = await self.snapshots.liquidations(asset, now - timedelta(hours=1))
        degraded = {v: h.problem() for v, h in self.health.items() if h.last_error}
        return build_overview(asset, latest, history, flows, now), degraded

    def streams(self, endpoints: MarketEndpoints) -> list[StreamConsumer]:
        """One stream per polled venue that has one: a venue the operator left out of
        OIWATCH_VENUES is not listened to either."""
        symbols = sorted(f"{asset}USDT" for asset in self.known_assets)
        fetchers = self.collector.fetchers if self.collector is not None else []
        streams = []
        for fetcher in fetchers:
            if fetcher.venue is Venue.BINANCE:
                streams.append((binance_stream(), endpoints.binance_ws))
            elif fetcher.venue is Venue.BYBIT:
                streams.append((bybit_stream(symbols), endpoints.bybit_ws))
            elif isinstance(fetcher, OkxFetcher):
                # OKX frames are in contracts: the polled instruments know their size.
                streams.append((okx_stream(fetcher), endpoints.okx_ws))
        return [StreamConsumer(stream, url, self.record_liquidation) for stream, url in streams]

    async def run_streams(self, consumers: list[StreamConsumer], stop: asyncio.Event) -> None:
        await asyncio.gather(*(c.run(stop) for c in consumers))
