"""The one place venue strings become numbers.

Venues send numbers as strings, and "" / null / "0" as sentinels for "absent" (an expiring
future's funding rate, a delivery contract's next funding time). Those must never turn into a
0 % funding rate, so absent stays None.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, overload

# No venue quotes, counts or trades anything outside these magnitudes. A number beyond them is a
# broken field; let in, "1e999999" overflows the Decimal context in the first product (an
# ArithmeticError no caller expects) and reads inf as a float, "1e-999999" reads 0.0.
SMALLEST, LARGEST = Decimal("1e-30"), Decimal("1e30")
# Venues clamp the funding a market pays per interval to a few per cent: Hyperliquid to 4 % an
# hour, Binance's widest adjusted cap is 3 % (fundingInfo), Bybit's and OKX's per-symbol caps
# (fundingCap, maxFundingRate) are 0.5 % and 0.375 % in the recordings. A rate of 10 % or more
# a period is more than twice any cap: a broken field, which read as real (a -100 % rate) would
# fire every funding rule and crowding reading on a number no market paid.
FUNDING_LIMIT = Decimal("0.1")


class BadPayload(ValueError):
    """A required field is missing or not a number: the whole venue tick is untrustworthy."""


# What reading an answer other than the documented one raises: a field missing (KeyError), of
# another type (TypeError, AttributeError: null where an object was), not a number (BadPayload).
NOT_AS_DOCUMENTED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def optional_decimal(value: Any, *, zero_is_absent: bool = False) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise BadPayload(f"not a number: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise BadPayload(f"not a finite number: {value!r}")
    if number and not SMALLEST <= abs(number) <= LARGEST:
        raise BadPayload(f"not a plausible number: {str(value)[:40]!r}")
    if zero_is_absent and number == 0:
        return None
    return number


def required(number: Decimal | None, name: str) -> Decimal:
    if number is None:
        raise BadPayload(f"missing {name}")
    return number


def decimal(value: Any, name: str = "value") -> Decimal:
    return required(optional_decimal(value), name)


def positive(value: Any, name: str) -> Decimal:
    number = decimal(value, name)
    if number <= 0:
        raise BadPayload(f"{name} is not positive: {number}")
    return number


def _not_negative(number: Decimal | None, name: str) -> Decimal | None:
    if number is not None and number < 0:
        raise BadPayload(f"{name} is negative: {number}")
    return number


def optional_price(value: Any, name: str) -> Decimal | None:
    """An index or last price: absent as "", null or "0" (none yet), never negative."""
    return _not_negative(optional_decimal(value, zero_is_absent=True), name)


def optional_amount(value: Any, name: str) -> Decimal | None:
    """A traded volume: absent, or zero and up."""
    return _not_negative(optional_decimal(value), name)


def amount(value: Any, name: str) -> Decimal:
    return required(optional_amount(value, name), name)


def optional_funding(value: Any, name: str) -> Decimal | None:
    """A funding rate per interval: absent as "" or null (an expiring future has none), never
    read as 0 %, and within any venue's cap."""
    rate = optional_decimal(value)
    if rate is not None and abs(rate) >= FUNDING_LIMIT:
        raise BadPayload(f"{name} is beyond any venue's funding cap: {rate}")
    return rate


def funding_rate(value: Any, name: str) -> Decimal:
    return required(optional_funding(value, name), name)


def open_interest(value: Any, name: str) -> Decimal | None:
    """Contracts open, required. None when there are none: such a market (a listing a minute
    old) has no position to watch and no OI to compare, so it is left out, never read as 0."""
    return _not_negative(decimal(value, name), name) or None


def optional_hours(value: Any, name: str) -> int | None:
    """A funding interval in whole hours: absent as "", null or 0, never negative."""
    number = optional_decimal(value, zero_is_absent=True)
    if number is None:
        return None
    if number < 0 or number != number.to_integral_value():
        raise BadPayload(f"{name} is not whole hours: {number}")
    return int(number)


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
    if not isinstance(base, str) or not base:
        raise BadPayload(f"a market without a base coin: {base!r}")
    for prefix, factor in (("1000000", 1_000_000), ("1000", 1000), ("k", 1000)):
        rest = base[len(prefix) :]
        if base.startswith(prefix) and rest and rest[0].isalpha() and rest.isupper():
            return rest, Decimal(factor)
    return base, Decimal(1)


# Hyperliquid's markets of 1000 coins (kPEPE). Typed, 'kpepe' has lost the case that tells
# them from coins of their own (KAVA, KSM, KAS, KNC): only k + one of these reads as scaled.
K_MARKETS = frozenset({"BONK", "DOGS", "FLOKI", "LUNC", "NEIRO", "PEPE", "SHIB"})


def typed_unscale(base: str) -> tuple[str, Decimal]:
    """`unscale` of a base as a user types it, in any case: 'kpepe' and '1000pepe' ->
    ('PEPE', 1000), 'kava' -> ('KAVA', 1)."""
    upper = base.upper()
    if upper.startswith("K") and upper[1:] in K_MARKETS:
        return upper[1:], Decimal(1000)
    return unscale(upper)


@overload
def per_coin(price: Decimal, multiplier: Decimal) -> Decimal: ...
@overload
def per_coin(price: Decimal | None, multiplier: Decimal) -> Decimal | None: ...
def per_coin(price: Decimal | None, multiplier: Decimal) -> Decimal | None:
    """A price quoted per contract unit (per 1000 PEPE on 1000PEPEUSDT and kPEPE) as the price
    of one coin, which every venue's rows of an asset must share: one venue's PEPE 1000 times
    another's would make /oi, /liq, a position's distance to liquidation and price rules wrong.
    Only prices: a USD amount (contracts x the quoted price) is the same in either unit."""
    return price / multiplier if price is not None else None
