"""Every text in the reader's language: gettext catalogs and CLDR number formats via Babel."""

from bot.i18n.catalogs import (
    N_,
    current_language,
    gettext,
    ngettext,
    npgettext,
    set_language,
    use_language,
)
from bot.i18n.languages import ENGLISH, LANGUAGES, Language, language_for

_ = gettext

__all__ = [
    "ENGLISH",
    "LANGUAGES",
    "N_",
    "Language",
    "_",
    "current_language",
    "gettext",
    "language_for",
    "ngettext",
    "npgettext",
    "set_language",
    "use_language",
]
