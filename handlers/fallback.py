"""Messages no command handler took: commands in photo captions, unknown commands, and anything
else in a private chat. Never silence in a private chat."""

from __future__ import annotations

from telegram import Chat, Message, Update
from telegram.constants import ParseMode

from bot.chat_input import parse_number
from bot.i18n import N_, _
from handlers.context import BotContext
from handlers.liquidation import liquidation_text

HINT = N_("I answer commands: try <code>/liq 50000 50x long</code> or see /help.")
OTHER_HINT = N_(
    "I read text: send a command like <code>/liq 50000 50x long</code> (in a photo's caption "
    "works too), or see /help."
)


def command_words(message: Message) -> list[str] | None:
    """'/liq 50000 50x long' from the text or a photo's caption, as words; None if no command."""
    text = message.text or message.caption or ""
    return text.split() if text.startswith("/") else None


def answers(update: Update) -> bool:
    """Whether the bot replies to this update's message: commands anywhere, everything in a
    private chat (the per-user budget counts exactly these)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return False
    return command_words(message) is not None or chat.type == Chat.PRIVATE


async def unknown_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        _("I don't know that command.") + " " + _(HINT), parse_mode=ParseMode.HTML
    )


async def plain_text(update: Update, context: BotContext) -> None:
    """A bare '50000 50x long' in a private chat is read as /liq: it is what the user means."""
    message = update.effective_message
    assert message is not None and message.text is not None
    words = message.text.split()
    if words and parse_number(words[0]) is not None:
        text, _quote = await liquidation_text(words, context)
    else:
        text = _(HINT)
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def other_message(update: Update, context: BotContext) -> None:
    """A sticker, a photo without a command, a voice note: a short hint, not silence."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(_(OTHER_HINT), parse_mode=ParseMode.HTML)


async def stale_button(update: Update, context: BotContext) -> None:
    """Data no handler knows (an old release's button, or forged): answered, so it stops
    spinning."""
    assert update.callback_query is not None
    await update.callback_query.answer(_("That button is out of date; send the command again."))
