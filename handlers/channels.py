"""/channel @name: link a channel after proving the user administers it (and the bot posts);
/channel @name off: unlink it, its rules and queued alerts going with the last link. A channel
renamed since it was linked is found by its new name too."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from telegram import Bot, Chat, ChatFullInfo, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.chat_input import MAX_CHANNEL_NAME, parse_channel
from bot.i18n import _, ngettext
from bot.usecases.channels import ChatName, NameLookup
from handlers.context import BotContext
from handlers.groups import ADMIN_STATUSES


async def channel_command(update: Update, context: BotContext) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    channels = context.services.channels
    if chat.type != Chat.PRIVATE:
        await message.reply_text(_("Link and unlink channels from a private chat with me."))
        return
    request = parse_channel(list(context.args or []))
    name = request.name
    if request.unlink:
        await message.reply_text(await _unlink(context, user.id, name))
        return
    target = await chat_called(context.bot, name)
    statuses = None if target is None else await _statuses(context.bot, target.id, user.id)
    if target is None or statuses is None:
        await message.reply_text(
            _(
                "I can't see {channel}. Add me to the channel as an admin, then try again.",
                channel=name,
            )
        )
        return
    bot_status, user_status = statuses
    if target.type != Chat.CHANNEL:
        await message.reply_text(
            _("{channel} is not a channel; for groups, add me to the group.", channel=name)
        )
        return
    if bot_status not in ADMIN_STATUSES:
        await message.reply_text(
            _("Make me an admin of {channel} (to post alerts), then try again.", channel=name)
        )
        return
    if user_status not in ADMIN_STATUSES:
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


async def chat_called(bot: Bot, name: str) -> ChatFullInfo | None:
    """The chat Telegram calls @name now; None when it shows the bot none. Linking checks this
    chat, and a renamed channel's link is found by it (`name_lookup`)."""
    try:
        return await bot.get_chat(name)
    except TelegramError:
        return None


def name_lookup(bot: Bot) -> NameLookup:
    """How the channel use case asks Telegram what a name is now (`ChannelService.find`)."""

    async def lookup(name: str) -> ChatName | None:
        if len(name) > MAX_CHANNEL_NAME:
            return None  # no Telegram username is that long: not worth a request
        chat = await chat_called(bot, name)
        return None if chat is None else ChatName(chat.id, chat.username, chat.title)

    return lookup


async def _statuses(bot: Bot, chat_id: int, user_id: int) -> tuple[str, str] | None:
    """The bot's and the user's status in the chat; None when Telegram shows the bot neither."""
    try:
        bot_member = await bot.get_chat_member(chat_id, bot.id)
        user_member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return None
    return bot_member.status, user_member.status


async def _unlink(context: BotContext, user_id: int, name: str) -> str:
    """Needs no word from Telegram unless the channel was renamed: a channel that is closed,
    or that the user no longer administers, is unlinked all the same."""
    channels = context.services.channels
    unlinked = await channels.unlink(user_id, name, name_lookup(context.bot))
    if unlinked is None:
        return _("You have not linked {channel}.", channel=name)
    if unlinked.shared:
        return _(
            "Unlinked {channel} for you; its rules stay with the other admins who linked it.",
            channel=name,
        )
    if not unlinked.rules_removed:
        return _("Unlinked {channel}.", channel=name)
    return ngettext(
        "Unlinked {channel}; its {n} rule is gone.",
        "Unlinked {channel}; its {n} rules are gone.",
        unlinked.rules_removed,
        channel=name,
    )
