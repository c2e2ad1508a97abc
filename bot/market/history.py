"""Backfill on first start: venues keep some history (Binance OI 30 days, OKX the last 1,440
bars, Bybit since listing), so the bot's own series need not start empty and readings work from
the first minute. Each venue's history lands in the units its live fetcher uses.

A venue with `has.history` loads its own (docs/reference/exchanges.md §7); this module holds
what they share: the markets to load, the settled funding rates, one Snapshot per 5-minute OI
bar, paging back from now, and skipping a symbol the venue will not give."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.market.http import VenueError
from bot.market.models import Snapshot, Venue
from bot.market.values import NOT_AS_DOCUMENTED, BadPayload, from_ms, funding_rate, per_coin

if TYPE_CHECKING:  # the venues build on this module
    from bot.market.venues.base import MarketVenue

log = logging.getLogger(__name__)

T = TypeVar("T")
Page = tuple[list[T], str | None]  # rows newest first, and where the next (older) page starts
BAR = timedelta(minutes=5)
# What a venue answering something else than it documents raises while its rows are read.
HISTORY_ERRORS = (VenueError, *NOT_AS_DOCUMENTED)


def bars(hours: int) -> int:
    """5-minute bars from `hours` ago to now, both ends included."""
    return hours * 12 + 1


def timestamp(value: Any) -> datetime:
    ts = from_ms(value)
    if ts is None:
        raise BadPayload("history row without time")
    return ts


def by_time(rows: Iterable[T], time_of: Callable[[T], Any]) -> list[tuple[datetime, T]]:
    """Each row with its time, each time once. A row sent twice (pages that overlap, a venue
    repeating itself) is one row; two different rows at one time are a bad payload: which one
    is right is unknowable, and both read would make two bars of one."""
    rows_at: dict[datetime, T] = {}
    for row in rows:
        ts = timestamp(time_of(row))
        if rows_at.setdefault(ts, row) != row:
            raise BadPayload(f"two different history rows at {ts:%Y-%m-%d %H:%M:%S} UTC")
    return list(rows_at.items())


def bar_of(ts: datetime) -> int:
    # Venue timestamps jitter by a few ms: rows of different endpoints meet on the nearest bar.
    return round(ts.timestamp() / BAR.total_seconds())


@dataclass(frozen=True)
class Market:
    venue: Venue
    symbol: str
    asset: str
    multiplier: Decimal  # base units per contract unit (1000 for 1000PEPEUSDT)


class Listing(Protocol):
    """A venue with history: the instruments its live ticks poll, as markets to load."""

    def markets(self) -> list[Market]: ...

    async def refresh_metadata(self) -> None: ...


@dataclass(frozen=True)
class Funding:
    """Settled rates, oldest first: a bar carries the last one settled at or before it, as a
    live snapshot carries the rate of the running period."""

    rates: list[tuple[datetime, Decimal]]
    interval_hours: int | None

    @classmethod
    def settled(cls, rows: Iterable[tuple[Any, Any]], interval_hours: int | None = None) -> Funding:
        rates = sorted(
            (at, funding_rate(rate, "fundingRate"))
            for at, (_, rate) in by_time(rows, lambda row: row[0])
        )
        if interval_hours is None and len(rates) > 1:
            # Bybit and OKX history state no interval: the spacing of the last two settlements
            # is the one in force.
            interval_hours = round((rates[-1][0] - rates[-2][0]) / timedelta(hours=1)) or None
        return cls(rates, interval_hours)

    def at(self, ts: datetime) -> tuple[Decimal | None, datetime | None]:
        """(rate, next funding time) in force at `ts`."""
        settled = [(at, rate) for at, rate in self.rates if at <= ts]
        if not settled:
            return None, None
        at, rate = settled[-1]
        interval = self.interval_hours
        return rate, at + timedelta(hours=interval) if interval else None


def snapshot(
    market: Market,
    ts: datetime,
    funding: Funding,
    *,
    mark: Decimal,
    contracts: Decimal,
    coin: Decimal,
    usd: Decimal,
) -> Snapshot:
    """One history bar; `coin` in the venue's (possibly scaled) base units and `mark` per such
    unit, as the venue quotes them: the bar holds coins and the price of one coin, as the live
    rows."""
    rate, next_funding = funding.at(ts)
    return Snapshot(
        venue=market.venue,
        symbol=market.symbol,
        asset=market.asset,
        inverse=False,
        ts=ts,
        mark=per_coin(mark, market.multiplier),
        index=None,
        last=None,
        oi_contracts=contracts,
        oi_coin=coin * market.multiplier,
        oi_usd=usd,
        funding_rate=rate,
        funding_interval_hours=funding.interval_hours,
        next_funding_time=next_funding,
        volume_24h_coin=None,
        volume_24h_usd=None,
    )


async def newest_first(
    fetch: Callable[[int, str | None], Awaitable[Page[T]]], wanted: int, page_size: int
) -> list[T]:
    """Pages back from now until `wanted` rows, or all the venue keeps, are in."""
    rows: list[T] = []
    start: str | None = None
    while len(rows) < wanted:
        page, start = await fetch(min(page_size, wanted - len(rows)), start)
        rows.extend(page)
        if not page or not start:
            break
    return rows


async def each_market(
    venue: Listing, assets: Iterable[str], load: Callable[[Market], Awaitable[list[Snapshot]]]
) -> list[Snapshot]:
    """`load` on each of the venue's markets of `assets`. The live ticks' own instrument list
    (loaded here if no tick has yet): history covers exactly the symbols they poll."""
    markets = venue.markets()
    if not markets:
        await venue.refresh_metadata()
        markets = venue.markets()
    wanted = set(assets)
    snapshots: list[Snapshot] = []
    for market in [market for market in markets if market.asset in wanted]:
        try:
            snapshots.extend(await load(market))
        except HISTORY_ERRORS as error:
            # History is a head start, not a requirement: the live polls build it anyway.
            log.warning("no %s backfill for %s: %s", market.venue, market.symbol, error)
    return snapshots


def market_per_asset(markets: Iterable[Market], assets: Iterable[str]) -> dict[str, Market]:
    """asset -> the market a venue's tier table of it comes from: the venue's own symbol
    (1000PEPEUSDT for PEPE), the unscaled contract where a venue lists both, so each asset has
    one table per venue."""
    wanted = set(assets)
    chosen: dict[str, Market] = {}
    for market in markets:
        held = chosen.get(market.asset)
        if market.asset in wanted and (held is None or market.multiplier < held.multiplier):
            chosen[market.asset] = market
    return chosen


async def backfill_venue(
    venue: MarketVenue, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    """The venue's history of `assets`; nothing for a venue without any, or when the venue
    fails (the live polls build the series anyway)."""
    if not venue.has.history:
        return []
    try:
        return await venue.backfill(assets, hours)
    except HISTORY_ERRORS as error:
        log.warning("no %s backfill: %s", venue.venue, error)
        return []
