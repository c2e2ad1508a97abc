"""Each chat's /settings lang, in memory: the gate needs it on every update and it changes
rarely. The whole map of chats that chose a language is read in one query at most once a
`ttl_s` (a read per chat on each user's first command queued 200 commands/s behind the database:
bench_load's p99 went from 16 ms to 541 ms). A database outage keeps what was known, and a chat
never seen falls back to Telegram's language (or English) rather than failing commands that need
no database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from storage.db import UNAVAILABLE
from storage.repositories.chat_settings import ChatSettingsRepository


@dataclass
class LanguageCache:
    ttl_s: float = 60.0  # another replica's /settings lang shows here within this
    clock: Callable[[], float] = time.monotonic
    _chosen: dict[int, str] = field(default_factory=dict)
    _fresh_until: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def chosen(self, repository: ChatSettingsRepository | None, chat_id: int) -> str | None:
        if repository is not None and self.clock() >= self._fresh_until:
            await self._reload(repository)
        return self._chosen.get(chat_id)

    async def _reload(self, repository: ChatSettingsRepository) -> None:
        async with self._lock:
            if self.clock() < self._fresh_until:
                return  # another update reloaded it while this one waited
            try:
                self._chosen = await repository.languages()
            except UNAVAILABLE:
                return  # keep what was known; the next update asks again
            self._fresh_until = self.clock() + self.ttl_s

    def remember(self, chat_id: int, language: str | None) -> None:
        if language is None:
            self._chosen.pop(chat_id, None)
        else:
            self._chosen[chat_id] = language
