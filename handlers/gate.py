"""Runs before every handler: records the user and chat, picks the reply language, and
enforces the per-user budgets.

Commands, messages the bot answers and button presses share one budget; inline queries (one
per keystroke) have their own, so typing never silences the next command."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from telegram import Chat, InlineQueryResultsButton, Update
from telegram.ext import ApplicationHandlerStop

from bot.i18n import _, ngettext, set_language
from bot.i18n.languages import reply_language
from handlers.context import BotContext
from handlers.fallback import answers
from storage.repositories.contacts import ChatSeen, UserSeen

log = logging.getLogger(__name__)


async def gate(update: Update, context: BotContext) -> None:
    services = context.services
    user, chat = update.effective_user, update.effective_chat
    await services.contacts.record(
        UserSeen(user.id, user.username, user.first_name, user.language_code) if user else None,
        ChatSeen(chat.id, chat.type, chat.title, chat.username) if chat else None,
        datetime.now(UTC),
    )
    await _choose_language(update, context)
    if user is None:
        return
    now = time.monotonic()
    inline = update.inline_query
    if inline is not None:
        if services.inline_limiter.allow(user.id, now):
            return
        wait = int(services.inline_limiter.retry_in(user.id, now)) + 1
        button = InlineQueryResultsButton(
            _("Slow down: try again in {wait}s", wait=wait), start_parameter="help"
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
    line = ngettext(
        "Easy there: {n} command a minute at most. Try again in {wait}s.",
        "Easy there: {n} commands a minute at most. Try again in {wait}s.",
        limiter.max_events,
        wait=wait,
    )
    if query is not None:
        # A press always needs its answer (the button spins until then); it is a toast, not a
        # chat message, so it does not use up the command's one line.
        await query.answer(line)
    elif message is not None and limiter.first_refusal(user.id):
        await message.reply_text(line)
    raise ApplicationHandlerStop


async def _choose_language(update: Update, context: BotContext) -> None:
    """A person's own chat (and their inline answers) use their /settings lang, else Telegram's
    language_code; a group or channel uses what its admin set, else English."""
    user, chat = update.effective_user, update.effective_chat
    personal = chat is None or chat.type == Chat.PRIVATE
    chat_id = chat.id if chat is not None else user.id if user is not None else None
    chosen = None
    if chat_id is not None:
        chosen = await context.languages.chosen(context.services.chat_settings, chat_id)
    telegram_code = user.language_code if user is not None else None
    set_language(reply_language(chosen, telegram_code, personal=personal))
