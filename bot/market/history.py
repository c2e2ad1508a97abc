"""Backfill on first start: venues keep some history (Binance OI 30 days at 5 minutes), so the
bot's own series need not start empty and readings work from the first minute.

Binance USDⓈ-M: `openInterestHist` (coin and USD per 5 minutes; USD / coin is the mark proxy,
as in the real metrics files) and `fundingRate` (settled rates). Other venues: not yet (their
history endpoints are in shared/reference/exchanges.md §7).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta

from bot.market.binance import BinanceFetcher
from bot.market.http import VenueError
from bot.market.models import Snapshot, Venue
from bot.market.values import BadPayload, decimal, from_ms

log = logging.getLogger(__name__)


async def backfill_binance(
    fetcher: BinanceFetcher, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    if not fetcher.instruments:
        await fetcher.refresh_metadata()
    wanted = set(assets)
    limit = min(500, hours * 12 + 1)
    snapshots: list[Snapshot] = []
    for instrument in fetcher.instruments.values():
        if instrument.asset not in wanted:
            continue
        params = {"symbol": instrument.symbol, "period": "5m", "limit": str(limit)}
        try:
            history, funding = await asyncio.gather(
                fetcher.client.get("futures/data/openInterestHist", params),
                fetcher.client.get(
                    "fapi/v1/fundingRate", {"symbol": instrument.symbol, "limit": "100"}
                ),
            )
            rates = sorted(
                (from_ms(row["fundingTime"]), decimal(row["fundingRate"], "fundingRate"))
                for row in funding
            )
            interval = fetcher.funding_interval(instrument.symbol)
            for row in history:
                ts = from_ms(row["timestamp"])
                coin = decimal(row["sumOpenInterest"], "sumOpenInterest")
                usd = decimal(row["sumOpenInterestValue"], "sumOpenInterestValue")
                if ts is None or coin <= 0:
                    raise BadPayload("openInterestHist row without time or OI")
                settled = [rate for at, rate in rates if at is not None and at <= ts]
                snapshots.append(
                    Snapshot(
                        venue=Venue.BINANCE,
                        symbol=instrument.symbol,
                        asset=instrument.asset,
                        inverse=False,
                        ts=ts,
                        mark=usd / coin,
                        index=None,
                        last=None,
                        oi_contracts=coin,
                        oi_coin=coin * instrument.multiplier,
                        oi_usd=usd,
                        funding_rate=settled[-1] if settled else None,
                        funding_interval_hours=interval,
                        next_funding_time=ts + timedelta(hours=interval) if settled else None,
                        volume_24h_coin=None,
                        volume_24h_usd=None,
                    )
                )
        except (VenueError, BadPayload, KeyError, TypeError, ValueError) as error:
            # History is a head start, not a requirement: the live polls build it anyway.
            log.warning("no backfill for %s: %s", instrument.symbol, error)
    return snapshots
