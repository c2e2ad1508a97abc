"""One error handler: a user's mistake (UserError) is answered with what went wrong and how
to say it right; anything else is logged without secrets and answered without its text."""

from __future__ import annotations

import logging
from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.errors import UserError
from bot.i18n import N_, _
from bot.risk.models import LiquidatedAtOnce
from handlers.context import BotContext
from handlers.formatting import usage_text
from storage.db import UNAVAILABLE

log = logging.getLogger(__name__)

SORRY = N_("Something went wrong on my side; please try again in a minute.")
NO_STORAGE = N_("Storage is unavailable, try again in a minute.")


def user_error_text(error: UserError) -> str:
    if isinstance(error, LiquidatedAtOnce):
        return _(
            "<b>This position would be liquidated at once</b>, because {reason}.",
            reason=escape(str(error)),
        )
    return usage_text(error) if error.usage else escape(error.problem)


async def on_error(update: object, context: BotContext) -> None:
    message = update.effective_message if isinstance(update, Update) else None
    if isinstance(context.error, UserError):
        if message is not None:
            await message.reply_text(user_error_text(context.error), parse_mode=ParseMode.HTML)
        return
    # Exception text can hold URLs with the token; the log factory redacts it, and the user
    # never sees it at all.
    storage_down = isinstance(context.error, UNAVAILABLE)
    if storage_down:
        # Commands that need no database keep working; this one did. One line, no traceback:
        # during an outage every such command would repeat it.
        log.warning("handler needs the database, which fails: %s", type(context.error).__name__)
    else:
        log.error("handler failed", exc_info=context.error)
    if message is not None:
        try:
            await message.reply_text(_(NO_STORAGE if storage_down else SORRY))
        except TelegramError:
            log.warning("could not tell the user about the failure")
