"""The language each alert's chat reads: its /settings lang, else English; a person's own
alerts (the position guard's) fall back to their Telegram language first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.i18n import ENGLISH, Language
from bot.i18n.languages import reply_language
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.contacts import ContactRepository


async def chat_languages(
    settings: ChatSettingsRepository | None, chat_ids: Sequence[int]
) -> dict[int, Language]:
    """Alerts go to groups and channels too, so Telegram's language_code of one member never
    decides, and a background job never sees it anyway: English until the chat picks one."""
    if settings is None or not chat_ids:
        return {}
    rows = await settings.for_chats(list(chat_ids))
    return {chat_id: _chat_language(row) for chat_id, row in rows.items()}


def _chat_language(row: ChatSettings) -> Language:
    return reply_language(row.language, None, personal=False)


@dataclass(frozen=True, slots=True)
class Reader:
    """How a chat reads a moment: in its language and its /settings time zone."""

    language: Language
    zone: ZoneInfo


DEFAULT_READER = Reader(ENGLISH, ZoneInfo("UTC"))  # a chat that never used /settings


async def chat_readers(
    settings: ChatSettingsRepository | None, chat_ids: Sequence[int]
) -> dict[int, Reader]:
    """Every chat of `chat_ids`, as `chat_languages` picks its language (the one its alerts
    are written in), with its zone."""
    rows = await settings.for_chats(list(chat_ids)) if settings is not None and chat_ids else {}
    return {
        chat_id: Reader(_chat_language(row), ZoneInfo(row.timezone))
        if (row := rows.get(chat_id)) is not None
        else DEFAULT_READER
        for chat_id in chat_ids
    }


async def owner_languages(
    settings: ChatSettingsRepository | None,
    contacts: ContactRepository | None,
    owners: Sequence[int],
) -> dict[int, Language]:
    """Private chats (a private chat's id is its user's): the owner's /settings lang, else the
    language_code Telegram sent with their last message, else English, as replies have it."""
    chosen = await settings.for_chats(list(owners)) if settings is not None and owners else {}
    unset = [owner for owner in owners if owner not in chosen or not chosen[owner].language]
    codes = await contacts.language_codes(unset) if contacts is not None and unset else {}
    return {
        owner: reply_language(
            chosen[owner].language if owner in chosen else None, codes.get(owner), personal=True
        )
        for owner in owners
    }
