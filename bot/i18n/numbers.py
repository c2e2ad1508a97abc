"""Numbers and percents in the reader's locale (Babel/CLDR): 49,250.00 in English,
49 250,00 in Russian, 49.250,00 in Spanish, %1,61 in Turkish."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import (
    format_decimal,
    format_percent,
    get_decimal_symbol,
    get_group_symbol,
)

from bot.i18n.catalogs import current_language


def _pattern(places: int) -> str:
    return "#,##0" + ("." + "0" * places if places else "")


def _quantized(value: Decimal, places: int) -> Decimal:
    # Half-up like the rest of the bot (Babel itself rounds half-even).
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def grouped(value: Decimal, places: int) -> str:
    """Exactly `places` decimals with the locale's group and decimal signs."""
    locale = current_language().locale
    return format_decimal(_quantized(value, places), _pattern(places), locale=locale)


def ungrouped(value: Decimal) -> str:
    """As written, without trailing zeros or grouping, in the locale's decimal sign: 0,5."""
    locale = current_language().locale
    text = format(value.normalize(), "f")
    places = len(text.partition(".")[2])
    pattern = "0" + ("." + "0" * places if places else "")
    return format_decimal(value, pattern, locale=locale)


def percent(fraction: Decimal, places: int = 2, *, signed: bool = False) -> str:
    """0.0161 -> '1.61%' (en), '1,61 %' (ru), '%1,61' (tr)."""
    language = current_language()
    base = Locale.parse(language.locale).percent_formats[None].pattern
    pattern = base.replace("#,##0", _pattern(places), 1)
    exact = _quantized(fraction * 100, places) / 100
    text = format_percent(exact, pattern, locale=language.locale)
    return "+" + text if signed and fraction > 0 else text


def localize_digits(text: str) -> str:
    """A number Python formatted the English way ('12.3M', '+0.0125', '87,412') with the
    locale's decimal and group signs; for tables where the width and rounding are fixed."""
    locale = current_language().locale
    signs: dict[str, str | int | None] = {
        ".": get_decimal_symbol(locale),
        ",": get_group_symbol(locale),
    }
    return text.translate(str.maketrans(signs))
