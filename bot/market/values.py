"""The one place venue strings become numbers.

Venues send numbers as strings, and "" / null / "0" as sentinels for "absent" (an expiring
future's funding rate, a delivery contract's next funding time). Those must never turn into a
0 % funding rate, so absent stays None.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any


class BadPayload(ValueError):
    """A required field is missing or not a number: the whole venue tick is untrustworthy."""


def optional_decimal(value: Any, *, zero_is_absent: bool = False) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadPayload(f"not a number: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise BadPayload(f"not a finite number: {value!r}")
    if zero_is_absent and number == 0:
        return None
    return number


def decimal(value: Any, name: str = "value") -> Decimal:
    number = optional_decimal(value)
    if number is None:
        raise BadPayload(f"missing {name}")
    return number


def positive(value: Any, name: str) -> Decimal:
    number = decimal(value, name)
    if number <= 0:
        raise BadPayload(f"{name} is not positive: {number}")
    return number


def from_ms(value: Any) -> datetime | None:
    """Epoch milliseconds (int or str) -> UTC datetime; 0 / "" are absent."""
    if value in (None, "", 0, "0"):
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        raise BadPayload(f"not a timestamp: {str(value)[:40]!r}") from None


def unscale(base: str) -> tuple[str, Decimal]:
    """'1000PEPE' / 'kPEPE' -> ('PEPE', 1000): venues list tiny coins per 1000 (or 1M) units."""
    for prefix, factor in (("1000000", 1_000_000), ("1000", 1000), ("k", 1000)):
        rest = base[len(prefix) :]
        if base.startswith(prefix) and rest and rest[0].isalpha() and rest.isupper():
            return rest, Decimal(factor)
    return base, Decimal(1)
