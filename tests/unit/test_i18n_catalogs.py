"""Every text the code marks for translation is translated in every language, keeps its
placeholders, and stays HTML Telegram accepts; catalogs hold nothing the code no longer says."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import ENGLISH, LANGUAGES, Language
from bot.i18n.catalogs import catalog_path

ROOT = Path(__file__).resolve().parents[2]
OTHERS = [language for language in LANGUAGES if language is not ENGLISH]
# https://core.telegram.org/bots/api#html-style
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a",
                 "tg-spoiler", "span", "blockquote", "tg-emoji"}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-z-]+)[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+);")


Key = str | tuple[str, str]


@cache
def source_messages() -> dict[tuple[str | None, Key], None]:
    """(context, msgid or (singular, plural)) of every _(), N_(), ngettext() and npgettext() in
    bot/ and handlers/."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: dict[tuple[str | None, Key], None] = {}
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / folder, [("**.py", "python")], keywords=keywords
        ):
            found[context, message if isinstance(message, str) else tuple(message)] = None
    return found


@cache
def catalog(language: Language) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language.locale)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def html_problems(text: str) -> list[str]:
    """Unknown or unbalanced tags, or a bare < or & Telegram would refuse."""
    problems, open_tags = [], []
    for match in _TAG.finditer(text):
        closing, tag = match.groups()
        if tag not in TELEGRAM_TAGS:
            problems.append(f"tag <{tag}>")
        elif not closing:
            open_tags.append(tag)
        elif not open_tags or open_tags.pop() != tag:
            problems.append(f"unbalanced </{tag}>")
    problems.extend(f"unclosed <{tag}>" for tag in open_tags)
    rest = _ENTITY.sub("", _TAG.sub("", text))
    problems.extend(f"bare {sign!r}" for sign in "<>&" if sign in rest)
    return problems


def singular(key: str | tuple[str, ...]) -> str:
    return key[0] if isinstance(key, tuple) else key


def translations_of(language: Language, context: str | None, key: Key) -> list[tuple[str, str]]:
    """(English source, translation) pairs; a plural has one translation per plural form."""
    message = catalog(language).get(singular(key), context=context)
    assert message is not None, f"{language.code}: no entry for {key!r}"
    assert not message.fuzzy, f"{language.code}: fuzzy {key!r}"
    if isinstance(key, tuple):
        forms = list(message.string)
        assert len(forms) == catalog(language).num_plurals, f"{language.code}: {key!r}"
        # Russian 'one' also covers 21, 31...: every form shows {n}, like the English plural.
        return [(key[1], form) for form in forms]
    assert isinstance(message.string, str)
    return [(key, message.string)]


def test_the_code_has_texts_to_translate() -> None:
    assert len(source_messages()) > 150
    assert (None, "Watch rules") in source_messages()


@pytest.mark.parametrize("language", OTHERS, ids=lambda language: language.code)
def test_every_text_is_translated_with_its_placeholders_and_html(language: Language) -> None:
    problems = []
    for context, key in source_messages():
        for source, translated in translations_of(language, context, key):
            if not translated.strip():
                problems.append(f"untranslated: {source!r}")
                continue
            if placeholders(translated) != placeholders(source):
                problems.append(f"placeholders {source!r} -> {translated!r}")
            if sorted(_TAG.findall(translated)) != sorted(_TAG.findall(source)):
                problems.append(f"tags differ {source!r} -> {translated!r}")
            if not html_problems(source):  # plain-text sources ('> or <') are escaped at use
                problems.extend(f"{p} in {translated!r}" for p in html_problems(translated))
    assert not problems, f"{language.code}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", OTHERS, ids=lambda language: language.code)
def test_catalogs_hold_only_what_the_code_says(language: Language) -> None:
    wanted = {(context, singular(key)) for context, key in source_messages()}
    stale = [m.id for m in catalog(language) if m.id and (m.context, singular(m.id)) not in wanted]
    assert not stale, f"{language.code}: run `make messages` to drop {stale}"


def test_the_checks_catch_broken_translations() -> None:
    assert placeholders("Removed {n} rules, {id}") == {"n", "id"}
    assert html_problems("<b>ok</b> &lt;x&gt;") == []
    assert html_problems("<b>broken") == ["unclosed <b>"]
    assert html_problems("<b>x</i>") == ["unbalanced </i>"]
    assert html_problems("<div>x</div>") == ["tag <div>", "tag <div>"]
    assert html_problems("a < b & c") == ["bare '<'", "bare '&'"]


def test_every_language_has_a_catalog_and_english_needs_none() -> None:
    assert [language.code for language in LANGUAGES] == ["en", "ru", "es", "pt", "tr", "zh"]
    for language in OTHERS:
        assert catalog_path(language).is_file()
    assert not catalog_path(ENGLISH).exists()
