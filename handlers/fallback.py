"""Private-chat messages no command handled: never silence."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from handlers.context import BotContext
from handlers.liquidation import liquidation_reply
from handlers.parsing import parse_number

HINT = "I answer commands: try <code>/liq 50000 50x long</code> or see /help."


async def unknown_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "I don't know that command. " + HINT, parse_mode=ParseMode.HTML
    )


async def plain_text(update: Update, context: BotContext) -> None:
    """A bare '50000 50x long' in a private chat is read as /liq: it is what the user means."""
    message = update.effective_message
    assert message is not None and message.text is not None
    words = message.text.split()
    if words and parse_number(words[0]) is not None:
        text = await liquidation_reply(words, context)
    else:
        text = HINT
    await message.reply_text(text, parse_mode=ParseMode.HTML)
