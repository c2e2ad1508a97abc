"""Fresh tier tables from Bybit's public risk-limit endpoint (Binance's needs an API key, so
its tables stay the bundled, dated snapshot). A table that fails the recursion check is
refused and the bundled one stays in use."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.market.http import VenueClient, VenueError
from bot.market.okx import OkxFetcher
from bot.risk.tiers import (
    BadTierTable,
    TierTable,
    tiers_from_bybit_risk_limit,
    tiers_from_okx_position_tiers,
)

log = logging.getLogger(__name__)


# Coin-margined perpetuals whose tiers /liq uses (`bybit btcusd inverse`).
INVERSE_ASSETS = ("BTC", "ETH")


def bybit_symbols(assets: list[str]) -> list[str]:
    """USDT perpetuals of every polled asset, and the inverse ones /liq knows."""
    linear = [f"{asset}USDT" for asset in assets]
    return linear + [f"{asset}USD" for asset in assets if asset in INVERSE_ASSETS]


async def bybit_tiers(client: VenueClient, symbols: list[str]) -> list[TierTable]:
    date = f"live {datetime.now(UTC):%Y-%m-%d}"
    tables = []
    for symbol in symbols:
        category = "linear" if symbol.endswith(("USDT", "USDC")) else "inverse"
        try:
            payload = await client.get(
                "v5/market/risk-limit", {"category": category, "symbol": symbol}
            )
            tables.append(tiers_from_bybit_risk_limit(payload, symbol, date))
        except (VenueError, BadTierTable, KeyError, ValueError, ArithmeticError) as error:
            log.warning("bybit tiers for %s not refreshed: %s", symbol, error)
    return tables


async def okx_tiers(fetcher: OkxFetcher, assets: list[str]) -> list[TierTable]:
    """Isolated-margin tiers per USDT swap; contract sizes from OKX's instrument list."""
    date = f"live {datetime.now(UTC):%Y-%m-%d}"
    tables = []
    try:
        await fetcher.refresh_metadata()
    except VenueError as error:
        log.warning("okx tiers not refreshed: %s", error)
        return []
    for asset in assets:
        instrument = fetcher.instruments.get(f"{asset}-USDT-SWAP")
        if instrument is None:
            continue
        try:
            payload = await fetcher.client.get(
                "api/v5/public/position-tiers",
                {"instType": "SWAP", "tdMode": "isolated", "instFamily": f"{asset}-USDT"},
            )
            tables.append(
                tiers_from_okx_position_tiers(
                    payload, f"{asset}USDT", instrument.ct_val * instrument.multiplier, date
                )
            )
        except (VenueError, BadTierTable, KeyError, ValueError, ArithmeticError) as error:
            log.warning("okx tiers for %s not refreshed: %s", asset, error)
    return tables
