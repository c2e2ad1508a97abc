"""Typed context: handlers reach the core services through `context.services`, not globals."""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ExtBot

from bot.services import Services
from handlers.groups import AdminCache
from handlers.languages import LanguageCache

SERVICES_KEY = "services"
ADMINS_KEY = "admins"
LANGUAGES_KEY = "languages"


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def admins(self) -> AdminCache:
        cache = self.application.bot_data.get(ADMINS_KEY)
        if cache is None:
            ttl = self.services.settings.admin_cache_seconds
            cache = self.application.bot_data[ADMINS_KEY] = AdminCache(ttl_s=ttl)
        return cache

    @property
    def languages(self) -> LanguageCache:
        cache = self.application.bot_data.get(LANGUAGES_KEY)
        if cache is None:
            cache = self.application.bot_data[LANGUAGES_KEY] = LanguageCache()
        return cache

    async def zone(self, chat_id: int) -> str:
        """The chat's time zone from /settings (UTC until set): mute times, charts, scores."""
        repository = self.services.chat_settings
        return (await repository.get(chat_id)).timezone if repository is not None else "UTC"
