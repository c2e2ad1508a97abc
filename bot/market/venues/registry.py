"""The only list of venues: each `Venue` member and the module that opens it. Adding a venue is
one module here plus its fake and fixtures (docs/venues.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.market.models import Venue
from bot.market.venues import binance, binance_coinm, bybit, bybit_inverse, hyperliquid, okx
from bot.market.venues.base import MarketVenue


@dataclass(frozen=True)
class MarketEndpoints:
    """Where each venue is: the operator's OIWATCH_*_URL settings, a fake's in tests."""

    # Websockets first: below the `binance` field the name means the field, not the module.
    binance_ws: str = binance.LIQUIDATION_WS
    binance_kline_ws: str = binance.KLINE_WS
    bybit_ws: str = bybit.LIQUIDATION_WS
    okx_ws: str = okx.LIQUIDATION_WS
    binance_coinm: str = binance_coinm.DEFAULT_URL
    binance: str = binance.DEFAULT_URL
    bybit: str = bybit.DEFAULT_URL
    okx: str = okx.DEFAULT_URL
    hyperliquid: str = hyperliquid.DEFAULT_URL


Opener = Callable[[MarketEndpoints, dict[str, Any]], MarketVenue]


@dataclass(frozen=True)
class Entry:
    open: Opener
    default: bool  # polled unless OIWATCH_VENUES says otherwise


def _binance(at: MarketEndpoints, client: dict[str, Any]) -> MarketVenue:
    venue = binance.BinanceFetcher.create(at.binance, **client)
    venue.liquidation_ws, venue.kline_ws = at.binance_ws, at.binance_kline_ws
    return venue


def _bybit(at: MarketEndpoints, client: dict[str, Any]) -> MarketVenue:
    venue = bybit.BybitFetcher.create(at.bybit, **client)
    venue.liquidation_ws = at.bybit_ws
    return venue


def _okx(at: MarketEndpoints, client: dict[str, Any]) -> MarketVenue:
    venue = okx.OkxFetcher.create(at.okx, **client)
    venue.liquidation_ws = at.okx_ws
    return venue


# COIN-M and Bybit inverse are opt-in; COIN-M costs ~35 more per-symbol OI requests a tick.
REGISTRY: dict[Venue, Entry] = {
    Venue.BINANCE: Entry(_binance, default=True),
    Venue.BINANCE_COINM: Entry(
        lambda at, client: binance_coinm.BinanceCoinmFetcher.create(at.binance_coinm, **client),
        default=False,
    ),
    Venue.BYBIT: Entry(_bybit, default=True),
    Venue.BYBIT_INVERSE: Entry(
        lambda at, client: bybit_inverse.BybitInverseFetcher.create(at.bybit, **client),
        default=False,
    ),
    Venue.OKX: Entry(_okx, default=True),
    Venue.HYPERLIQUID: Entry(
        lambda at, client: hyperliquid.HyperliquidFetcher.create(at.hyperliquid, **client),
        default=True,
    ),
}
DEFAULT_VENUES = tuple(venue for venue, entry in REGISTRY.items() if entry.default)


def make_fetchers(
    endpoints: MarketEndpoints, venues: Iterable[Venue], **client: Any
) -> list[MarketVenue]:
    """One venue object, with its own reused HTTP session, per venue asked for."""
    return [REGISTRY[venue].open(endpoints, client) for venue in venues]
