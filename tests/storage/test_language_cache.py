"""The reply language comes from memory: one query for every chat's /settings lang, at most once
a ttl, so a new user's first command never waits on a read of its own."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.languages import LanguageCache
from storage.db import make_session_factory
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository


async def test_a_language_chosen_on_another_replica_shows_after_the_ttl(
    engine: AsyncEngine,
) -> None:
    repository = ChatSettingsRepository(make_session_factory(engine))
    now = [0.0]
    cache = LanguageCache(ttl_s=60, clock=lambda: now[0])
    assert await cache.chosen(repository, 7) is None
    await repository.save(ChatSettings(chat_id=7, language="ru"))
    await repository.save(ChatSettings(chat_id=8, timezone="Asia/Tokyo"))
    now[0] = 59.9
    assert await cache.chosen(repository, 7) is None  # within the ttl: what was read
    now[0] = 60.0
    assert await cache.chosen(repository, 7) == "ru"
    assert await cache.chosen(repository, 8) is None  # settings, but no language chosen
    assert await repository.languages() == {7: "ru"}
    cache.remember(7, None)  # this replica's own /settings lang auto shows at once
    assert await cache.chosen(repository, 7) is None
