"""/funding: parse -> bot.risk.funding -> text."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot.risk.funding import quote_funding
from bot.risk.models import FundingQuote, RiskInputError
from handlers.context import BotContext
from handlers.formatting import money, pct, plain, price, usage_text
from handlers.parsing import FUNDING_EXAMPLE, FUNDING_USAGE, UsageError, parse_funding


def funding_reply(args: list[str]) -> str:
    try:
        quote = quote_funding(parse_funding(args))
    except UsageError as error:
        return usage_text(error)
    except RiskInputError as error:
        return usage_text(UsageError(str(error), FUNDING_USAGE, FUNDING_EXAMPLE))
    return format_funding(quote)


def _hours(value: Decimal) -> str:
    return f"{plain(value)}h"


def format_funding(quote: FundingQuote) -> str:
    req = quote.request
    interval = _hours(req.interval_hours)
    lines = [
        f"<b>{req.side.value.capitalize()} {money(req.notional)} at "
        f"{pct(req.rate, 4, signed=True)} per {interval}, held {_hours(req.hold_hours)}</b>"
    ]
    if quote.payer is None:
        lines.append("Funding is zero: nobody pays.")
    else:
        who = "longs pay shorts" if quote.payer.value == "long" else "shorts pay longs"
        verb = "You pay" if quote.you_pay else "You receive"
        lines.append(f"{verb}: {who}.")
    lines.append(
        f"Settlements crossed: {quote.intervals} × {money(quote.per_interval)} = "
        f"<b>{money(quote.total)}</b>"
    )
    lines.append(
        f"Annualized: {pct(quote.apr_simple)} simple, {pct(quote.apr_compounded)} compounded "
        f"(per 8h equivalent {pct(quote.per_8h_equivalent, 4, signed=True)})"
    )
    if quote.liq_before is not None and quote.liq_after is not None:
        lines.append(
            f"Isolated liquidation moves {price(quote.liq_before.liquidation_price)} → "
            f"{price(quote.liq_after)} once the funding is paid from margin"
        )
    lines.append(f"Interval assumed: {interval}")
    if quote.assumptions:
        lines.append("Assumes: " + escape("; ".join(quote.assumptions)))
    return "\n".join(lines)


async def funding_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    text = funding_reply(list(context.args or []))
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)
