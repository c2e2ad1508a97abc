"""Market data for the bot: poll the venues, keep the bot's own history, listen to the
liquidation and kline streams, and say what of it is current. Everything reads stored
snapshots, so chat answers and alerts see the same numbers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.alerts.observations import AssetData
from bot.errors import UserError
from bot.feed.freshness import FRESH, NAMED_FOR, Current, VenueHealth, why_left_out
from bot.i18n import N_, _
from bot.i18n.dates import since_time
from bot.market.collector import Collector
from bot.market.history import backfill_venue
from bot.market.klines import KlineBook, KlineMinute
from bot.market.liquidations import LiquidationAggregator
from bot.market.models import LiquidationEvent, TickResult, VenueResult
from bot.market.overview_text import named
from bot.market.streams import StreamConsumer
from storage.models import MarketSnapshot
from storage.repositories.snapshots import LiquidationFlow, SnapshotRepository

log = logging.getLogger(__name__)

FIRST_POLL_GRACE = timedelta(minutes=2)
MARKET_OFF = N_("Market data is switched off on this bot (OIWATCH_VENUES is empty).")


class DataUnavailable(UserError):
    """No fresh data: says which venues are left out since when, and why. The venues' outage,
    not the user's mistake: told without a usage line."""

    shows_usage = False


@dataclass
class MarketFeed:
    """The venues' polled data as this replica keeps it: polls stored as they come in, the
    liquidation and kline streams, backfill on a first start, and what a reply or an alert may
    use of it."""

    snapshots: SnapshotRepository
    collector: Collector | None
    known_assets: set[str]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    health: dict[str, VenueHealth] = field(default_factory=dict)
    liquidations: LiquidationAggregator = field(default_factory=LiquidationAggregator)
    klines: KlineBook = field(default_factory=KlineBook)
    last_tick: TickResult | None = None
    polls: int = 0  # finished by this replica (a follower polls none)
    polled_at: datetime | None = None  # this replica's last venue answer
    started: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    async def poll(self) -> TickResult | None:
        if self.collector is None:
            return None
        tick = await self.collector.tick(on_result=self.take)
        self.polls += 1
        await self.flush_liquidations()
        await self.snapshots.add_klines(self.klines.drain())
        self.last_tick = tick
        # Worded as replies name a venue left out, not the dict's repr (enum members and the
        # reasons' unformatted templates).
        degraded = ", ".join(f"{venue} ({why})" for venue, why in tick.degraded().items())
        log.info("poll: %d snapshots, degraded: %s", len(tick.snapshots()), degraded or "none")
        return tick

    async def take(self, result: VenueResult) -> None:
        """One venue's answer, as soon as it is in. A good one is stored before the venue
        counts as good again, so no reply shows its numbers from before a failure as current."""
        now = self.clock()
        self.polled_at = now
        health = self.health.setdefault(str(result.venue), VenueHealth())
        if result.degraded:
            health.failed(result.reason, now)
            return
        await self.snapshots.save(result.snapshots)
        health.answered(now, frozenset(s.asset for s in result.snapshots))
        self.known_assets.update(health.assets)

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

    def record_kline(self, kline: KlineMinute) -> None:
        self.klines.add(kline)

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
        """Every venue's stored snapshots, liquidation minutes and kline minutes of `asset`
        since `since` (no `latest`: callers that alert pick the fresh ones themselves)."""
        return AssetData(
            asset,
            [],
            await self.snapshots.series(asset, since),
            await self.snapshots.liquidations(asset, since),
            await self.snapshots.klines(asset, since),
        )

    async def current(self, asset: str) -> Current:
        """The one rule for every reply and every alert: a venue's newest row is used only if
        it is younger than FRESH and, when this replica polls, the venue's last answer was good
        and held the asset. Everything else is left out and named with since when."""
        now = self.clock()
        return self._split(asset, await self.snapshots.latest(asset, since=now - FRESH), now)

    async def usable(self, asset: str) -> Current:
        """`current` for a reply, naming also the venues whose data aged out or that fail
        before ever answering; DataUnavailable when nothing is left."""
        current = await self._explained(asset)
        if current.rows:
            return current
        if current.left_out:
            raise DataUnavailable(
                _(
                    "No fresh data for {asset}. Left out: {venues}.",
                    asset=asset,
                    venues=named(current.left_out),
                )
            )
        now = self.clock()
        if self.collector is None:
            raise DataUnavailable(_(MARKET_OFF))
        if self.polls == 0 and now - self.started < FIRST_POLL_GRACE:
            raise DataUnavailable(
                _("No data for {asset} yet: the first poll is still running.", asset=asset)
            )
        raise DataUnavailable(
            _(
                "No venue has sent data for {asset} since {time}.",
                asset=asset,
                time=since_time(self.started, now),
            )
        )

    async def _explained(self, asset: str) -> Current:
        """`current`, and also the venues whose data aged out or that fail before ever
        answering: a reply names every venue it cannot use."""
        now = self.clock()
        rows = await self.snapshots.latest(asset, since=now - NAMED_FOR)
        current = self._split(asset, rows, now)
        seen = {row.venue for row in rows}
        for venue, health in self._polled(now).items():
            if venue in seen or health.failing_since is None:
                continue
            if health.last_good is None or asset in health.assets:
                current.left_out[venue] = health.problem(now)
        return current

    def _polled(self, now: datetime) -> dict[str, VenueHealth]:
        """What this replica's own polls know, while it polls: a replica that lost the lead
        goes by the stored rows and their age, as a follower does."""
        if self.polled_at is None or now - self.polled_at > FRESH:
            return {}
        return self.health

    def _split(self, asset: str, rows: list[MarketSnapshot], now: datetime) -> Current:
        usable, left_out = [], {}
        polled = self._polled(now)
        for row in rows:
            reason = why_left_out(polled.get(row.venue), row.ts, now, asset)
            if reason is None:
                usable.append(row)
            else:
                left_out[row.venue] = reason
        return Current(usable, left_out)

    def venue_fresh(self, venue: str, newest: datetime | None) -> bool:
        """The rule of `current` for a venue as a whole (/healthz): its newest row is younger
        than FRESH and, while this replica polls, its last poll answered."""
        if newest is None:
            return False
        now = self.clock()
        return why_left_out(self._polled(now).get(venue), newest, now) is None

    def streams(self) -> list[StreamConsumer[Any]]:
        """One liquidation stream per polled venue that has one (a venue the operator left out
        of OIWATCH_VENUES is not listened to either), and klines where a polled venue has them."""
        venues = self.collector.fetchers if self.collector is not None else []
        consumers: list[StreamConsumer[Any]] = []
        for venue in venues:
            if venue.has.liquidations:
                feed = venue.liquidations(sorted(self.known_assets))
                consumers.append(StreamConsumer(feed.stream, feed.url, self.record_liquidation))
            if venue.has.klines:
                klines = venue.klines(lambda: self.known_assets)
                consumers.append(StreamConsumer(klines.stream, klines.url, self.record_kline))
        return consumers
