"""Binance COIN-M: the USDⓈ-M poll on `dapi/v1`, inverse contracts quoted in USD per contract.
Opt-in (OIWATCH_VENUES): it costs ~35 more per-symbol OI requests a tick. No history, streams
or tiers are taken from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.market.http import VenueClient
from bot.market.models import Venue
from bot.market.venues.base import Has, Lacks
from bot.market.venues.binance import BinanceFetcher, check_binance

DEFAULT_URL = "https://dapi.binance.com"
HAS = Has()


@dataclass
class BinanceCoinmFetcher(BinanceFetcher):
    venue: Venue = Venue.BINANCE_COINM
    api: str = "dapi/v1"
    has: Has = HAS

    # The USDⓈ-M parts this venue has no counterpart of.
    backfill = Lacks.backfill
    liquidations = Lacks.liquidations
    klines = Lacks.klines

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> BinanceCoinmFetcher:
        return cls(VenueClient(str(Venue.BINANCE_COINM), base_url, check_binance, **client))
