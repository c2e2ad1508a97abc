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
    join_digit_groups,
    parse_funding,
    parse_hours,
    parse_number,
)
from bot.i18n import N_, _
from bot.market.overview_text import named
from bot.risk.funding import quote_funding
from bot.risk.models import FundingQuote, FundingRequest, RiskInputError
from bot.risk.side import Side
from bot.usecases.market_data import DataUnavailable, MarketService, UnknownAsset
from handlers.context import BotContext
from handlers.formatting import (
    amount,
    duration,
    each,
    money,
    pct,
    price,
    rate_pct,
    usage_text,
)
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
    heading = (
        N_("<b>Long {notional} at {rate} per {interval}, held {hold}</b>")
        if req.side is Side.LONG
        else N_("<b>Short {notional} at {rate} per {interval}, held {hold}</b>")
    )
    lines = [
        _(
            heading,
            notional=amount(req.notional, UNIT),
            rate=pct(req.rate, 4, signed=True),
            interval=interval,
            hold=duration(req.hold_hours),
        )
    ]
    if quote.payer is None:
        lines.append(_("Funding is zero: nobody pays."))
    elif quote.payer is Side.LONG:
        lines.append(
            _("You pay: longs pay shorts.")
            if quote.you_pay
            else _("You receive: longs pay shorts.")
        )
    else:
        lines.append(
            _("You pay: shorts pay longs.")
            if quote.you_pay
            else _("You receive: shorts pay longs.")
        )
    lines.append(
        _(
            "Settlements crossed: {count} × {each} = <b>{total}</b> {unit}",
            count=quote.intervals,
            each=each(quote.per_interval),
            total=money(quote.total_cost),
            unit=UNIT,
        )
    )
    lines.append(
        _(
            "Annualized: {simple} simple, {compounded} compounded (per 8h equivalent {per_8h})",
            simple=pct(quote.apr_simple),
            compounded=pct(quote.apr_compounded),
            per_8h=pct(quote.per_8h_equivalent, 4, signed=True),
        )
    )
    if quote.liq_before is not None and quote.liq_after is not None:
        moves = (
            N_(
                "Isolated liquidation moves {before} → {after} {unit} "
                "once the funding is paid from margin"
            )
            if quote.you_pay
            else N_(
                "Isolated liquidation moves {before} → {after} {unit} "
                "once the funding is received into margin"
            )
        )
        lines.append(
            _(
                moves,
                before=price(quote.liq_before.liquidation_price),
                after=price(quote.liq_after),
                unit=UNIT,
            )
            + (_(" (no liquidation by price)") if quote.liq_after == 0 else "")
        )
    lines.append(_("Interval assumed: {interval}", interval=interval))
    if quote.assumptions:
        lines.append(_("Assumes: {assumptions}", assumptions=escape("; ".join(quote.assumptions))))
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
        return usage_text(UsageError(_("Live funding is off on this bot; give a rate."), *usage))
    try:
        asset = market.resolve(args[0])
        rows, left_out = await market.usable(asset)
    except UnknownAsset as error:
        return usage_text(UsageError(unknown_sentence(error), *usage))
    except DataUnavailable as error:
        return escape(str(error))  # the venues' outage, not a mistake: no usage line
    notional, side, hold = None, Side.LONG, None
    for word in join_digit_groups(args[1:]):
        lower = word.lower()
        if lower in ("long", "short"):
            side = Side(lower)
        elif (hours := parse_hours(lower)) is not None:
            hold = hours
        elif (number := parse_number(word)) is not None and 0 < number <= MAX_MONEY:
            notional = number
        else:
            problem = _("I don't know what '{word}' means here.", word=word[:20])
            return usage_text(UsageError(problem, *usage))
    if notional is None or hold is None:
        return usage_text(UsageError(_("I need a notional and a holding time."), *usage))
    heading = (
        N_("<b>{asset} long {notional}, held {hold}: live funding</b>")
        if side is Side.LONG
        else N_("<b>{asset} short {notional}, held {hold}: live funding</b>")
    )
    lines = [_(heading, asset=escape(asset), notional=amount(notional, UNIT), hold=duration(hold))]
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
        verb = (
            _("you pay") if quote.you_pay else _("you receive") if quote.payer else _("nobody pays")
        )
        lines.append(
            _(
                "{venue} {rate}/{hours}h: {verb} <b>{total}</b> ({count} × {each}), {apr} a year",
                venue=row.venue,
                verb=verb,
                rate=rate_pct(quote.request.rate),
                hours=row.funding_interval_hours,
                total=amount(quote.total_cost, UNIT),
                count=quote.intervals,
                each=each(quote.per_interval),
                apr=pct(quote.apr_simple),
            )
        )
    age = int((market.clock() - max(r.ts for r in rows)).total_seconds())
    lines.append(_("Assumes today's rates hold for the whole hold; data {age}s old.", age=age))
    if left_out:
        lines.append(_("Left out: {venues}", venues=escape(named(left_out))))
    return "\n".join(lines)
