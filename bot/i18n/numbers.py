"""Numbers and percents in the reader's locale (Babel/CLDR): 49,250.00 in English,
49 250,00 in Russian, 49.250,00 in Spanish, %1,61 in Turkish."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.numbers import (
    NumberPattern,
    format_percent,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)

from bot.i18n.catalogs import current_language

# Money and plain numbers are Python's own formatting with the locale's signs swapped in, and
# percents use a Babel pattern parsed once per locale and width: a /liq reply formats ~15
# numbers, and Babel parsing its locale and pattern for each was most of the reply's own CPU
# (bench/bench_load.py). Babel's output for these patterns is 3-digit groups with the locale's
# signs, which tests/unit/test_i18n_formats.py checks against Babel itself.


@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


@cache
def _signs(code: str) -> dict[int, str]:
    locale = _locale(code)
    return str.maketrans(
        {
            ".": get_decimal_symbol(locale),
            ",": get_group_symbol(locale),
            "-": get_minus_sign_symbol(locale),
        }
    )


@cache
def _percent_pattern(code: str, places: int) -> NumberPattern:
    base = _locale(code).percent_formats[None].pattern
    digits = "#,##0" + ("." + "0" * places if places else "")
    return parse_pattern(base.replace("#,##0", digits, 1))


def quantized(value: Decimal, places: int) -> Decimal:
    # Half-up like the rest of the bot (Babel itself rounds half-even).
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def grouped(value: Decimal, places: int) -> str:
    """Exactly `places` decimals with the locale's group and decimal signs."""
    # 'z': a value that rounds to zero reads 0.00, not -0.00 (a short's PnL at its entry).
    text = f"{quantized(value, places):z,.{places}f}"
    return text.translate(_signs(current_language().locale))


def ungrouped(value: Decimal) -> str:
    """As written, without trailing zeros or grouping, in the locale's decimal sign: 0,5."""
    return format(value.normalize(), "zf").translate(_signs(current_language().locale))


def percent(fraction: Decimal, places: int = 2, *, signed: bool = False) -> str:
    """0.0161 -> '1.61%' (en), '1,61 %' (ru), '%1,61' (tr)."""
    code = current_language().locale
    exact = quantized(fraction * 100, places) / 100
    if exact == 0:
        exact = abs(exact)  # -0.0 % would read as a loss
    text = format_percent(exact, _percent_pattern(code, places), locale=_locale(code))
    return "+" + text if signed and fraction > 0 else text


def localize_digits(text: str) -> str:
    """A number Python formatted the English way ('12.3M', '+0.0125', '87,412') with the
    locale's decimal and group signs; for tables where the width and rounding are fixed."""
    return text.translate(_signs(current_language().locale))
