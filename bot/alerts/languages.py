"""The language each alert's chat reads: its /settings lang, else English."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import Language
from bot.i18n.languages import reply_language
from storage.repositories.chat_settings import ChatSettingsRepository


async def chat_languages(
    settings: ChatSettingsRepository | None, chat_ids: Sequence[int]
) -> dict[int, Language]:
    """Alerts go to groups and channels too, so Telegram's language_code of one member never
    decides, and a background job never sees it anyway: English until the chat picks one."""
    if settings is None or not chat_ids:
        return {}
    rows = await settings.for_chats(list(chat_ids))
    return {
        chat_id: reply_language(row.language, None, personal=False) for chat_id, row in rows.items()
    }
