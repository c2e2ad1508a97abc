"""One error handler: log without secrets, answer the user without exception text."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.i18n import N_, _
from handlers.context import BotContext

log = logging.getLogger(__name__)

SORRY = N_("Something went wrong on my side; please try again in a minute.")


async def on_error(update: object, context: BotContext) -> None:
    # Exception text can hold URLs with the token; the log factory redacts it, and the user
    # never sees it at all.
    log.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(_(SORRY))
        except TelegramError:
            log.warning("could not tell the user about the failure")
