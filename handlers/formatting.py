"""Numbers for a phone screen: the reader's thousands and decimal signs, sensible decimals,
explicit units (money keeps its currency code in every language)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape

from bot.errors import UserError
from bot.i18n import _
from bot.i18n.numbers import grouped, percent, ungrouped
from bot.i18n.quantities import coins_of, contracts_of

HUNDRED = Decimal(100)


def price(value: Decimal) -> str:
    """2 dp above 100 (BTC, ETH), more for small coins so the digits that move stay visible."""
    magnitude = abs(value)
    if magnitude >= 100:
        places = 2
    elif magnitude >= 1:
        places = 4
    elif magnitude == 0:
        places = 2
    else:
        # Keep four significant digits: 0.0001234 -> 0.0001234.
        places = min(12, -magnitude.adjusted() + 3)
    return grouped(value, places)


def money(value: Decimal) -> str:
    """2 dp; below a cent, four significant digits, so a tiny position never reads 0.00."""
    if 0 < abs(value) < Decimal("0.01"):
        return price(value)
    return grouped(value, 2)


def each(value: Decimal) -> str:
    """A per-settlement amount: cents, unless cents would round it, so the count times it
    multiplies back to the total shown (72 × 0.125, not 72 × 0.13, for 9.00)."""
    if value == value.quantize(Decimal("0.01")):
        return money(value)
    return price(value)


def _to_satoshi(value: Decimal) -> tuple[Decimal, str]:
    """(the quantity as shown, its text): to the satoshi, no trailing zeros: 0.02, 1, 0.00012345."""
    exact = value.quantize(Decimal("1e-8"), rounding=ROUND_HALF_UP).normalize()
    return exact, grouped(exact, max(0, -int(exact.as_tuple().exponent)))


def in_coin(value: Decimal, ticker: str) -> str:
    """'0.02 BTC'; with no ticker known, the counted word: '1 coin', '0.5 coins'."""
    exact, shown = _to_satoshi(value)
    return f"{shown} {ticker}" if ticker else coins_of(exact, shown)


def in_contracts(value: Decimal) -> str:
    """'1 contract', '600 contracts' (ru '1 контракт', '0,5 контракта')."""
    return contracts_of(*_to_satoshi(value))


def amount(value: Decimal, unit: str) -> str:
    return f"{money(value)} {unit}"


def duration(hours: Decimal) -> str:
    """For people: 0.333.. h -> '20 min', 36 -> '1d 12h', 8 -> '8h'. 'm' typed is minutes."""
    minutes = (hours * 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    days, minutes = divmod(minutes, 1440)
    whole_hours, minutes = divmod(minutes, 60)
    parts = [
        _("{days}d", days=f"{days:f}") if days else "",
        _("{hours}h", hours=f"{whole_hours:f}") if whole_hours else "",
        _("{minutes} min", minutes=plain(minutes)) if minutes else "",
    ]
    return " ".join(p for p in parts if p) or _("{minutes} min", minutes=0)


def pct(fraction: Decimal, places: int = 2, *, signed: bool = False) -> str:
    """A fraction as percent: 0.0161 -> '1.61%' (ru '1,61 %', tr '%1,61')."""
    return percent(fraction, places, signed=signed)


def rate_pct(rate: Decimal) -> str:
    """A funding rate as /oi shows it: 4 decimals, 5 when needed (Hyperliquid's 0.00125 %/h)."""
    places = 4 if (rate * HUNDRED) == (rate * HUNDRED).quantize(Decimal("0.0001")) else 5
    return percent(rate, places, signed=True)


def pct_points(percent_value: Decimal, places: int = 2) -> str:
    """A value already in percent units: 1.606 -> '1.61%'."""
    return percent(percent_value / HUNDRED, places)


def plain(value: Decimal) -> str:
    """Drop trailing zeros: 50.0 -> '50', 0.50 -> '0.5' (ru '0,5')."""
    return ungrouped(value)


def usage_text(error: UserError) -> str:
    return _(
        "{problem}\nUsage: <code>{usage}</code>\nExample: <code>{example}</code>",
        problem=escape(error.problem),
        usage=escape(error.usage),
        example=escape(error.example),
    )
