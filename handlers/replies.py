"""Replies that always fit: Telegram refuses a message over 4,096 characters, so a long
answer goes out as several, split between lines, with any buttons under the last one."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ParseMode

from bot.delivery.render import TELEGRAM_LIMIT, split_message


async def reply_html(
    message: Message,
    text: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    *,
    continued: str = "",
) -> None:
    """`continued` heads every part after the first, so each says what it belongs to."""
    head = f"{continued}\n" if continued else ""
    first, *rest = split_message(text, TELEGRAM_LIMIT - len(head))
    parts = [first, *(head + part for part in rest)]
    for number, part in enumerate(parts, start=1):
        await message.reply_text(
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=reply_markup if number == len(parts) else None,
        )
