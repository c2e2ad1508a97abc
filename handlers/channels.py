"""/channel @name: link a channel after proving the user administers it (and the bot posts)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from telegram import Chat, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.errors import UserError
from bot.i18n import _
from handlers.context import BotContext
from handlers.groups import ADMIN_STATUSES

USAGE = "/channel @yourchannel"
EXAMPLE = "/channel @mydesk"


async def channel_command(update: Update, context: BotContext) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    args = context.args or []
    channels = context.services.channels
    if chat.type != Chat.PRIVATE:
        await message.reply_text(_("Link channels from a private chat with me."))
        return
    if len(args) != 1 or not args[0].startswith("@") or len(args[0]) > 33:
        raise UserError(_("Which channel?"), USAGE, EXAMPLE)
    name = args[0]
    try:
        target = await context.bot.get_chat(name)
        bot_member = await context.bot.get_chat_member(target.id, context.bot.id)
        user_member = await context.bot.get_chat_member(target.id, user.id)
    except TelegramError:
        await message.reply_text(
            _(
                "I can't see {channel}. Add me to the channel as an admin, then try again.",
                channel=name,
            )
        )
        return
    if target.type != Chat.CHANNEL:
        await message.reply_text(
            _("{channel} is not a channel; for groups, add me to the group.", channel=name)
        )
        return
    if bot_member.status not in ADMIN_STATUSES:
        await message.reply_text(
            _("Make me an admin of {channel} (to post alerts), then try again.", channel=name)
        )
        return
    if user_member.status not in ADMIN_STATUSES:
        await message.reply_text(_("Only {channel}'s admins can link it.", channel=name))
        return
    await channels.link(user.id, target.id, target.username, target.title, datetime.now(UTC))
    await message.reply_text(
        _(
            "Linked {channel}. Manage its rules here, e.g. "
            "<code>/watch {channel} BTC squeeze</code>, <code>/watches {channel}</code>.",
            channel=escape(name),
        ),
        parse_mode=ParseMode.HTML,
    )
