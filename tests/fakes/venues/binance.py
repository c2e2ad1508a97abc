"""Binance USDⓈ-M as the fake serves it: the poll, OI history, unknown symbols (-1121), the
used-weight header, and the liquidation and kline websockets."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import web

from bot.market.models import Venue
from tests.fakes.venues.base import SCALED, Route, VenueFake, binance_symbol, recorded, s

if TYPE_CHECKING:
    from tests.fakes.exchange import FakeExchange

INVALID = "binance_usdm/error_-1121_invalid_symbol.json"


def invalid_symbol() -> web.Response:
    return web.json_response(recorded(INVALID), status=400)


async def exchange_info(fx: FakeExchange, request: web.Request) -> Any:
    info = copy.deepcopy(recorded("binance_usdm/exchangeInfo.json"))
    template = info["symbols"][0]
    info["symbols"] = []
    for asset, _ in fx.markets(Venue.BINANCE):
        row = copy.deepcopy(template)
        scale = SCALED.get(asset)
        row.update(
            symbol=binance_symbol(asset),
            pair=binance_symbol(asset),
            baseAsset=f"{scale}{asset}" if scale else asset,
        )
        info["symbols"].append(row)
    return info


async def funding_info(fx: FakeExchange, request: web.Request) -> Any:
    rows = []
    for asset, state in fx.markets(Venue.BINANCE):
        if state.interval_h != 8:  # only adjusted symbols are listed, as live
            row = dict(recorded("binance_usdm/fundingInfo.json")[0])
            row.update(symbol=binance_symbol(asset), fundingIntervalHours=state.interval_h)
            rows.append(row)
    return rows


async def premium_index(fx: FakeExchange, request: web.Request) -> Any:
    rows = []
    for asset, state in fx.markets(Venue.BINANCE):
        scale = SCALED.get(asset, 1)
        row = dict(recorded("binance_usdm/premiumIndex_all.json")[0])
        row.update(
            symbol=binance_symbol(asset),
            markPrice=s(state.mark * scale),
            indexPrice=s(state.index * scale),
            lastFundingRate=s(state.funding),
            nextFundingTime=fx.now_ms + 3_600_000,
            time=fx.now_ms,
        )
        rows.append(row)
    return rows


async def ticker_24hr(fx: FakeExchange, request: web.Request) -> Any:
    rows = []
    for asset, state in fx.markets(Venue.BINANCE):
        scale = SCALED.get(asset, 1)
        row = dict(recorded("binance_usdm/ticker_24hr_all.json")[0])
        row.update(
            symbol=binance_symbol(asset),
            lastPrice=s(state.mark * scale),
            volume=s(state.volume_coin / scale),
            quoteVolume=s(state.volume_coin * state.mark),
        )
        rows.append(row)
    return rows


async def open_interest_hist(fx: FakeExchange, request: web.Request) -> Any:
    """History as scripted: the state now, shifted by `history_drift` per bar."""
    symbol = request.query.get("symbol", "")
    limit = int(request.query.get("limit", "30"))
    for asset, state in fx.markets(Venue.BINANCE):
        if binance_symbol(asset) == symbol:
            scale = SCALED.get(asset, 1)
            row = dict(recorded("binance_usdm/openInterestHist_BTCUSDT_5m.json")[0])
            return [
                dict(
                    row,
                    symbol=symbol,
                    timestamp=fx.bar_ms(back),
                    sumOpenInterest=s(state.oi_coin / scale * fx.drift(back)),
                    sumOpenInterestValue=s(state.oi_coin * fx.drift(back) * state.mark),
                )
                for back in reversed(range(limit))
            ]
    return invalid_symbol()


async def funding_rate(fx: FakeExchange, request: web.Request) -> Any:
    symbol = request.query.get("symbol", "")
    for asset, state in fx.markets(Venue.BINANCE):
        if binance_symbol(asset) == symbol:
            row = dict(recorded("binance_usdm/fundingRate_BTCUSDT.json")[0])
            return [
                dict(
                    row,
                    symbol=symbol,
                    fundingRate=s(state.funding),
                    fundingTime=fx.now_ms - k * state.interval_h * 3_600_000,
                )
                for k in (2, 1, 0)
            ]
    return invalid_symbol()


async def open_interest(fx: FakeExchange, request: web.Request) -> Any:
    symbol = request.query.get("symbol", "")
    for asset, state in fx.markets(Venue.BINANCE):
        if binance_symbol(asset) == symbol and symbol not in fx.hidden_symbols:
            row = dict(recorded("binance_usdm/openInterest_BTCUSDT.json"))
            row.update(
                symbol=symbol,
                openInterest=s(state.oi_coin / SCALED.get(asset, 1)),
                time=fx.now_ms,
            )
            return row
    return invalid_symbol()


class Bar(NamedTuple):
    open: Any
    high: Any
    low: Any
    close: Any
    volume: Any  # coins
    taker_buy: Any  # coins
    closed: bool


def kline_frame(asset: str, minute_ms: int, now_ms: int, bar: Bar) -> dict[str, Any]:
    """A `@kline_1m` frame in the combined-stream form, for the minute starting at
    `minute_ms`."""
    symbol = binance_symbol(asset)
    frame: dict[str, Any] = copy.deepcopy(recorded("binance_usdm/ws_kline_1m.json"))
    frame["stream"] = f"{symbol.lower()}@kline_1m"
    frame["data"].update(E=now_ms, s=symbol)
    frame["data"]["k"].update(
        t=minute_ms,
        T=minute_ms + 59_999,
        s=symbol,
        o=s(bar.open),
        h=s(bar.high),
        l=s(bar.low),
        c=s(bar.close),
        v=s(bar.volume),
        V=s(bar.taker_buy),
        q=s(Decimal(str(bar.volume)) * Decimal(str(bar.close))),
        Q=s(Decimal(str(bar.taker_buy)) * Decimal(str(bar.close))),
        x=bar.closed,
    )
    return frame


def subscribed(message: str) -> str | None:
    """Binance answers each SUBSCRIBE with its id."""
    if '"SUBSCRIBE"' not in message:
        return None
    return json.dumps({"result": None, "id": json.loads(message)["id"]})


def used_weight(fx: FakeExchange) -> dict[str, str]:
    if fx.binance_weight is None:
        return {}
    return {"X-MBX-USED-WEIGHT-1M": str(fx.binance_weight)}


ROUTES: dict[str, Route] = {
    "/fapi/v1/exchangeInfo": exchange_info,
    "/fapi/v1/fundingInfo": funding_info,
    "/fapi/v1/premiumIndex": premium_index,
    "/fapi/v1/ticker/24hr": ticker_24hr,
    "/futures/data/openInterestHist": open_interest_hist,
    "/fapi/v1/fundingRate": funding_rate,
    "/fapi/v1/openInterest": open_interest,
}

FAKE = VenueFake(
    Venue.BINANCE,
    "binance",
    ROUTES,
    endpoints={
        "binance": "/binance",
        "binance_ws": "/binance-ws",
        "binance_kline_ws": "/binance-kline-ws",
    },
    throttled=lambda: recorded("binance_usdm/error_-1003_too_many_requests.CONSTRUCTED.json"),
    headers=used_weight,
    ws_answer=subscribed,
)
