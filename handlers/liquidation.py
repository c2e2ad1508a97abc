"""/liq and the inline answer: words -> the quote use case -> text."""

from __future__ import annotations

from html import escape

from telegram import Chat, Update
from telegram.constants import ParseMode

from bot.chat_input import QUOTES
from bot.i18n import N_, _
from bot.market.overview_text import named
from bot.risk.models import Formula, LiqQuote, LiqRequest
from bot.usecases.quotes import LiveEntry
from handlers.context import BotContext
from handlers.formatting import amount, in_coin, in_contracts, pct_points, plain
from handlers.positions import guard_button

FORMULA_NAMES = {
    Formula.TEXTBOOK: N_("Textbook isolated formula"),
    Formula.GENERIC_CROSS: N_("Cross-margin formula (Binance form, no tiers)"),
    Formula.BINANCE_USDM: N_("Binance USDⓈ-M formula"),
    Formula.BINANCE_COINM: N_("Binance COIN-M formula"),
    Formula.BYBIT_LINEAR: N_("Bybit USDT formula"),
    Formula.BYBIT_INVERSE: N_("Bybit inverse formula"),
    Formula.INVERSE: N_("Coin-margined formula"),
    Formula.OKX: N_("OKX isolated formula"),
}


async def liquidation_text(args: list[str], context: BotContext) -> tuple[str, LiqQuote]:
    """The /liq answer and the quote the guard's button would watch; raises UserError."""
    answer = await context.services.quotes.liquidation(args)
    return format_liquidation(answer.quote) + _live_note(answer.live), answer.quote


def _live_note(live: LiveEntry | None) -> str:
    if live is None:
        return ""
    note = "\n" + _("Entry = live mark on {venue}, {age}s old.", venue=live.venue, age=live.age_s)
    if live.asked is not None and live.why_not is not None:
        # The venue's formula and tiers with another venue's mark: say why, as /oi words it.
        note += "\n" + _("Left out: {venues}", venues=escape(named({live.asked: live.why_not})))
    return note


def units(req: LiqRequest) -> tuple[str, str]:
    """(money unit, coin ticker or '' when no symbol names it): USDT-margined unless the symbol
    says USDC; inverse is in USD."""
    symbol = (req.symbol or "").upper()
    if req.inverse:
        return "USD", symbol.removesuffix("USD")
    quote = next((q for q in QUOTES if symbol.endswith(q)), "USDT")
    return quote, symbol.removesuffix(quote)


def _size_line(quote: LiqQuote, unit: str, coin: str) -> str:
    req = quote.request
    assumed = _(" (assumed; add size= for yours)") if req.size is None else ""
    if req.inverse:
        contract = quote.notional / quote.size
        return _(
            "Size: {contracts} of {contract} USD = {notional} notional, {coins} at entry{assumed}",
            contracts=in_contracts(quote.size),
            contract=plain(contract),
            notional=amount(quote.notional, "USD"),
            coins=in_coin(quote.notional / req.entry, coin),
            assumed=assumed,
        )
    return _(
        "Size: {size}{assumed} = {notional} notional",
        size=in_coin(quote.size, coin),
        assumed=assumed,
        notional=amount(quote.notional, unit),
    )


def _fees_line(quote: LiqQuote) -> str:
    if quote.fee_rate:
        return _(
            "Fees: the {fee} taker fee to close is included.",
            fee=pct_points(quote.fee_rate * 100, 3),
        )
    if quote.formula is Formula.BYBIT_LINEAR:
        return _("Fees: the fee to close sits in both of Bybit's margins and cancels out.")
    return _("Fees: not included.")


def format_liquidation(quote: LiqQuote) -> str:
    req = quote.request
    unit, coin = units(req)
    what = " ".join(
        part for part in (req.symbol or "", req.side.value, f"{plain(req.leverage)}x") if part
    )
    reference = req.mark if req.mark is not None else req.entry
    lines = [
        _(
            "<b>{position}: liquidation at {price}</b>",
            position=escape(what),
            price=amount(quote.liquidation_price, unit),
        )
    ]
    if quote.liquidation_price <= 0:
        lines.append(_("This position cannot be liquidated by a price move (price would reach 0)."))
    else:
        distance = (
            N_("Distance: {percent} ({amount}) from mark {reference}")
            if req.mark is not None
            else N_("Distance: {percent} ({amount}) from entry {reference}")
        )
        lines.append(
            _(
                distance,
                percent=pct_points(quote.distance_pct),
                amount=amount(quote.distance_price, unit),
                reference=amount(reference, unit),
            )
        )
    lines.append(_size_line(quote, unit, coin))
    margin = amount(quote.margin, unit)
    if req.inverse:
        margin += f" ({in_coin(quote.margin / req.entry, coin)})"
    lines.append(
        _(
            "Margin: {margin} on {notional} notional",
            margin=margin,
            notional=amount(quote.notional, unit),
        )
    )
    lines.append(
        _(
            "Loss at liquidation: {loss}; margin at risk: {at_risk}",
            loss=amount(quote.loss_at_liquidation, unit),
            at_risk=amount(quote.margin_at_risk, unit),
        )
    )
    tier = quote.tier
    if tier is not None:
        used = _(
            "tier {number} of the {venue} {symbol} table of {date}",
            number=tier.number,
            venue=tier.venue,
            symbol=tier.symbol,
            date=tier.table_date,
        )
    else:
        used = _("your mmr") if req.mmr is not None else _("default mmr")
    # Bybit inverse deductions are in coin; every other maintenance amount is in money.
    cum = (
        in_coin(quote.maintenance_amount, coin)
        if req.inverse and tier is not None
        else amount(quote.maintenance_amount, unit)
    )
    lines.append(
        _(
            "{formula}, {used}: mmr {mmr}, maintenance amount {amount}",
            formula=_(FORMULA_NAMES[quote.formula]),
            used=escape(used),
            mmr=pct_points(quote.mmr * 100, 3),
            amount=cum,
        )
    )
    lines.append(_fees_line(quote))
    if quote.assumptions:
        lines.append(_("Assumes: {assumptions}", assumptions=escape("; ".join(quote.assumptions))))
    return "\n".join(lines)


async def liq_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    text, quote = await liquidation_text(list(context.args or []), context)
    chat = update.effective_chat
    # Positions are personal: the guard's button only where the answer is the user's own.
    guarded = chat is not None and chat.type == Chat.PRIVATE
    markup = guard_button(quote) if guarded else None
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
