"""Bybit inverse as the fake serves it: the linear endpoints with category=inverse, 1 USD
contracts, OI and volume in USD, value and turnover in coin."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.market.models import Venue
from tests.fakes.venues.base import Route, VenueFake, recorded, s
from tests.fakes.venues.bybit import FAKE as LINEAR

if TYPE_CHECKING:
    from tests.fakes.exchange import FakeExchange


async def instruments_info(fx: FakeExchange, request: web.Request) -> Any:
    body = copy.deepcopy(recorded("bybit/instruments_info_linear.json"))
    template = body["result"]["list"][0]
    body["result"]["category"] = "inverse"
    body["result"]["list"] = [
        dict(
            template,
            symbol=f"{a}USD",
            baseCoin=a,
            quoteCoin="USD",
            settleCoin=a,
            contractType="InversePerpetual",
        )
        for a, _ in fx.markets(Venue.BYBIT_INVERSE)
    ]
    return body


async def tickers(fx: FakeExchange, request: web.Request) -> Any:
    body = copy.deepcopy(recorded("bybit/tickers_inverse_BTCUSD.json"))
    template = body["result"]["list"][0]
    body["result"]["category"] = "inverse"
    body["result"]["list"] = [
        dict(
            template,
            symbol=f"{a}USD",
            markPrice=s(st.mark),
            indexPrice=s(st.index),
            lastPrice=s(st.mark),
            openInterest=s(st.oi_coin * st.mark),
            openInterestValue=s(st.oi_coin),
            fundingRate=s(st.funding),
            fundingIntervalHour=str(st.interval_h),
            nextFundingTime=str(fx.now_ms + 3_600_000),
            volume24h=s(st.volume_coin * st.mark),
            turnover24h=s(st.volume_coin),
        )
        for a, st in fx.markets(Venue.BYBIT_INVERSE)
    ]
    body["time"] = fx.now_ms
    return body


ROUTES: dict[str, Route] = {
    "/v5/market/instruments-info": instruments_info,
    "/v5/market/tickers": tickers,
}

FAKE = VenueFake(
    Venue.BYBIT_INVERSE,
    "bybit",
    ROUTES,
    query={"category": "inverse"},
    envelope_rate=LINEAR.envelope_rate,
)
