"""/funding: words -> the quote use case -> text."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot.i18n import N_, _
from bot.market.overview_text import named
from bot.risk.side import Side
from bot.usecases.quotes import LiveFunding, TypedFunding
from handlers.context import BotContext
from handlers.formatting import (
    amount,
    duration,
    each,
    money,
    pct,
    price,
    rate_pct,
)

# Funding settles in the margin currency: USDT for the perpetuals this bot polls.
UNIT = "USDT"


def format_funding(typed: TypedFunding) -> str:
    quote = typed.quote
    req = quote.request
    interval = duration(req.interval_hours)
    long = req.side is Side.LONG
    if typed.asset is None:
        heading = (
            N_("<b>Long {notional} at {rate} per {interval}, held {hold}</b>")
            if long
            else N_("<b>Short {notional} at {rate} per {interval}, held {hold}</b>")
        )
    else:
        heading = (
            N_("<b>{asset} long {notional} at {rate} per {interval}, held {hold}</b>")
            if long
            else N_("<b>{asset} short {notional} at {rate} per {interval}, held {hold}</b>")
        )
    lines = [
        _(
            heading,
            asset=escape(typed.asset or ""),
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
    answer = await context.services.quotes.funding(list(context.args or []))
    text = (
        format_live_funding(answer) if isinstance(answer, LiveFunding) else format_funding(answer)
    )
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)


def format_live_funding(live: LiveFunding) -> str:
    heading = (
        N_("<b>{asset} long {notional}, held {hold}: live funding</b>")
        if live.side is Side.LONG
        else N_("<b>{asset} short {notional}, held {hold}: live funding</b>")
    )
    lines = [
        _(
            heading,
            asset=escape(live.asset),
            notional=amount(live.notional, UNIT),
            hold=duration(live.hold_hours),
        )
    ]
    for venue in live.venues:
        quote = venue.quote
        verb = (
            _("you pay") if quote.you_pay else _("you receive") if quote.payer else _("nobody pays")
        )
        lines.append(
            _(
                "{venue} {rate}/{hours}h: {verb} <b>{total}</b> ({count} × {each}), {apr} a year",
                venue=venue.venue,
                verb=verb,
                rate=rate_pct(quote.request.rate),
                hours=venue.interval_hours,
                total=amount(quote.total_cost, UNIT),
                count=quote.intervals,
                each=each(quote.per_interval),
                apr=pct(quote.apr_simple),
            )
        )
    lines.append(
        _("Assumes today's rates hold for the whole hold; data {age}s old.", age=live.age_s)
    )
    if live.left_out:
        lines.append(_("Left out: {venues}", venues=escape(named(live.left_out))))
    return "\n".join(lines)
