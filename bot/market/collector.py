"""One poll tick over every enabled venue, concurrently.

A slow venue never delays the others beyond its own time budget, and a failing one never
breaks the tick: it comes back `degraded` with a reason and no snapshots at all, so no reading
can rest on partial or stale numbers from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.market import binance, bybit, hyperliquid, okx
from bot.market.http import VenueClient, VenueError
from bot.market.models import Snapshot, TickResult, Venue, VenueResult
from bot.market.values import BadPayload

log = logging.getLogger(__name__)

# COIN-M and Bybit inverse are opt-in (OIWATCH_VENUES); COIN-M costs ~35 more per-symbol
# OI requests a tick.
DEFAULT_VENUES = (Venue.BINANCE, Venue.BYBIT, Venue.OKX, Venue.HYPERLIQUID)
DEFAULT_ASSETS = (
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "BNB",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "TON",
    "SUI",
    "LTC",
    "DOT",
    "TRX",
    "NEAR",
    "APT",
    "ARB",
    "OP",
    "PEPE",
    "WIF",
)


class Fetcher(Protocol):
    venue: Venue
    client: VenueClient

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class MarketEndpoints:
    # binance_coinm first: below the `binance` field the name means the field, not the module.
    binance_coinm: str = binance.COINM_URL
    binance: str = binance.DEFAULT_URL
    bybit: str = bybit.DEFAULT_URL
    okx: str = okx.DEFAULT_URL
    hyperliquid: str = hyperliquid.DEFAULT_URL
    binance_ws: str = "wss://fstream.binance.com/ws/!forceOrder@arr"
    bybit_ws: str = "wss://stream.bybit.com/v5/public/linear"
    okx_ws: str = "wss://ws.okx.com:8443/ws/v5/public"


def make_fetchers(
    endpoints: MarketEndpoints, venues: Iterable[Venue], **client: Any
) -> list[Fetcher]:
    factories: dict[Venue, Callable[[], Fetcher]] = {
        Venue.BINANCE: lambda: binance.BinanceFetcher.create(endpoints.binance, **client),
        Venue.BINANCE_COINM: lambda: binance.BinanceFetcher.create_coinm(
            endpoints.binance_coinm, **client
        ),
        Venue.BYBIT: lambda: bybit.BybitFetcher.create(endpoints.bybit, **client),
        Venue.BYBIT_INVERSE: lambda: bybit.BybitFetcher.create_inverse(endpoints.bybit, **client),
        Venue.OKX: lambda: okx.OkxFetcher.create(endpoints.okx, **client),
        Venue.HYPERLIQUID: lambda: hyperliquid.HyperliquidFetcher.create(
            endpoints.hyperliquid, **client
        ),
    }
    return [factories[v]() for v in venues]


class Collector:
    def __init__(
        self,
        fetchers: list[Fetcher],
        assets: Iterable[str] | None = DEFAULT_ASSETS,
        *,
        venue_budget_s: float = 30.0,
        max_age: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.fetchers = fetchers
        self.assets = frozenset(a.upper() for a in assets) if assets is not None else None
        self.venue_budget_s = venue_budget_s
        self.max_age = max_age
        self.clock = clock

    async def tick(self) -> TickResult:
        results = await asyncio.gather(*(self._venue(f) for f in self.fetchers))
        return TickResult({r.venue: r for r in results})

    async def _venue(self, fetcher: Fetcher) -> VenueResult:
        started = time.perf_counter()
        requests_before = fetcher.client.requests
        snapshots: list[Snapshot] = []
        reason: str | None = None
        degraded = False
        try:
            async with asyncio.timeout(self.venue_budget_s):
                snapshots, notes = await fetcher.tick(self.assets)
            reason = "; ".join(notes[:5]) or None
            stale = self._stale(snapshots)
            if stale:
                degraded, reason, snapshots = True, stale, []
        except TimeoutError:
            degraded, reason = True, f"no answer within {self.venue_budget_s:g}s"
        except VenueError as error:
            degraded, reason = True, error.reason
        except (BadPayload, KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            # The venue answered something other than what it documents: trust none of it.
            log.warning("%s payload not as documented: %r", fetcher.venue, error)
            degraded, reason = True, "answered in an unexpected format"
        if degraded:
            snapshots = []
            log.warning("%s degraded this tick: %s", fetcher.venue, reason)
        return VenueResult(
            venue=fetcher.venue,
            snapshots=tuple(snapshots),
            degraded=degraded,
            reason=reason,
            requests=fetcher.client.requests - requests_before,
            elapsed_s=time.perf_counter() - started,
            fetched_at=self.clock(),
        )

    def _stale(self, snapshots: list[Snapshot]) -> str | None:
        if not snapshots:
            return None
        oldest = min(s.ts for s in snapshots)
        age = self.clock() - oldest
        if age > self.max_age:
            return f"stale data: {int(age.total_seconds())}s old"
        return None

    async def aclose(self) -> None:
        await asyncio.gather(*(f.aclose() for f in self.fetchers))
