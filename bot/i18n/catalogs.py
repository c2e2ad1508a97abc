"""Message catalogs: one gettext .po file per language, read with Babel at first use (no build
step: a clean clone speaks every language). Messages use named `{placeholders}`.

The language of the message being written lives in a context variable: a handler sets it once
per update (the gate), the delivery per outgoing alert, so the core formats text without
threading a language through every call."""

from __future__ import annotations

import gettext as gettext_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n.languages import ENGLISH, LANGUAGES, Language

LOCALES = Path(__file__).with_name("locales")
_current: ContextVar[Language] = ContextVar("language", default=ENGLISH)


def catalog_path(language: Language) -> Path:
    return LOCALES / f"{language.code}.po"


@cache
def translations(language: Language) -> gettext_module.NullTranslations:
    """English is the source text itself; other languages compile their .po in memory."""
    if language is ENGLISH:
        return gettext_module.NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language.locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def current_language() -> Language:
    return _current.get()


@contextmanager
def use_language(language: Language) -> Iterator[None]:
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def set_language(language: Language) -> None:
    """For a handler's whole update (PTB runs an update's handlers in one task)."""
    _current.set(language)


def gettext(message: str, /, **values: object) -> str:
    text = translations(_current.get()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """`n` is also a placeholder: ngettext('{n} rule', '{n} rules', 3)."""
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text.format(n=n, **values)


def npgettext(context: str, singular: str, plural: str, n: int, **values: object) -> str:
    """ngettext for the same words in another use (context), translated on their own."""
    text = translations(_current.get()).npgettext(context, singular, plural, n)
    return text.format(n=n, **values)


def in_every_language(message: str) -> tuple[str, ...]:
    """A text as every language writes it: to recognize the bot's own earlier message."""
    return tuple(translations(language).gettext(message) for language in LANGUAGES)


def N_(message: str) -> str:
    """Marks a module-level text for the catalog (the extractor looks for this gettext name);
    it is translated where it is shown."""
    return message
