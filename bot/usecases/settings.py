"""/settings as a use case: a chat's quiet hours, time zone, cooldown and language, read and
changed from its words. A new cooldown reaches the chat's rules at once. Returns plain data;
the chat's presenter words it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.alerts.quiet import QuietHours, parse_cooldown, parse_quiet, parse_zone
from bot.errors import UserError, usage_on_error
from bot.i18n import LANGUAGES, _, language_for
from bot.usecases.watches import WatchService
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository

USAGE = (
    "/settings [quiet HH:MM-HH:MM <time zone>|quiet off|tz <time zone>|"
    "cooldown 15m (m = minutes, h = hours, up to 24h)|lang ru (or auto)]"
)
EXAMPLE = "/settings quiet 23:00-07:00 Europe/Berlin"
AUTOMATIC = ("auto", "off")
# What each setting takes, for a setting named without its value.
VALUES = {
    "quiet": "23:00-07:00",
    "tz": "Asia/Tokyo",
    "timezone": "Asia/Tokyo",
    "cooldown": "15m",
    "lang": "ru",
    "language": "ru",
}


class Change(StrEnum):
    QUIET_OFF = "quiet off"
    QUIET = "quiet"
    ZONE = "tz"
    COOLDOWN = "cooldown"
    LANGUAGE = "lang"


@dataclass(frozen=True, slots=True)
class ChatPreferences:
    quiet: QuietHours | None
    timezone: str
    cooldown_s: int
    language: str | None  # a code from bot.i18n.LANGUAGES; None: Telegram's, else English

    @classmethod
    def of(cls, row: ChatSettings) -> ChatPreferences:
        quiet = (
            QuietHours(row.quiet_start, row.quiet_end, row.timezone)
            if row.quiet_start is not None and row.quiet_end is not None
            else None
        )
        return cls(quiet, row.timezone, row.cooldown_s, row.language)


@dataclass(frozen=True, slots=True)
class SettingsAnswer:
    preferences: ChatPreferences
    change: Change | None  # None: nothing was asked to change


@dataclass(frozen=True)
class SettingsService:
    repository: ChatSettingsRepository
    watch: WatchService
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    async def change(self, chat_id: int, words: list[str]) -> SettingsAnswer:
        """Raises UserError with /settings' usage for words it cannot apply."""
        row = await self.repository.get(chat_id)
        if not words:
            return SettingsAnswer(ChatPreferences.of(row), None)
        cooldown_before = row.cooldown_s
        with usage_on_error(USAGE, EXAMPLE):
            change = _apply(row, words)
        await self.repository.save(row)
        if row.cooldown_s != cooldown_before:
            await self.watch.set_cooldown(chat_id, timedelta(seconds=row.cooldown_s), self.clock())
        return SettingsAnswer(ChatPreferences.of(row), change)


def _apply(row: ChatSettings, words: list[str]) -> Change:
    what = words[0].lower()
    if what == "quiet" and len(words) == 2 and words[1].lower() == "off":
        row.quiet_start = row.quiet_end = None
        return Change.QUIET_OFF
    if len(words) == 1 and what in VALUES:
        raise UserError(
            _(
                "{setting} needs a value, like {example}.",
                setting=what,
                example=f"/settings {what} {VALUES[what]}",
            )
        )
    if what == "quiet":
        span, zone = words[1:], row.timezone
        if len(span) > 1 and any(c.isalpha() for c in span[-1]):
            zone = span.pop()
        # '23:00 - 07:00', as phones space it, arrives as three words.
        hours = parse_quiet("".join(span), zone)
        row.quiet_start, row.quiet_end, row.timezone = hours.start, hours.end, hours.zone
        return Change.QUIET
    if what in ("tz", "timezone") and len(words) == 2:
        row.timezone = parse_zone(words[1])
        return Change.ZONE
    if what == "cooldown" and len(words) in (2, 3):
        row.cooldown_s = parse_cooldown("".join(words[1:]))  # '2 hours', as typed apart
        return Change.COOLDOWN
    if what in ("lang", "language") and len(words) == 2:
        row.language = _language(words[1])
        return Change.LANGUAGE
    raise UserError(_("I don't know that setting."))


def _language(word: str) -> str | None:
    """A code ('ru'), or the language's name in English or in itself ('russian', 'русский')."""
    if word.lower() in AUTOMATIC:
        return None
    typed = word.lower()
    language = next((lang for lang in LANGUAGES if typed in lang.words), None)
    language = language or language_for(word)
    if language is None:
        codes = ", ".join(language.code for language in LANGUAGES)
        raise UserError(_("I speak {codes}.", codes=codes))
    return language.code
