"""The venue fakes, one module per `Venue` member as in bot/market/venues/: each declares its
routes as data (path -> answer) on a `VenueFake`; tests/fakes/exchange.py serves them all."""

from __future__ import annotations

from bot.market.models import Venue
from tests.fakes.venues import binance, binance_coinm, bybit, bybit_inverse, hyperliquid, okx
from tests.fakes.venues.base import VenueFake

FAKES: dict[Venue, VenueFake] = {
    fake.venue: fake
    for fake in (
        binance.FAKE,
        binance_coinm.FAKE,
        bybit.FAKE,
        bybit_inverse.FAKE,
        okx.FAKE,
        hyperliquid.FAKE,
    )
}
