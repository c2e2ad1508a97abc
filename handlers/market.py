"""/oi (alias /market): the per-venue and aggregated market table for one asset."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot.chat_input import UsageError, asset_word
from bot.i18n import _
from bot.market.overview_text import render
from bot.usecases.market_data import MARKET_OFF, DataUnavailable, MarketService, UnknownAsset
from handlers.context import BotContext
from handlers.formatting import usage_text

USAGE = "/oi <asset>"
EXAMPLE = "/oi BTC"


def unknown_sentence(error: UnknownAsset) -> str:
    """Plain text (callers escape): 'Unknown symbol BTX. Did you mean BTC?'"""
    if error.suggestions:
        return _(
            "Unknown symbol {asset}. Did you mean {suggestions}?",
            asset=error.asset[:20],
            suggestions=", ".join(error.suggestions),
        )
    return _("Unknown symbol {asset}.", asset=error.asset[:20])


async def market_text(market: MarketService | None, args: list[str]) -> str:
    if market is None:
        return _(MARKET_OFF)
    if len(args) != 1 or not asset_word(args[0]):
        return usage_text(UsageError(_("Which asset?"), USAGE, EXAMPLE))
    try:
        asset = market.resolve(args[0])
        overview, degraded = await market.overview(asset)
    except UnknownAsset as error:
        return escape(unknown_sentence(error))
    except DataUnavailable as error:
        return escape(str(error))
    return render(overview, degraded)


async def oi_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    text = await market_text(context.services.market, list(context.args or []))
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
