"""Hyperliquid perps: one POST /info {"type": "metaAndAssetCtxs"} gives everything.

`universe[i]` pairs with `ctxs[i]` by position: a length mismatch would hand one coin another's
funding, so it fails the whole tick. Funding is the hourly rate (interval 1 h); oraclePx is
the index. There is no OI history endpoint: the bot's own snapshots are the only history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.market.http import VenueClient, VenueError
from bot.market.models import Snapshot, Venue
from bot.market.reasons import HTTP_STATUS, reason
from bot.market.values import (
    BadPayload,
    open_interest,
    optional_amount,
    optional_funding,
    optional_price,
    per_coin,
    positive,
    unscale,
)
from bot.market.venues.base import Has, Lacks

DEFAULT_URL = "https://api.hyperliquid.xyz"
HAS = Has()  # the poll only


def check_hyperliquid(status: int, body: Any) -> None:
    if status >= 400:
        raise VenueError(reason(HTTP_STATUS, status=status))


def parse_meta_and_ctxs(body: Any, fetched_at: datetime) -> list[Snapshot]:
    if not isinstance(body, list) or len(body) != 2:
        raise BadPayload("metaAndAssetCtxs is not [meta, ctxs]")
    universe, ctxs = body[0].get("universe"), body[1]
    if not isinstance(universe, list) or not isinstance(ctxs, list) or len(universe) != len(ctxs):
        raise BadPayload("universe and asset contexts differ in length")
    snapshots = []
    for meta, ctx in zip(universe, ctxs, strict=True):
        if meta.get("isDelisted"):
            continue
        asset, multiplier = unscale(meta["name"])
        mark = positive(ctx.get("markPx"), "markPx")
        contracts = open_interest(ctx.get("openInterest"), "openInterest")
        if contracts is None:
            continue  # nothing open: nothing to watch
        volume_coin = optional_amount(ctx.get("dayBaseVlm"), "dayBaseVlm")
        snapshots.append(
            Snapshot(
                venue=Venue.HYPERLIQUID,
                symbol=meta["name"],
                asset=asset,
                inverse=False,
                ts=fetched_at,
                mark=per_coin(mark, multiplier),
                index=per_coin(optional_price(ctx.get("oraclePx"), "oraclePx"), multiplier),
                last=per_coin(optional_price(ctx.get("midPx"), "midPx"), multiplier),
                oi_contracts=contracts,
                oi_coin=contracts * multiplier,
                oi_usd=contracts * mark,
                funding_rate=optional_funding(ctx.get("funding"), "funding"),
                funding_interval_hours=1,
                next_funding_time=None,
                volume_24h_coin=volume_coin * multiplier if volume_coin is not None else None,
                volume_24h_usd=optional_amount(ctx.get("dayNtlVlm"), "dayNtlVlm"),
            )
        )
    return snapshots


@dataclass
class HyperliquidFetcher(Lacks):
    client: VenueClient
    venue: Venue = Venue.HYPERLIQUID
    has: Has = HAS

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> HyperliquidFetcher:
        return cls(VenueClient(str(Venue.HYPERLIQUID), base_url, check_hyperliquid, **client))

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        body = await self.client.post("info", {"type": "metaAndAssetCtxs"})
        # The venue sends no time with the contexts: they are as of this response.
        snapshots = parse_meta_and_ctxs(body, datetime.now(UTC))
        if assets is not None:
            snapshots = [s for s in snapshots if s.asset in assets]
        return snapshots, []

    async def aclose(self) -> None:
        await self.client.aclose()
