"""Bybit linear as the fake serves it: the poll, OI history with klines and funding (newest
first, cursor pages), risk-limit tiers, HTTP-200 error envelopes and the liquidation
websocket. Inverse contracts answer on the same host (bybit_inverse.py)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.market.models import Venue
from tests.fakes.venues.base import (
    HISTORY_BARS,
    SCALED,
    Route,
    VenueFake,
    binance_symbol,
    recorded,
    s,
)

if TYPE_CHECKING:
    from tests.fakes.exchange import FakeExchange

UNKNOWN = "bybit/error_10001_not_supported_symbols.CONSTRUCTED.json"


async def instruments_info(fx: FakeExchange, request: web.Request) -> Any:
    body = copy.deepcopy(recorded("bybit/instruments_info_linear.json"))
    template = body["result"]["list"][0]
    body["result"]["list"] = []
    for asset, _ in fx.markets(Venue.BYBIT):
        row = copy.deepcopy(template)
        scale = SCALED.get(asset)
        row.update(symbol=binance_symbol(asset), baseCoin=f"{scale}{asset}" if scale else asset)
        body["result"]["list"].append(row)
    return body


async def risk_limit(fx: FakeExchange, request: web.Request) -> Any:
    symbol = request.query.get("symbol", "")
    ladder = fx.bybit_tiers.get(symbol)
    if ladder is None:
        return recorded(UNKNOWN)
    rows = [
        {
            "id": i + 1,
            "symbol": symbol,
            "riskLimitValue": cap,
            "maintenanceMargin": mmr,
            "initialMargin": str(Decimal(mmr) * 2),
            "isLowestRisk": 1 if i == 0 else 0,
            "maxLeverage": lev,
            "mmDeduction": "" if i == 0 else ded,
        }
        for i, (cap, mmr, lev, ded) in enumerate(ladder)
    ]
    # The shape of Bybit's documented example (no recorded fixture exists).
    return {
        "retCode": 0,
        "retMsg": "OK",
        "result": {"category": request.query.get("category", "linear"), "list": rows},
        "retExtInfo": {},
        "time": fx.now_ms,
    }


async def tickers(fx: FakeExchange, request: web.Request) -> Any:
    body = copy.deepcopy(recorded("bybit/tickers_inverse_BTCUSD.json"))
    template = body["result"]["list"][0]
    body["result"]["category"] = "linear"
    body["result"]["list"] = []
    for asset, state in fx.markets(Venue.BYBIT):
        scale = SCALED.get(asset, 1)
        row = dict(template)
        row.update(
            symbol=binance_symbol(asset),
            markPrice=s(state.mark * scale),
            indexPrice=s(state.index * scale),
            lastPrice=s(state.mark * scale),
            openInterest=s(state.oi_coin / scale),
            openInterestValue=s(state.oi_coin * state.mark),
            fundingRate=s(state.funding),
            fundingIntervalHour=str(state.interval_h),
            nextFundingTime=str(fx.now_ms + 3_600_000),
            volume24h=s(state.volume_coin / scale),
            turnover24h=s(state.volume_coin * state.mark),
        )
        body["result"]["list"].append(row)
    body["time"] = fx.now_ms
    return body


def _market(fx: FakeExchange, request: web.Request) -> tuple[str, Any] | None:
    symbol = request.query.get("symbol", "")
    found = [(a, st) for a, st in fx.markets(Venue.BYBIT) if binance_symbol(a) == symbol]
    return found[0] if found else None


async def open_interest(fx: FakeExchange, request: web.Request) -> Any:
    """Linear OI history, newest first, shifted by `history_drift` per bar: one side in
    `singleOpenInterest`, both in `openInterest`, as documented since 2026-06."""
    market = _market(fx, request)
    if market is None:
        return recorded(UNKNOWN)
    asset, state = market
    scale = SCALED.get(asset, 1)
    body = copy.deepcopy(recorded("bybit/open_interest_inverse_BTCUSD_1d.json"))
    template = body["result"]["list"][0]
    # The cursor is opaque to the client; here it is the number of bars already served.
    first = int(request.query.get("cursor") or 0)
    backs = range(first, min(first + int(request.query.get("limit", "50")), HISTORY_BARS))
    body["result"].update(
        symbol=request.query["symbol"],
        category="linear",
        list=[
            dict(
                template,
                openInterest=s(2 * state.oi_coin / scale * fx.drift(back)),
                singleOpenInterest=s(state.oi_coin / scale * fx.drift(back)),
                timestamp=str(fx.bar_ms(back)),
            )
            for back in backs
        ],
        nextPageCursor=str(backs.stop) if backs.stop < HISTORY_BARS else "",
    )
    body["time"] = fx.now_ms
    return body


async def kline(fx: FakeExchange, request: web.Request) -> Any:
    """5-minute klines at the mark, newest first."""
    market = _market(fx, request)
    if market is None:
        return recorded(UNKNOWN)
    asset, state = market
    scale = SCALED.get(asset, 1)
    body = copy.deepcopy(recorded("bybit/kline_inverse_BTCUSD.json"))
    price = s(state.mark * scale)
    bar_volume = state.volume_coin / 288
    body["result"].update(
        symbol=request.query["symbol"],
        category="linear",
        list=[
            [
                str(fx.bar_ms(back)),
                *[price] * 4,
                s(bar_volume / scale),
                s(bar_volume * state.mark),
            ]
            for back in range(int(request.query.get("limit", "200")))
        ],
    )
    body["time"] = fx.now_ms
    return body


async def funding_history(fx: FakeExchange, request: web.Request) -> Any:
    """The last three settled rates, newest first."""
    market = _market(fx, request)
    if market is None:
        return recorded(UNKNOWN)
    _, state = market
    body = copy.deepcopy(recorded("bybit/funding_history.json"))
    template = body["result"]["list"][0]
    body["result"].update(
        category="linear",
        list=[
            dict(
                template,
                symbol=request.query["symbol"],
                fundingRate=s(state.funding),
                fundingRateTimestamp=str(fx.now_ms - k * state.interval_h * 3_600_000),
            )
            for k in (0, 1, 2)
        ],
    )
    body["time"] = fx.now_ms
    return body


ROUTES: dict[str, Route] = {
    "/v5/market/instruments-info": instruments_info,
    "/v5/market/risk-limit": risk_limit,
    "/v5/market/tickers": tickers,
    "/v5/market/open-interest": open_interest,
    "/v5/market/kline": kline,
    "/v5/market/funding/history": funding_history,
}

FAKE = VenueFake(
    Venue.BYBIT,
    "bybit",
    ROUTES,
    endpoints={"bybit": "/bybit", "bybit_ws": "/bybit-ws"},
    envelope_rate=lambda: recorded("bybit/error_10006_rate_limit.CONSTRUCTED.json"),
)
