"""Hyperliquid as the fake serves it: POST /info {"type": "metaAndAssetCtxs"}, scaled coins as
kPEPE, the funding rate per hour."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.market.models import Venue
from tests.fakes.venues.base import SCALED, Route, VenueFake, recorded, s

if TYPE_CHECKING:
    from tests.fakes.exchange import FakeExchange


def coin_name(asset: str) -> str:
    return f"k{asset}" if asset in SCALED else asset


async def info(fx: FakeExchange, request: web.Request) -> Any:
    body = await request.json()
    if body.get("type") != "metaAndAssetCtxs":
        return web.json_response({"error": "unsupported"}, status=422)
    meta_template = recorded("hyperliquid/metaAndAssetCtxs.json")[0]["universe"][0]
    ctx_template = recorded("hyperliquid/metaAndAssetCtxs.json")[1][0]
    universe, ctxs = [], []
    for asset, state in fx.markets(Venue.HYPERLIQUID):
        scale = SCALED.get(asset, 1)
        meta = dict(meta_template)
        meta["name"] = coin_name(asset)
        ctx = dict(ctx_template)
        ctx.update(
            markPx=s(state.mark * scale),
            oraclePx=s(state.index * scale),
            midPx=s(state.mark * scale),
            openInterest=s(state.oi_coin / scale),
            funding=s(state.funding / state.interval_h),  # the same economics, per hour
            dayBaseVlm=s(state.volume_coin / scale),
            dayNtlVlm=s(state.volume_coin * state.mark),
        )
        universe.append(meta)
        ctxs.append(ctx)
    return [{"universe": universe}, ctxs]


ROUTES: dict[str, Route] = {"/info": info}

FAKE = VenueFake(
    Venue.HYPERLIQUID, "hyperliquid", ROUTES, endpoints={"hyperliquid": "/hyperliquid"}
)
