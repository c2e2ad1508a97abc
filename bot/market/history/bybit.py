"""Bybit linear: `open-interest` (5-minute bars, 200 a page, cursor), `kline` for the price of
the same bars and `funding/history` for the settled rates; every list comes newest first.

The OI history states coin only, so each bar takes the opening trade of the kline that starts
at its time (the price at that instant); a bar without its kline is left out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from bot.market.bybit import BybitFetcher, one_side_oi
from bot.market.history.common import (
    Funding,
    Market,
    Page,
    bar_of,
    bars,
    each_market,
    newest_first,
    snapshot,
    timestamp,
)
from bot.market.models import Snapshot
from bot.market.values import positive, unscale

OI_PAGE = 200
KLINE_START, KLINE_OPEN = 0, 1


def bybit_snapshots(
    market: Market, oi_rows: list[dict[str, Any]], klines: list[list[str]], funding: Funding
) -> list[Snapshot]:
    opens = {
        bar_of(timestamp(row[KLINE_START])): positive(row[KLINE_OPEN], "kline open")
        for row in klines
    }
    snapshots = []
    for row in oi_rows:
        ts = timestamp(row["timestamp"])
        mark = opens.get(bar_of(ts))
        if mark is None:
            continue
        contracts = one_side_oi(row)
        snapshots.append(
            snapshot(
                market,
                ts,
                funding,
                mark=mark,
                contracts=contracts,
                coin=contracts,
                usd=contracts * mark,
            )
        )
    return snapshots


async def backfill_bybit(
    fetcher: BybitFetcher, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    # The live ticks' own instrument list: history covers exactly the symbols they poll.
    if not fetcher.bases:
        await fetcher.refresh_metadata()
    wanted = set(assets)
    get = fetcher.client.get
    rows = bars(hours)

    async def load(market: Market) -> list[Snapshot]:
        base = {"category": "linear", "symbol": market.symbol}

        async def oi_page(limit: int, cursor: str | None) -> Page[dict[str, Any]]:
            params = {**base, "intervalTime": "5min", "limit": str(limit)}
            if cursor:
                params["cursor"] = cursor
            result = (await get("v5/market/open-interest", params))["result"]
            return result["list"], result.get("nextPageCursor") or None

        history, klines, funding = await asyncio.gather(
            newest_first(oi_page, rows, OI_PAGE),
            # One bar more: a new bar may open between the two requests.
            get("v5/market/kline", {**base, "interval": "5", "limit": str(rows + 1)}),
            get("v5/market/funding/history", {**base, "limit": "100"}),
        )
        rates = Funding.settled(
            (row["fundingRateTimestamp"], row["fundingRate"]) for row in funding["result"]["list"]
        )
        return bybit_snapshots(market, history, klines["result"]["list"], rates)

    markets = []
    for symbol, base_coin in fetcher.bases.items():
        asset, multiplier = unscale(base_coin)
        if asset in wanted:
            markets.append(Market(fetcher.venue, symbol, asset, multiplier))
    return await each_market(markets, load)
