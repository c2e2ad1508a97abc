"""The bot's own membership: removed or blocked pauses a chat's rules, re-added resumes them;
a group Telegram turns into a supergroup takes its rules and settings to the new id.

In a channel the bot can only post as an admin allowed to post, so losing that pauses the
channel's rules too, and getting it back resumes them. Channel links stay either way: they
are the linked admins' proof, and what lets them see the paused rules (/watches @name) and
unlink the channel (/channel @name off)."""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, ChatMemberAdministrator, Update
from telegram.error import TelegramError

from bot.i18n import ngettext
from handlers.context import BotContext
from handlers.groups import ADMIN_STATUSES

log = logging.getLogger(__name__)

GONE = {ChatMember.LEFT, ChatMember.BANNED}


def cannot_post(chat: Chat, member: ChatMember) -> bool:
    if member.status in GONE:
        return True
    if chat.type != Chat.CHANNEL:
        return False
    if isinstance(member, ChatMemberAdministrator):
        return member.can_post_messages is False
    return member.status not in ADMIN_STATUSES


async def my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    service = context.services.watch
    if change is None:
        return
    chat_id = change.chat.id
    was_gone = cannot_post(change.chat, change.old_chat_member)
    now_gone = cannot_post(change.chat, change.new_chat_member)
    if now_gone and not was_gone:
        log.info("removed from chat %s or cannot post there: pausing its rules", chat_id)
        await service.pause_chat(chat_id, True)
        context.admins.forget(chat_id)
    elif was_gone and not now_gone:
        log.info("back in chat %s: resuming its rules", chat_id)
        resumed = await service.pause_chat(chat_id, False)
        if resumed and change.chat.type != Chat.CHANNEL:  # a channel's subscribers: not theirs
            await _tell_resumed(context, chat_id, resumed)


async def _tell_resumed(context: BotContext, chat_id: int, resumed: int) -> None:
    """Unblocked or added back, the chat hears that its rules ring again and how to stop them,
    before an alert surprises someone who blocked the bot to silence it."""
    text = ngettext(
        "I'm back: this chat's {n} watch rule is on again. /watches lists it; "
        "/unwatch all stops it.",
        "I'm back: this chat's {n} watch rules are on again. /watches lists them; "
        "/unwatch all stops them.",
        resumed,
    )
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as error:  # e.g. added back to a group where it may not write
        log.info("chat %s not told its rules resumed: %s", chat_id, error.message)


async def chat_migrated(update: Update, context: BotContext) -> None:
    """Telegram posts the upgrade in both chats (migrate_to in the old group, migrate_from in
    the supergroup): the first moves everything, so the admins find their rules, settings and
    language at once, not only after an alert bounced off the old id."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        old, new = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat_id
    else:
        return
    services = context.services
    language = await context.languages.chosen(services.chat_settings, old)
    log.info("chat %s became supergroup %s: moving its rules and settings", old, new)
    await services.migrate_chat(old, new)
    if language is not None and await context.languages.chosen(None, new) is None:
        context.languages.remember(new, language)
    context.admins.forget(old)
