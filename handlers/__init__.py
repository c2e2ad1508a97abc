"""Telegram handlers: thin (parse, call the core, format). `register` lists every one."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Chat, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers.channels import channel_command
from handlers.charts import (
    chart_button,
    chart_command,
    levels_button,
    levels_command,
    score_command,
)
from handlers.context import BotContext
from handlers.errors import on_error
from handlers.fallback import (
    command_words,
    other_message,
    plain_text,
    stale_button,
    unknown_command,
)
from handlers.funding import funding_command
from handlers.gate import gate
from handlers.inline import inline_query
from handlers.liquidation import liq_command
from handlers.market import oi_command
from handlers.membership import chat_migrated, my_chat_member
from handlers.positions import pos_button, pos_command
from handlers.rules import (
    edit_command,
    rule_button,
    unwatch_command,
    watch_command,
    watches_command,
)
from handlers.settings import settings_command
from handlers.start import help_command, publish_command_menu

__all__ = ["publish_command_menu", "register"]

Command = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

COMMANDS: dict[str, Command] = {
    "start": help_command,
    "help": help_command,
    "liq": liq_command,
    "funding": funding_command,
    "oi": oi_command,
    "market": oi_command,
    "watch": watch_command,
    "watches": watches_command,
    "unwatch": unwatch_command,
    "edit": edit_command,
    "pos": pos_command,
    "settings": settings_command,
    "channel": channel_command,
    "chart": chart_command,
    "levels": levels_command,
    "score": score_command,
}


async def caption_command(update: Update, context: BotContext) -> None:
    """A photo captioned '/liq 50000 50x long' is the command: the same handler answers it."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    words = command_words(message)
    assert words is not None
    name, _, mention = words[0][1:].partition("@")
    if mention and mention.lower() != (context.bot.username or "").lower():
        return  # addressed to another bot in a group
    command = COMMANDS.get(name.lower())
    if command is None:
        if chat.type == Chat.PRIVATE:
            await unknown_command(update, context)
        return
    context.args = words[1:]
    await command(update, context)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, gate), group=-1)
    for name, command in COMMANDS.items():
        app.add_handler(CommandHandler(name, command))
    app.add_handler(CallbackQueryHandler(chart_button, pattern=r"^chart:"))
    app.add_handler(CallbackQueryHandler(levels_button, pattern=r"^levels:how$"))
    app.add_handler(CallbackQueryHandler(rule_button, pattern=r"^rule:"))
    app.add_handler(CallbackQueryHandler(pos_button, pattern=r"^pos:"))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated))
    app.add_handler(InlineQueryHandler(inline_query))
    captioned = filters.CaptionRegex(r"^/")
    app.add_handler(MessageHandler(captioned, caption_command))
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, plain_text))
    app.add_handler(
        MessageHandler(
            private & ~filters.TEXT & ~captioned & ~filters.StatusUpdate.ALL, other_message
        )
    )
    app.add_error_handler(on_error)
