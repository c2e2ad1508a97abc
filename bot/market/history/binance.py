"""Binance USDⓈ-M: `openInterestHist` gives coin and USD per 5 minutes (USD / coin is the mark
proxy, as in the real metrics files) and `fundingRate` the settled rates."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from bot.market.binance import BinanceFetcher
from bot.market.history.common import Funding, Market, bars, each_market, snapshot, timestamp
from bot.market.models import Snapshot
from bot.market.values import decimal

MAX_ROWS = 500  # what openInterestHist serves at most


def binance_snapshots(
    market: Market, oi_rows: list[dict[str, Any]], funding: Funding
) -> list[Snapshot]:
    snapshots = []
    for row in oi_rows:
        coin = decimal(row["sumOpenInterest"], "sumOpenInterest")
        usd = decimal(row["sumOpenInterestValue"], "sumOpenInterestValue")
        if coin <= 0:
            continue  # no OI, so no USD / coin price: left out rather than guessed
        ts = timestamp(row["timestamp"])
        snapshots.append(
            snapshot(market, ts, funding, mark=usd / coin, contracts=coin, coin=coin, usd=usd)
        )
    return snapshots


async def backfill_binance(
    fetcher: BinanceFetcher, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    if not fetcher.instruments:
        await fetcher.refresh_metadata()
    wanted = set(assets)
    get = fetcher.client.get

    async def load(market: Market) -> list[Snapshot]:
        history, funding = await asyncio.gather(
            get(
                "futures/data/openInterestHist",
                {"symbol": market.symbol, "period": "5m", "limit": str(min(MAX_ROWS, bars(hours)))},
            ),
            get("fapi/v1/fundingRate", {"symbol": market.symbol, "limit": "100"}),
        )
        rates = Funding.settled(
            ((row["fundingTime"], row["fundingRate"]) for row in funding),
            fetcher.funding_interval(market.symbol),
        )
        return binance_snapshots(market, history, rates)

    return await each_market(
        (
            Market(fetcher.venue, inst.symbol, inst.asset, inst.multiplier)
            for inst in fetcher.instruments.values()
            if inst.asset in wanted
        ),
        load,
    )
