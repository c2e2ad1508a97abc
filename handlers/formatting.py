"""Numbers for a phone screen: thousands separators, sensible decimals, explicit units."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape

from bot.chat_input import UsageError

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
    return _grouped(value, places)


def money(value: Decimal) -> str:
    """2 dp; below a cent, four significant digits, so a tiny position never reads 0.00."""
    if 0 < abs(value) < Decimal("0.01"):
        return price(value)
    return _grouped(value, 2)


def each(value: Decimal) -> str:
    """A per-settlement amount: cents, unless cents would round it, so the count times it
    multiplies back to the total shown (72 × 0.125, not 72 × 0.13, for 9.00)."""
    if value == value.quantize(Decimal("0.01")):
        return money(value)
    return price(value)


def coins(value: Decimal) -> str:
    """A coin quantity to the satoshi, no trailing zeros: 0.02, 1, 0.00012345."""
    return f"{value.quantize(Decimal('1e-8'), rounding=ROUND_HALF_UP).normalize():,f}"


def amount(value: Decimal, unit: str) -> str:
    return f"{money(value)} {unit}"


def duration(hours: Decimal) -> str:
    """For people: 0.333.. h -> '20 min', 36 -> '1d 12h', 8 -> '8h'. 'm' typed is minutes."""
    minutes = (hours * 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    days, minutes = divmod(minutes, 1440)
    whole_hours, minutes = divmod(minutes, 60)
    parts = [f"{days:f}d" if days else "", f"{whole_hours:f}h" if whole_hours else ""]
    parts.append(f"{plain(minutes)} min" if minutes else "")
    return " ".join(p for p in parts if p) or "0 min"


def pct(fraction: Decimal, places: int = 2, *, signed: bool = False) -> str:
    """A fraction as percent: 0.0161 -> '1.61%'."""
    text = _grouped(fraction * HUNDRED, places)
    if signed and fraction > 0:
        text = "+" + text
    return text + "%"


def pct_points(percent: Decimal, places: int = 2) -> str:
    """A value already in percent units: 1.606 -> '1.61%'."""
    return _grouped(percent, places) + "%"


def plain(value: Decimal) -> str:
    """Drop trailing zeros: 50.0 -> '50', 0.50 -> '0.5'."""
    text = format(value.normalize(), "f")
    return text


def _grouped(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


def usage_text(error: UsageError) -> str:
    return (
        f"{escape(error.problem)}\n"
        f"Usage: <code>{escape(error.usage)}</code>\n"
        f"Example: <code>{escape(error.example)}</code>"
    )
