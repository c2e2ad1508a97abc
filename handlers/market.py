"""/oi (alias /market): the per-venue and aggregated market table for one asset."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot.chat_input import KNOWN_VENUES, asset_word
from bot.errors import UserError
from bot.i18n import _
from bot.market.overview_text import render
from bot.usecases.market_data import MarketService
from handlers.context import BotContext

USAGE = "/oi <asset>"
EXAMPLE = "/oi BTC"


async def market_text(market: MarketService, args: list[str]) -> str:
    # Every venue has its row: '/oi eth bybit' is answered with them all, bybit's among them.
    args = [word for word in args if word.lower() not in KNOWN_VENUES]
    if len(args) > 1:
        raise UserError(_("One asset at a time, like /oi BTC."), USAGE, EXAMPLE)
    if not args or not asset_word(args[0]):
        raise UserError(_("Which asset?"), USAGE, EXAMPLE)
    overview, degraded = await market.overview(market.resolve(args[0]))
    return render(overview, degraded)


async def oi_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    text = await market_text(context.services.market, list(context.args or []))
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
