"""OKX swaps: rubik `open-interest-history` ([ts, contracts, coin, USD] per 5 minutes, 100 a
page, only the latest 1,440 rows, newest first) and `funding-rate-history` for the settled
rates. The rows state USD and coin, so USD / coin is the mark proxy and no candles are needed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from bot.market.history.common import (
    Funding,
    Market,
    Page,
    bars,
    each_market,
    newest_first,
    snapshot,
    timestamp,
)
from bot.market.models import Snapshot
from bot.market.okx import OkxFetcher
from bot.market.values import decimal

OI_PAGE = 100
TS, OI_CONTRACTS, OI_COIN, OI_USD = 0, 1, 2, 3


def okx_snapshots(market: Market, oi_rows: list[list[str]], funding: Funding) -> list[Snapshot]:
    snapshots = []
    for row in oi_rows:
        coin, usd = decimal(row[OI_COIN], "oiCcy"), decimal(row[OI_USD], "oiUsd")
        if coin <= 0:
            continue  # no OI, so no USD / coin price: left out rather than guessed
        snapshots.append(
            snapshot(
                market,
                timestamp(row[TS]),
                funding,
                mark=usd / coin,
                contracts=decimal(row[OI_CONTRACTS], "oi"),
                coin=coin,
                usd=usd,
            )
        )
    return snapshots


async def backfill_okx(
    fetcher: OkxFetcher, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    if not fetcher.instruments:
        await fetcher.refresh_metadata()
    wanted = set(assets)
    get = fetcher.client.get

    async def load(market: Market) -> list[Snapshot]:
        async def oi_page(limit: int, end: str | None) -> Page[list[str]]:
            params = {"instId": market.symbol, "period": "5m", "limit": str(limit)}
            if end:
                params["end"] = end  # rows older than this one
            data = (await get("api/v5/rubik/stat/contracts/open-interest-history", params))["data"]
            return data, data[-1][TS] if data else None

        history, funding = await asyncio.gather(
            newest_first(oi_page, bars(hours), OI_PAGE),
            get("api/v5/public/funding-rate-history", {"instId": market.symbol, "limit": "100"}),
        )
        rates = Funding.settled((row["fundingTime"], row["fundingRate"]) for row in funding["data"])
        return okx_snapshots(market, history, rates)

    return await each_market(
        (
            Market(fetcher.venue, inst.inst_id, inst.asset, inst.multiplier)
            for inst in fetcher.instruments.values()
            if inst.asset in wanted
        ),
        load,
    )
