"""Market data as a user asks for it: an asset by the name they typed (with a suggestion when
it is unknown), its live marks for /liq, /funding and /pos, and the /oi table. Built on the
core's MarketFeed, so replies use the same freshness rule as alerts."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import timedelta

from bot.errors import UserError
from bot.feed.market_feed import MarketFeed
from bot.i18n import _
from bot.market.overview import AssetOverview, build_overview
from bot.positions.marks import VenueMark


class UnknownAsset(UserError, LookupError):
    """'Unknown symbol BTX. Did you mean BTC?'"""

    def __init__(self, asset: str, suggestions: list[str]) -> None:
        if suggestions:
            problem = _(
                "Unknown symbol {asset}. Did you mean {suggestions}?",
                asset=asset[:20],
                suggestions=", ".join(suggestions),
            )
        else:
            problem = _("Unknown symbol {asset}.", asset=asset[:20])
        super().__init__(problem)
        self.asset = asset
        self.suggestions = suggestions


@dataclass
class MarketService:
    feed: MarketFeed

    def resolve(self, word: str) -> str:
        asset = word.upper().removesuffix("USDT").removesuffix("-USDT-SWAP")
        if asset in self.feed.known_assets:
            return asset
        close = difflib.get_close_matches(asset, sorted(self.feed.known_assets), n=3, cutoff=0.5)
        raise UnknownAsset(asset, close)

    async def marks(self, asset: str) -> tuple[list[VenueMark], dict[str, str]]:
        """The live marks a reply may use, and the venues left out with why; DataUnavailable
        saying which venues are left out when none is live."""
        rows, left_out = await self.feed.usable(asset)
        return [VenueMark.of(row) for row in rows], left_out

    async def overview(self, asset: str) -> tuple[AssetOverview, dict[str, str]]:
        now = self.feed.clock()
        latest, left_out = await self.feed.usable(asset)
        history = await self.feed.snapshots.series(asset, now - timedelta(hours=24, minutes=30))
        flows = await self.feed.snapshots.liquidations(asset, now - timedelta(hours=1))
        return build_overview(asset, latest, history, flows, now), left_out
