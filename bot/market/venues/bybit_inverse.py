"""Bybit inverse: the linear poll with `category=inverse`, 1 USD contracts. Opt-in
(OIWATCH_VENUES). Its tier tables come with the linear venue's refresh (`bybit btcusd inverse`);
no history or stream is taken from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.market.http import VenueClient
from bot.market.models import Venue
from bot.market.venues.base import Has, Lacks
from bot.market.venues.bybit import DEFAULT_URL, BybitFetcher, check_bybit

HAS = Has()


@dataclass
class BybitInverseFetcher(BybitFetcher):
    venue: Venue = Venue.BYBIT_INVERSE
    category: str = "inverse"
    has: Has = HAS

    # The linear parts this venue has no counterpart of.
    backfill = Lacks.backfill
    liquidations = Lacks.liquidations
    tiers = Lacks.tiers

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> BybitInverseFetcher:
        return cls(VenueClient(str(Venue.BYBIT_INVERSE), base_url, check_bybit, **client))
