"""Each chat's /settings lang, kept briefly in memory: the gate needs it on every update, and
it changes rarely. A database outage falls back to Telegram's language (or English) rather
than failing commands that need no database."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from storage.db import UNAVAILABLE
from storage.repositories.chat_settings import ChatSettingsRepository


@dataclass
class LanguageCache:
    ttl_s: float = 60.0  # another replica's /settings lang shows here within this
    _seen: dict[int, tuple[str | None, float]] = field(default_factory=dict)

    async def chosen(self, repository: ChatSettingsRepository | None, chat_id: int) -> str | None:
        now = time.monotonic()
        cached = self._seen.get(chat_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        if repository is None:
            return None
        try:
            language = (await repository.get(chat_id)).language
        except UNAVAILABLE:
            return None  # not cached: the next update asks again
        self.remember(chat_id, language)
        return language

    def remember(self, chat_id: int, language: str | None) -> None:
        self._seen[chat_id] = (language, time.monotonic() + self.ttl_s)
