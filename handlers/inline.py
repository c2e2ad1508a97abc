"""Inline mode: `@bot 50000 50x long` in any chat offers the /liq answer as a shareable result."""

from __future__ import annotations

import hashlib

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode

from handlers.context import BotContext
from handlers.liquidation import liquidation_reply
from handlers.parsing import LIQ_EXAMPLE

INLINE_HINT = "Type: entry leverage side, e.g. " + LIQ_EXAMPLE.removeprefix("/liq ")


async def inline_query(update: Update, context: BotContext) -> None:
    query = update.inline_query
    assert query is not None
    words = query.query.split()
    if not words:
        await query.answer([], cache_time=300, button=None)
        return
    text = await liquidation_reply(words, context)
    first_line = text.split("\n", 1)[0].replace("<b>", "").replace("</b>", "")
    result = InlineQueryResultArticle(
        id=hashlib.sha1(query.query.encode()).hexdigest()[:32],
        title=first_line[:120],
        description=INLINE_HINT if "Usage:" in text else "Tap to send",
        input_message_content=InputTextMessageContent(text, parse_mode=ParseMode.HTML),
    )
    await query.answer([result], cache_time=60, is_personal=False)
