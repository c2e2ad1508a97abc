"""The bot's own membership: removed or blocked pauses a chat's rules, re-added resumes them."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update

from handlers.context import BotContext

log = logging.getLogger(__name__)

GONE = {ChatMember.LEFT, ChatMember.BANNED}


async def my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    service = context.services.watch
    if change is None:
        return
    chat_id = change.chat.id
    was_gone = change.old_chat_member.status in GONE
    now_gone = change.new_chat_member.status in GONE
    if now_gone and not was_gone:
        log.info("removed from chat %s: pausing its rules", chat_id)
        await service.pause_chat(chat_id, True)
        context.admins.forget(chat_id)
    elif was_gone and not now_gone:
        log.info("back in chat %s: resuming its rules", chat_id)
        await service.pause_chat(chat_id, False)
