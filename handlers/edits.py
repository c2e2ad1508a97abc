"""A command Telegram delivers as `message` or, after the user edits it, as `edited_message`:
where it came from, for the commands whose edit changes what they made (/watch, /pos add)."""

from __future__ import annotations

from telegram import Update

from bot.usecases.edits import Command
from storage.repositories.origins import Origin


def command_of(update: Update) -> Command:
    message = update.effective_message
    assert message is not None
    origin = Origin(message.chat_id, message.message_id)
    return Command(origin, edited=update.edited_message is not None)
