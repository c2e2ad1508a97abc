"""OKX swaps as the fake serves it: the five bulk calls of the poll, instruments with their
contract values, OI history (pages by `end`) and funding history, position tiers, HTTP-200
error envelopes and the liquidation websocket."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.market.models import Venue
from tests.fakes.venues.base import HISTORY_BARS, Route, VenueFake, recorded, s

if TYPE_CHECKING:
    from tests.fakes.exchange import FakeExchange

CT_VAL = {"BTC": Decimal("0.01"), "ETH": Decimal("0.1")}  # coin per contract; others 1
UNKNOWN = "okx/error_51001_instrument_not_found.CONSTRUCTED.json"


def inst_id(asset: str) -> str:
    return f"{asset}-USDT-SWAP"


def ct_val(asset: str) -> Decimal:
    return CT_VAL.get(asset, Decimal(1))


def envelope(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(recorded(name))
    body["data"] = rows
    return body


def row(name: str, **values: Any) -> dict[str, Any]:
    out = dict(recorded(name)["data"][0])
    out.update(values)
    return out


async def instruments(fx: FakeExchange, request: web.Request) -> Any:
    name = "okx/instruments_SWAP.json"
    linear = next(r for r in recorded(name)["data"] if r["ctType"] == "linear")
    rows = []
    for asset, _ in fx.markets(Venue.OKX):
        inst = dict(linear)
        inst.update(
            instId=inst_id(asset),
            uly=f"{asset}-USDT",
            instFamily=f"{asset}-USDT",
            ctValCcy=asset,
            settleCcy="USDT",
            ctVal=s(ct_val(asset)),
            state="live",
        )
        rows.append(inst)
    return envelope(name, rows)


async def position_tiers(fx: FakeExchange, request: web.Request) -> Any:
    family = request.query.get("instFamily", "")
    ladder = fx.okx_tiers.get(family.removesuffix("-USDT"), [])
    # The shape of OKX's documented answer (no recorded fixture exists).
    return envelope(
        "okx/open_interest_SWAP.json",
        [
            {
                "uly": family,
                "instFamily": family,
                "instId": "",
                "tier": str(i + 1),
                "minSz": "0" if i == 0 else ladder[i - 1][0],
                "maxSz": max_sz,
                "mmr": mmr,
                "imr": str(Decimal(mmr) * 2),
                "maxLever": lever,
                "optMgnFactor": "0",
                "quoteMaxLoan": "",
                "baseMaxLoan": "",
            }
            for i, (max_sz, mmr, lever) in enumerate(ladder)
        ],
    )


async def open_interest(fx: FakeExchange, request: web.Request) -> Any:
    name = "okx/open_interest_SWAP.json"
    return envelope(
        name,
        [
            row(
                name,
                instId=inst_id(a),
                oi=s(st.oi_coin / ct_val(a)),
                oiCcy=s(st.oi_coin),
                oiUsd=s(st.oi_coin * st.mark),
                ts=str(fx.now_ms),
            )
            for a, st in fx.markets(Venue.OKX)
        ],
    )


async def funding_rate(fx: FakeExchange, request: web.Request) -> Any:
    name = "okx/funding_rate_BTC-USDT-SWAP.json"
    start = fx.now_ms + 600_000
    return envelope(
        name,
        [
            row(
                name,
                instId=inst_id(a),
                fundingRate=s(st.funding),
                fundingTime=str(start),
                nextFundingTime=str(start + st.interval_h * 3_600_000),
                ts=str(fx.now_ms),
            )
            for a, st in fx.markets(Venue.OKX)
        ],
    )


async def mark_price(fx: FakeExchange, request: web.Request) -> Any:
    name = "okx/mark_price_BTC-USDT-SWAP.json"
    return envelope(
        name,
        [
            row(name, instId=inst_id(a), markPx=s(st.mark), ts=str(fx.now_ms))
            for a, st in fx.markets(Venue.OKX)
        ],
    )


async def tickers(fx: FakeExchange, request: web.Request) -> Any:
    name = "okx/tickers_SWAP.json"
    return envelope(
        name,
        [
            row(
                name,
                instId=inst_id(a),
                last=s(st.mark),
                volCcy24h=s(st.volume_coin),
                vol24h=s(st.volume_coin / ct_val(a)),
                ts=str(fx.now_ms),
            )
            for a, st in fx.markets(Venue.OKX)
        ],
    )


async def index_tickers(fx: FakeExchange, request: web.Request) -> Any:
    name = "okx/index_tickers_BTC-USDT.json"
    return envelope(
        name,
        [
            row(name, instId=f"{a}-USDT", idxPx=s(st.index), ts=str(fx.now_ms))
            for a, st in fx.markets(Venue.OKX)
        ],
    )


def _market(fx: FakeExchange, request: web.Request) -> tuple[str, Any] | None:
    wanted = request.query.get("instId", "")
    found = [(a, st) for a, st in fx.markets(Venue.OKX) if inst_id(a) == wanted]
    return found[0] if found else None


async def open_interest_history(fx: FakeExchange, request: web.Request) -> Any:
    """OI history newest first ([ts, contracts, coin, USD], `history_drift` per bar), only
    rows older than `end`."""
    market = _market(fx, request)
    if market is None:
        return recorded(UNKNOWN)
    asset, state = market
    body = copy.deepcopy(recorded("okx/rubik_contracts_open_interest_history.json"))
    end = int(request.query.get("end") or 0)
    limit = min(100, int(request.query.get("limit", "100")))
    backs = [b for b in range(HISTORY_BARS) if not end or fx.bar_ms(b) < end][:limit]
    coins = [(fx.bar_ms(b), state.oi_coin * fx.drift(b)) for b in backs]
    body["data"] = [
        [str(ms), s(coin / ct_val(asset)), s(coin), s(coin * state.mark)] for ms, coin in coins
    ]
    return body


async def funding_rate_history(fx: FakeExchange, request: web.Request) -> Any:
    """The last three settled rates."""
    market = _market(fx, request)
    if market is None:
        return recorded(UNKNOWN)
    _, state = market
    body = copy.deepcopy(recorded("okx/funding_rate_history.json"))
    body["data"] = [
        dict(
            body["data"][0],
            instId=request.query["instId"],
            fundingRate=s(state.funding),
            realizedRate=s(state.funding),
            fundingTime=str(fx.now_ms - k * state.interval_h * 3_600_000),
        )
        for k in (0, 1, 2)
    ]
    return body


ROUTES: dict[str, Route] = {
    "/api/v5/public/instruments": instruments,
    "/api/v5/public/position-tiers": position_tiers,
    "/api/v5/public/open-interest": open_interest,
    "/api/v5/public/funding-rate": funding_rate,
    "/api/v5/public/mark-price": mark_price,
    "/api/v5/market/tickers": tickers,
    "/api/v5/market/index-tickers": index_tickers,
    "/api/v5/rubik/stat/contracts/open-interest-history": open_interest_history,
    "/api/v5/public/funding-rate-history": funding_rate_history,
}

FAKE = VenueFake(
    Venue.OKX,
    "okx",
    ROUTES,
    endpoints={"okx": "/okx", "okx_ws": "/okx-ws"},
    envelope_rate=lambda: recorded("okx/error_50011_rate_limit.CONSTRUCTED.json"),
    ws_answer=lambda message: "pong" if message == "ping" else None,  # its keep-alive
)
