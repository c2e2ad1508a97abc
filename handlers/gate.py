"""Runs before every handler: records the user and chat, and enforces the command budget."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from handlers.context import BotContext
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
    message = update.effective_message
    is_command = bool(message and message.text and message.text.startswith("/"))
    if user is None or not (is_command or update.inline_query):
        return
    now = time.monotonic()
    allowed, warn = services.limiter.check(user.id, now)
    if allowed:
        return
    if warn and message is not None:
        wait = int(services.limiter.retry_in(user.id, now)) + 1
        await message.reply_text(
            f"Easy there: {services.limiter.max_events} commands a minute at most. "
            f"Try again in {wait}s."
        )
    raise ApplicationHandlerStop
