"""/funding: parse -> bot.risk.funding -> text."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot.chat_input import (
    FUNDING_EXAMPLE,
    FUNDING_USAGE,
    MAX_MONEY,
    UsageError,
    asset_word,
    parse_funding,
    parse_hours,
    parse_number,
)
from bot.market.overview_text import age_text, named, rate_text
from bot.market_service import DataUnavailable, MarketService, UnknownAsset
from bot.risk.funding import quote_funding
from bot.risk.models import FundingQuote, FundingRequest, RiskInputError
from bot.side import Side
from handlers.context import BotContext
from handlers.formatting import amount, duration, each, money, pct, price, usage_text
from handlers.market import unknown_sentence

# Funding settles in the margin currency: USDT for the perpetuals this bot polls.
UNIT = "USDT"


async def funding_reply(args: list[str], market: MarketService | None) -> str:
    if args and parse_number(args[0].rstrip("%")) is None and asset_word(args[0]):
        return await live_funding_reply(args, market)
    try:
        quote = quote_funding(parse_funding(args))
    except UsageError as error:
        return usage_text(error)
    except RiskInputError as error:
        return usage_text(UsageError(str(error), FUNDING_USAGE, FUNDING_EXAMPLE))
    return format_funding(quote)


def format_funding(quote: FundingQuote) -> str:
    req = quote.request
    interval = duration(req.interval_hours)
    lines = [
        f"<b>{req.side.value.capitalize()} {amount(req.notional, UNIT)} at "
        f"{pct(req.rate, 4, signed=True)} per {interval}, held {duration(req.hold_hours)}</b>"
    ]
    if quote.payer is None:
        lines.append("Funding is zero: nobody pays.")
    else:
        who = "longs pay shorts" if quote.payer.value == "long" else "shorts pay longs"
        verb = "You pay" if quote.you_pay else "You receive"
        lines.append(f"{verb}: {who}.")
    lines.append(
        f"Settlements crossed: {quote.intervals} × {each(quote.per_interval)} = "
        f"<b>{money(quote.total_cost)}</b> {UNIT}"
    )
    lines.append(
        f"Annualized: {pct(quote.apr_simple)} simple, {pct(quote.apr_compounded)} compounded "
        f"(per 8h equivalent {pct(quote.per_8h_equivalent, 4, signed=True)})"
    )
    if quote.liq_before is not None and quote.liq_after is not None:
        lines.append(
            f"Isolated liquidation moves {price(quote.liq_before.liquidation_price)} → "
            f"{price(quote.liq_after)} {UNIT} once the funding is "
            + ("paid from margin" if quote.you_pay else "received into margin")
            + (" (no liquidation by price)" if quote.liq_after == 0 else "")
        )
    lines.append(f"Interval assumed: {interval}")
    if quote.assumptions:
        lines.append("Assumes: " + escape("; ".join(quote.assumptions)))
    return "\n".join(lines)


async def funding_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    text = await funding_reply(list(context.args or []), context.services.market)
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


LIVE_USAGE = "/funding <asset> <notional> [long|short] <hold: 30m, 8h, 3d, 2w>"
LIVE_EXAMPLE = "/funding BTC 10000 long 3d"


async def live_funding_reply(args: list[str], market: MarketService | None) -> str:
    """Each venue's current rate and its own interval, applied to the position."""
    usage = (LIVE_USAGE, LIVE_EXAMPLE)
    if market is None or market.collector is None:
        return usage_text(UsageError("Live funding is off on this bot; give a rate.", *usage))
    try:
        asset = market.resolve(args[0])
        rows, left_out = await market.usable(asset)
    except UnknownAsset as error:
        return usage_text(UsageError(unknown_sentence(error), *usage))
    except DataUnavailable as error:
        return escape(str(error))  # the venues' outage, not a mistake: no usage line
    notional, side, hold = None, Side.LONG, None
    for word in args[1:]:
        lower = word.lower()
        if lower in ("long", "short"):
            side = Side(lower)
        elif (hours := parse_hours(lower)) is not None:
            hold = hours
        elif (number := parse_number(word)) is not None and 0 < number <= MAX_MONEY:
            notional = number
        else:
            return usage_text(UsageError(f"I don't know what '{word[:20]}' means here.", *usage))
    if notional is None or hold is None:
        return usage_text(UsageError("I need a notional and a holding time.", *usage))
    lines = [
        f"<b>{escape(asset)} {side.value} {amount(notional, UNIT)}, held {duration(hold)}: "
        "live funding</b>"
    ]
    for row in sorted(rows, key=lambda r: -r.oi_usd):
        if row.funding_rate is None or row.funding_interval_hours is None:
            continue
        try:
            quote = quote_funding(
                FundingRequest(
                    notional=notional,
                    rate=Decimal(str(row.funding_rate)),
                    hold_hours=hold,
                    interval_hours=Decimal(row.funding_interval_hours),
                    side=side,
                )
            )
        except RiskInputError as error:
            return usage_text(UsageError(str(error), *usage))
        verb = "you pay" if quote.you_pay else ("you receive" if quote.payer else "nobody pays")
        lines.append(
            f"{row.venue} {rate_text(row.funding_rate)}%/{row.funding_interval_hours}h: "
            f"{verb} <b>{amount(quote.total_cost, UNIT)}</b> ({quote.intervals} × "
            f"{each(quote.per_interval)}), {pct(quote.apr_simple)} a year"
        )
    age = age_text((market.clock() - max(r.ts for r in rows)).total_seconds())
    lines.append(f"Assumes today's rates hold for the whole hold; data {age} old.")
    if left_out:
        lines.append(f"Left out: {escape(named(left_out))}")
    return "\n".join(lines)
