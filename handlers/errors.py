"""One error handler: log without secrets, answer the user without exception text."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from handlers.context import BotContext
from storage.db import UNAVAILABLE

log = logging.getLogger(__name__)

SORRY = "Something went wrong on my side; please try again in a minute."
NO_STORAGE = "Storage is unavailable, try again in a minute."


async def on_error(update: object, context: BotContext) -> None:
    # Exception text can hold URLs with the token; the log factory redacts it, and the user
    # never sees it at all.
    storage_down = isinstance(context.error, UNAVAILABLE)
    if storage_down:
        # Commands that need no database keep working; this one did. One line, no traceback:
        # during an outage every such command would repeat it.
        log.warning("handler needs the database, which fails: %s", type(context.error).__name__)
    else:
        log.error("handler failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await update.effective_message.reply_text(NO_STORAGE if storage_down else SORRY)
        except TelegramError:
            log.warning("could not tell the user about the failure")
