"""Binance COIN-M as the fake serves it: the USDⓈ-M poll on dapi, in USD contracts (100 USD for
BTC, 10 for the others)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.market.models import Venue
from tests.fakes.venues.base import Route, VenueFake, recorded, s
from tests.fakes.venues.binance import FAKE as USDM
from tests.fakes.venues.binance import invalid_symbol

if TYPE_CHECKING:
    from tests.fakes.exchange import FakeExchange


def face(asset: str) -> Decimal:
    return Decimal(100) if asset == "BTC" else Decimal(10)


def row(template: dict[str, Any], asset: str, **values: Any) -> dict[str, Any]:
    return dict(template, symbol=f"{asset}USD_PERP", pair=f"{asset}USD", **values)


async def exchange_info(fx: FakeExchange, request: web.Request) -> Any:
    recorded_info = recorded("binance_coinm/exchangeInfo.json")
    info = copy.deepcopy(recorded_info)
    info["symbols"] = [
        dict(
            recorded_info["symbols"][0],
            symbol=f"{a}USD_PERP",
            pair=f"{a}USD",
            baseAsset=a,
            marginAsset=a,
            contractSize=int(face(a)),
        )
        for a, _ in fx.markets(Venue.BINANCE_COINM)
    ]
    return info


async def funding_info(fx: FakeExchange, request: web.Request) -> Any:
    return web.json_response(None)  # as recorded: null means no adjusted symbols


async def premium_index(fx: FakeExchange, request: web.Request) -> Any:
    template = recorded("binance_coinm/premiumIndex_BTCUSD_PERP.json")[0]
    return [
        row(
            template,
            a,
            markPrice=s(st.mark),
            indexPrice=s(st.index),
            lastFundingRate=s(st.funding),
            time=fx.now_ms,
            nextFundingTime=fx.now_ms + 3_600_000,
        )
        for a, st in fx.markets(Venue.BINANCE_COINM)
    ]


async def ticker_24hr(fx: FakeExchange, request: web.Request) -> Any:
    template = recorded("binance_coinm/ticker_24hr_BTCUSD_PERP.json")[0]
    return [
        row(
            template,
            a,
            lastPrice=s(st.mark),
            volume=s(st.volume_coin * st.mark / face(a)),
            baseVolume=s(st.volume_coin),
        )
        for a, st in fx.markets(Venue.BINANCE_COINM)
    ]


async def open_interest(fx: FakeExchange, request: web.Request) -> Any:
    symbol = request.query.get("symbol", "")
    for a, st in fx.markets(Venue.BINANCE_COINM):
        if f"{a}USD_PERP" == symbol:
            return row(
                recorded("binance_coinm/openInterest_BTCUSD_PERP.json"),
                a,
                openInterest=s(st.oi_coin * st.mark / face(a)),
                time=fx.now_ms,
            )
    return invalid_symbol()


ROUTES: dict[str, Route] = {
    "/dapi/v1/exchangeInfo": exchange_info,
    "/dapi/v1/fundingInfo": funding_info,
    "/dapi/v1/premiumIndex": premium_index,
    "/dapi/v1/ticker/24hr": ticker_24hr,
    "/dapi/v1/openInterest": open_interest,
}

FAKE = VenueFake(
    Venue.BINANCE_COINM,
    "binance_coinm",
    ROUTES,
    endpoints={"binance_coinm": "/binance_coinm"},
    throttled=USDM.throttled,
)
