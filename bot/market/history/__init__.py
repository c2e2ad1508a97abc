"""Backfill on first start: venues keep some history (Binance OI 30 days, OKX the last 1,440
bars, Bybit since listing), so the bot's own series need not start empty and readings work from
the first minute. Each venue's history lands in the units its live fetcher uses.

Binance USDⓈ-M, Bybit linear and OKX swaps have it (docs/reference/exchanges.md §7);
Hyperliquid keeps no OI history, and the inverse venues are not backfilled.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from bot.market.collector import Fetcher
from bot.market.history.binance import backfill_binance
from bot.market.history.bybit import backfill_bybit
from bot.market.history.common import HISTORY_ERRORS
from bot.market.history.okx import backfill_okx
from bot.market.models import Snapshot, Venue

log = logging.getLogger(__name__)

BACKFILLS: dict[Venue, Callable[[Any, Iterable[str], int], Awaitable[list[Snapshot]]]] = {
    Venue.BINANCE: backfill_binance,
    Venue.BYBIT: backfill_bybit,
    Venue.OKX: backfill_okx,
}


async def backfill_venue(
    fetcher: Fetcher, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    """The fetcher's venue history for `assets`; nothing for a venue without any, or when the
    venue fails (the live polls build the series anyway)."""
    load = BACKFILLS.get(fetcher.venue)
    if load is None:
        return []
    try:
        return await load(fetcher, assets, hours)
    except HISTORY_ERRORS as error:
        log.warning("no %s backfill: %s", fetcher.venue, error)
        return []
