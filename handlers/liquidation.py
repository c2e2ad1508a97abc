"""/liq and the inline answer: parse -> bot.risk -> text."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from telegram import Chat, Update
from telegram.constants import ParseMode

from bot.market_service import DataUnavailable, MarketService, UnknownAsset
from bot.risk.models import Formula, LiqQuote, RiskInputError
from bot.risk.quote import quote_liquidation
from handlers.context import BotContext
from handlers.formatting import money, pct_points, plain, price, usage_text
from handlers.market import unknown_sentence
from handlers.parsing import (
    KNOWN_VENUES,
    LIQ_EXAMPLE,
    LIQ_USAGE,
    UsageError,
    parse_liq,
    parse_number,
)
from handlers.positions import guard_button

FORMULA_NAMES = {
    Formula.TEXTBOOK: "textbook isolated formula",
    Formula.BINANCE_USDM: "Binance USDⓈ-M formula",
    Formula.BINANCE_COINM: "Binance COIN-M formula",
    Formula.BYBIT_LINEAR: "Bybit USDT formula",
    Formula.BYBIT_INVERSE: "Bybit inverse formula",
    Formula.OKX: "OKX isolated formula",
}


async def liquidation_reply(args: list[str], context: BotContext) -> str:
    return (await liquidation_answer(args, context))[0]


async def liquidation_answer(args: list[str], context: BotContext) -> tuple[str, LiqQuote | None]:
    """The /liq text, and the quote when there is one."""
    live_note = ""
    if args and parse_number(args[0]) is None and args[0].isalnum() and len(args[0]) <= 20:
        try:
            args, live_note = await _with_live_mark(args, context.services.market)
        except UnknownAsset as error:
            return usage_text(UsageError(unknown_sentence(error), LIQ_USAGE, LIQ_EXAMPLE)), None
        except DataUnavailable as error:
            return usage_text(UsageError(str(error), LIQ_USAGE, LIQ_EXAMPLE)), None
    try:
        request = parse_liq(args)
        quote = quote_liquidation(
            request,
            tiers=context.services.tiers,
            default_mmr=context.services.settings.default_mmr,
        )
    except UsageError as error:
        return usage_text(error), None
    except RiskInputError as error:
        return usage_text(UsageError(str(error), LIQ_USAGE, LIQ_EXAMPLE)), None
    return format_liquidation(quote) + live_note, quote


async def _with_live_mark(args: list[str], market: MarketService | None) -> tuple[list[str], str]:
    """'/liq BTC 20x long [venue]': the entry is the live mark, of that venue or of the venue
    with the most open interest."""
    if market is None:
        raise DataUnavailable("Market data is switched off on this bot: give an entry price.")
    asset = market.resolve(args[0])
    rows = await market.fresh(asset)
    venue = next((w.lower() for w in args if w.lower() in KNOWN_VENUES), None)
    chosen = [r for r in rows if r.venue == venue] or sorted(rows, key=lambda r: -r.oi_usd)
    row = chosen[0]
    mark = Decimal(str(row.mark))
    age = int((market.clock() - row.ts).total_seconds())
    note = f"\nEntry = live mark on {row.venue}, {age}s old."
    return [format(mark, "f"), *args[1:3], asset.lower(), *args[3:]], note


def format_liquidation(quote: LiqQuote) -> str:
    req = quote.request
    what = " ".join(
        part for part in (req.symbol or "", req.side.value, f"{plain(req.leverage)}x") if part
    )
    reference = req.mark if req.mark is not None else req.entry
    from_what = "mark" if req.mark is not None else "entry"
    lines = [f"<b>{escape(what)}: liquidation at {price(quote.liquidation_price)}</b>"]
    if quote.liquidation_price <= 0:
        lines.append("This position cannot be liquidated by a price move (price would reach 0).")
    else:
        lines.append(
            f"Distance: {pct_points(quote.distance_pct)} ({price(quote.distance_price)}) "
            f"from {from_what} {price(reference)}"
        )
    lines.append(f"Margin: {money(quote.margin)} on {money(quote.notional)} notional")
    lines.append(
        f"Loss at liquidation: {money(quote.loss_at_liquidation)}; "
        f"margin at risk: {money(quote.margin_at_risk)}"
    )
    tier = f"tier {quote.tier.number}, " if quote.tier is not None else ""
    fee = f", fee to close {pct_points(quote.fee_rate * 100, 3)}" if quote.fee_rate else ""
    lines.append(
        f"Used: {FORMULA_NAMES[quote.formula]}, {tier}mmr {pct_points(quote.mmr * 100, 3)}, "
        f"maintenance amount {money(quote.maintenance_amount)}{fee}"
    )
    if quote.assumptions:
        lines.append("Assumes: " + escape("; ".join(quote.assumptions)))
    return "\n".join(lines)


async def liq_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    text, quote = await liquidation_answer(list(context.args or []), context)
    chat = update.effective_chat
    # Positions are personal: the guard's button only where the answer is the user's own.
    guarded = chat is not None and chat.type == Chat.PRIVATE and context.services.positions
    markup = guard_button(quote) if quote is not None and guarded else None
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
