"""Messages no command handler took: commands in photo captions, unknown commands, and anything
else in a private chat. Never silence in a private chat."""

from __future__ import annotations

from difflib import get_close_matches

from telegram import Chat, Message, Update
from telegram.constants import ParseMode

from bot.chat_input import parse_number
from bot.i18n import N_, _
from handlers.context import BotContext
from handlers.liquidation import liquidation_text
from handlers.start import BY_NAME

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


# What traders type first, from other bots and from the words on exchanges' own screens, and
# the command here that does it.
LIKELY: dict[str, str] = {
    "rules": "watches",
    "alerts": "watches",
    "list": "watches",
    "mywatches": "watches",
    "subscriptions": "watches",
    "alert": "watch",
    "subscribe": "watch",
    "add": "watch",
    "unsubscribe": "unwatch",
    "delete": "unwatch",
    "remove": "unwatch",
    "positions": "pos",
    "position": "pos",
    "guard": "pos",
    "price": "oi",
    "openinterest": "oi",
    "liquidation": "liq",
    "liqprice": "liq",
    "calc": "liq",
    "lang": "settings",
    "language": "settings",
    "quiet": "settings",
    "mute": "settings",
}


def likely_command(name: str) -> str | None:
    """The command a mistyped or borrowed name most likely means: /rules is /watches, /wacth
    is /watch; None when nothing is close."""
    name = name.lower()
    if name in LIKELY:
        return LIKELY[name]
    close = get_close_matches(name, [*BY_NAME, "market"], n=1, cutoff=0.75)
    return close[0] if close else None


async def unknown_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    words = command_words(message) or ["/"]
    likely = likely_command(words[0][1:].partition("@")[0])
    hint = _("Did you mean /{command}?", command=likely) if likely else _(HINT)
    await message.reply_text(
        _("I don't know that command.") + " " + hint, parse_mode=ParseMode.HTML
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
