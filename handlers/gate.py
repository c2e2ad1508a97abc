"""Runs before every handler: records the user and chat, and enforces the per-user budgets.

Commands, messages the bot answers and button presses share one budget; inline queries (one
per keystroke) have their own, so typing never silences the next command."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from telegram import InlineQueryResultsButton, Update
from telegram.ext import ApplicationHandlerStop

from handlers.context import BotContext
from handlers.fallback import answers
from storage.repositories.contacts import ChatSeen, UserSeen

log = logging.getLogger(__name__)


async def gate(update: Update, context: BotContext) -> None:
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    if services.contacts is not None:
        await services.contacts.record(
            UserSeen(user.id, user.username, user.first_name, user.language_code) if user else None,
            ChatSeen(chat.id, chat.type, chat.title, chat.username) if chat else None,
            datetime.now(UTC),
        )
    if user is None:
        return
    now = time.monotonic()
    inline = update.inline_query
    if inline is not None:
        if services.inline_limiter.allow(user.id, now):
            return
        wait = int(services.inline_limiter.retry_in(user.id, now)) + 1
        button = InlineQueryResultsButton(
            f"Slow down: try again in {wait}s", start_parameter="help"
        )
        await inline.answer([], cache_time=0, button=button)
        raise ApplicationHandlerStop
    query, message = update.callback_query, update.effective_message
    if query is None and not answers(update):
        return
    limiter = services.limiter
    if limiter.allow(user.id, now):
        return
    wait = int(limiter.retry_in(user.id, now)) + 1
    line = f"Easy there: {limiter.max_events} commands a minute at most. Try again in {wait}s."
    if query is not None:
        # A press always needs its answer (the button spins until then); it is a toast, not a
        # chat message, so it does not use up the command's one line.
        await query.answer(line)
    elif message is not None and limiter.first_refusal(user.id):
        await message.reply_text(line)
    raise ApplicationHandlerStop
