"""/channel @name: link a channel after proving the user administers it (and the bot posts)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from telegram import Chat, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.chat_input import UsageError
from handlers.context import BotContext
from handlers.formatting import usage_text
from handlers.groups import ADMIN_STATUSES

USAGE = "/channel @yourchannel"
EXAMPLE = "/channel @mydesk"


async def channel_command(update: Update, context: BotContext) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    args = context.args or []
    channels = context.services.channels
    if chat.type != Chat.PRIVATE:
        await message.reply_text("Link channels from a private chat with me.")
        return
    if len(args) != 1 or not args[0].startswith("@") or len(args[0]) > 33 or channels is None:
        await message.reply_text(
            usage_text(UsageError("Which channel?", USAGE, EXAMPLE)), parse_mode=ParseMode.HTML
        )
        return
    name = args[0]
    try:
        target = await context.bot.get_chat(name)
        bot_member = await context.bot.get_chat_member(target.id, context.bot.id)
        user_member = await context.bot.get_chat_member(target.id, user.id)
    except TelegramError:
        await message.reply_text(
            f"I can't see {name}. Add me to the channel as an admin, then try again."
        )
        return
    if target.type != Chat.CHANNEL:
        await message.reply_text(f"{name} is not a channel; for groups, add me to the group.")
        return
    if bot_member.status not in ADMIN_STATUSES:
        await message.reply_text(f"Make me an admin of {name} (to post alerts), then try again.")
        return
    if user_member.status not in ADMIN_STATUSES:
        await message.reply_text(f"Only {name}'s admins can link it.")
        return
    await channels.link(user.id, target.id, target.username, target.title, datetime.now(UTC))
    await message.reply_text(
        f"Linked {escape(name)}. Manage its rules here, e.g. "
        f"<code>/watch {escape(name)} BTC squeeze</code>, <code>/watches {escape(name)}</code>.",
        parse_mode=ParseMode.HTML,
    )
