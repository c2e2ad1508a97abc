"""Liquidation and funding quotes from a chat's words: typed numbers, or an asset whose live
marks and funding rates the venues give. Handlers, inline mode and `oiwatch ask` all come
here; what returns is plain data for a presenter to word."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from bot.chat_input import LIQ_EXAMPLE, LIQ_USAGE, FundingWords, parse_funding, parse_liq
from bot.errors import UserError, usage_on_error
from bot.i18n import _
from bot.positions.marks import VenueMark, pick_mark
from bot.risk.funding import quote_funding
from bot.risk.models import FundingQuote, LiqQuote
from bot.risk.quote import quote_liquidation
from bot.risk.side import Side
from bot.risk.tiers import TierBook
from bot.usecases.market_data import MarketService


@dataclass(frozen=True, slots=True)
class LiveEntry:
    """The entry a '/liq BTC 20x long' took: a venue's live mark."""

    venue: str
    age_s: int
    asked: str | None  # the venue the user named, when its mark was not live
    why_not: str | None  # why not, as /oi words it


@dataclass(frozen=True, slots=True)
class LiquidationAnswer:
    quote: LiqQuote
    live: LiveEntry | None = None


@dataclass(frozen=True, slots=True)
class TypedFunding:
    """A hold priced at the rate typed; an asset named beside it labels it, as the market
    names it."""

    quote: FundingQuote
    asset: str | None = None


@dataclass(frozen=True, slots=True)
class VenueFunding:
    venue: str
    interval_hours: int
    quote: FundingQuote


@dataclass(frozen=True, slots=True)
class LiveFunding:
    """One position priced at each venue's current rate and its own interval."""

    asset: str
    notional: Decimal
    side: Side
    hold_hours: Decimal
    venues: tuple[VenueFunding, ...]  # most open interest first
    age_s: int  # of the newest data used
    left_out: dict[str, str]


@dataclass(frozen=True)
class QuoteService:
    market: MarketService
    tiers: Callable[[], TierBook]
    default_mmr: Decimal

    async def liquidation(self, words: list[str]) -> LiquidationAnswer:
        """Raises UserError (LiquidatedAtOnce among them) with /liq's usage where it helps."""
        with usage_on_error(LIQ_USAGE, LIQ_EXAMPLE):
            read = parse_liq(words)
            live = None
            if (typed := read.live_asset) is not None:
                live, asset, mark = await self._live_entry(typed, read.venue)
                request = read.request((asset, mark))
            else:
                request = read.request()
            quote = quote_liquidation(request, tiers=self.tiers(), default_mmr=self.default_mmr)
        return LiquidationAnswer(quote, live)

    async def _live_entry(self, typed: str, venue: str | None) -> tuple[LiveEntry, str, Decimal]:
        """The mark of the venue named, else of the one with the most open interest; the asset
        as the market names it."""
        if self.market.feed.collector is None:
            raise UserError(_("Market data is switched off on this bot: give an entry price."))
        asset = self.market.resolve(typed)
        marks, left_out = await self.market.marks(asset)
        chosen = pick_mark(marks, venue)
        age = max(0, int((self.market.feed.clock() - chosen.ts).total_seconds()))
        asked = venue if venue is not None and chosen.venue != venue else None
        why_not = None
        if asked is not None:
            why_not = left_out.get(asked) or _("(no live {asset} mark)", asset=asset)
        return LiveEntry(chosen.venue, age, asked, why_not), asset, chosen.mark

    async def funding(self, words: list[str]) -> TypedFunding | LiveFunding:
        """The rate typed; with no rate and an asset named, each venue's live rate."""
        read = parse_funding(words)
        with usage_on_error(*read.usage):
            if (typed := read.live_asset) is not None:
                return await self._live_funding(typed, read)
            asset = self.market.resolve(read.asset) if read.asset is not None else None
            return TypedFunding(quote_funding(read.request()), asset)

    async def _live_funding(self, typed: str, read: FundingWords) -> LiveFunding:
        if self.market.feed.collector is None:
            raise UserError(_("Live funding is off on this bot; give a rate."))
        asset = self.market.resolve(typed)
        marks, left_out = await self.market.marks(asset)
        venues = tuple(
            VenueFunding(m.venue, m.funding_interval_hours, quote)
            for m in sorted(marks, key=lambda m: -m.oi_usd)
            if (quote := _at_venue_rate(m, read)) is not None
            and m.funding_interval_hours is not None
        )
        age = max(0, int((self.market.feed.clock() - max(m.ts for m in marks)).total_seconds()))
        return LiveFunding(asset, read.notional, read.side, read.hold_hours, venues, age, left_out)


def _at_venue_rate(mark: VenueMark, read: FundingWords) -> FundingQuote | None:
    if mark.funding_rate is None or mark.funding_interval_hours is None:
        return None
    return quote_funding(read.request((mark.funding_rate, Decimal(mark.funding_interval_hours))))
