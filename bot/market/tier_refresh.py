"""Fresh tier tables from Bybit's public risk-limit endpoint (Binance's needs an API key, so
its tables stay the bundled, dated snapshot). A table that fails the recursion check is
refused and the bundled one stays in use."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.market.http import VenueClient, VenueError
from bot.risk.tiers import BadTierTable, TierTable, tiers_from_bybit_risk_limit

log = logging.getLogger(__name__)


async def bybit_tiers(client: VenueClient, symbols: list[str]) -> list[TierTable]:
    date = f"live {datetime.now(UTC):%Y-%m-%d}"
    tables = []
    for symbol in symbols:
        try:
            payload = await client.get(
                "v5/market/risk-limit", {"category": "linear", "symbol": symbol}
            )
            tables.append(tiers_from_bybit_risk_limit(payload, symbol, date))
        except (VenueError, BadTierTable, KeyError, ValueError, ArithmeticError) as error:
            log.warning("bybit tiers for %s not refreshed: %s", symbol, error)
    return tables
