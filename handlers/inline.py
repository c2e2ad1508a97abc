"""Inline mode: `@bot 50000 50x long` in any chat offers the /liq answer as a shareable result.
A query that is not (yet) a position offers nothing to share: the hint sits on the button above
the results, and tapping it opens the private chat's help.

Every answer is worded in the asker's language (and number format), so Telegram may cache it for
that user only: a shared cache would hand one user's Russian answer to the next who types the
same query."""

from __future__ import annotations

import hashlib
import re

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.chat_input import LIQ_EXAMPLE
from bot.errors import UserError
from bot.i18n import _
from bot.risk.models import LiquidatedAtOnce
from handlers.context import BotContext
from handlers.errors import user_error_text
from handlers.liquidation import liquidation_text

EXAMPLE = LIQ_EXAMPLE.removeprefix("/liq ")
BUTTON_CHARS = 64  # what a phone shows of the button


def _plain(html: str) -> str:
    return (
        re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    )


async def inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    assert query is not None
    words = query.query.split()
    if not words:
        await query.answer(
            [],
            cache_time=300,
            is_personal=True,
            button=_button(_("Type: entry leverage side, e.g. {example}", example=EXAMPLE)),
        )
        return
    try:
        text, _quote = await liquidation_text(words, context)
    except LiquidatedAtOnce as error:
        text = user_error_text(error)  # an answer worth sharing, not a mistake
    except UserError as error:
        # The problem sits on the button; there is nothing to share.
        await query.answer(
            [], cache_time=60, is_personal=True, button=_button(error.problem.split("\n", 1)[0])
        )
        return
    result = InlineQueryResultArticle(
        id=hashlib.sha1(query.query.encode()).hexdigest()[:32],
        title=_plain(text.split("\n", 1)[0])[:120],
        description=_("Tap to send"),
        input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
    )
    await query.answer([result], cache_time=60, is_personal=True)


def _button(text: str) -> InlineQueryResultsButton:
    short = text if len(text) <= BUTTON_CHARS else text[: BUTTON_CHARS - 1] + "…"
    return InlineQueryResultsButton(short, start_parameter="help")
