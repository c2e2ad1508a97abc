"""Inline mode: `@bot 50000 50x long` in any chat offers the /liq answer as a shareable result.
A query that is not (yet) a position offers nothing to share: the hint sits on the button above
the results, and tapping it opens the private chat's help."""

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
from handlers.context import BotContext
from handlers.liquidation import liquidation_answer

INLINE_HINT = "Type: entry leverage side, e.g. " + LIQ_EXAMPLE.removeprefix("/liq ")
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
        await query.answer([], cache_time=300, button=_button(INLINE_HINT))
        return
    answer = await liquidation_answer(words, context)
    if not answer.ok:
        problem = _plain(answer.text.split("\n", 1)[0])
        await query.answer([], cache_time=60, button=_button(problem))
        return
    result = InlineQueryResultArticle(
        id=hashlib.sha1(query.query.encode()).hexdigest()[:32],
        title=_plain(answer.text.split("\n", 1)[0])[:120],
        description="Tap to send",
        input_message_content=InputTextMessageContent(answer.text, parse_mode=ParseMode.HTML),
    )
    await query.answer([result], cache_time=60, is_personal=False)


def _button(text: str) -> InlineQueryResultsButton:
    short = text if len(text) <= BUTTON_CHARS else text[: BUTTON_CHARS - 1] + "…"
    return InlineQueryResultsButton(short, start_parameter="help")
