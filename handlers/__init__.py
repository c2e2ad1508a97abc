"""Telegram handlers: thin (parse, call the core, format). `register` lists every one."""

from __future__ import annotations

from typing import Any

from telegram import Update
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
from handlers.charts import chart_button, chart_command, levels_command, score_command
from handlers.errors import on_error
from handlers.fallback import plain_text, unknown_command
from handlers.funding import funding_command
from handlers.gate import gate
from handlers.inline import inline_query
from handlers.liquidation import liq_command
from handlers.market import oi_command
from handlers.membership import my_chat_member
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


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(CommandHandler(["start", "help"], help_command))
    app.add_handler(CommandHandler("liq", liq_command))
    app.add_handler(CommandHandler("funding", funding_command))
    app.add_handler(CommandHandler(["oi", "market"], oi_command))
    app.add_handler(CommandHandler("watch", watch_command))
    app.add_handler(CommandHandler("watches", watches_command))
    app.add_handler(CommandHandler("unwatch", unwatch_command))
    app.add_handler(CommandHandler("edit", edit_command))
    app.add_handler(CommandHandler("pos", pos_command))
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CommandHandler("channel", channel_command))
    app.add_handler(CommandHandler("chart", chart_command))
    app.add_handler(CommandHandler("levels", levels_command))
    app.add_handler(CommandHandler("score", score_command))
    app.add_handler(CallbackQueryHandler(chart_button, pattern=r"^chart:"))
    app.add_handler(CallbackQueryHandler(rule_button, pattern=r"^rule:"))
    app.add_handler(CallbackQueryHandler(pos_button, pattern=r"^pos:"))
    app.add_handler(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(InlineQueryHandler(inline_query))
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, plain_text))
    app.add_error_handler(on_error)
