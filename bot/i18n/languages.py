"""The languages the bot speaks. Adding one: its catalog `locales/<code>.po` and a line here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # what /settings lang takes and Telegram's language_code starts with
    locale: str  # Babel's locale for numbers and dates
    name: str  # in the language itself, for /settings
    words: tuple[str, ...] = ()  # its names as typed in /settings lang, lower case
    dates: str = ""  # Babel's locale for dates when not `locale`

    @property
    def date_locale(self) -> str:
        return self.dates or self.locale


# English dates day first ("11 Oct"), as most of the world outside the US reads them.
ENGLISH = Language("en", "en", "English", ("english",), dates="en_GB")
LANGUAGES: tuple[Language, ...] = (
    ENGLISH,
    Language("ru", "ru", "Русский", ("russian", "русский")),
    Language("es", "es", "Español", ("spanish", "español", "espanol")),
    Language("pt", "pt_BR", "Português (Brasil)", ("portuguese", "português", "portugues")),
    Language("tr", "tr", "Türkçe", ("turkish", "türkçe", "turkce")),
    Language("zh", "zh_Hans", "简体中文", ("chinese", "中文", "简体中文")),
)
BY_CODE = {language.code: language for language in LANGUAGES}


def language_for(code: str | None) -> Language | None:
    """Telegram's 'pt-br' -> pt, 'zh-hans' -> zh, 'en_US' -> en; None when we do not speak it."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return BY_CODE.get(base)


def reply_language(chosen: str | None, telegram_code: str | None, *, personal: bool) -> Language:
    """The chat's /settings lang wins; a person's own chat (and inline answers) falls back to
    Telegram's language_code; groups and channels to English, since members differ."""
    return language_for(chosen) or (language_for(telegram_code) if personal else None) or ENGLISH
