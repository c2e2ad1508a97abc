"""The price / volume / OI table of the domain brief (§3), for one window.

Pure: three percent changes in, one row out. "Flat" bands keep noise from being read as a
direction; they are named settings, not buried constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from bot.i18n import N_


@dataclass(frozen=True)
class FlatBands:
    price_pct: float = 0.1  # |price change| below this is flat
    volume_pct: float = 5.0
    oi_pct: float = 0.2


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


UP, DOWN, FLAT = Direction.UP, Direction.DOWN, Direction.FLAT


@dataclass(frozen=True)
class Row:
    price: Direction
    volume: Direction | None
    oi: Direction
    reading: str  # English; the catalog has it for other languages
    caveat: str


# (price, volume, oi) -> (reading, what can go wrong); volume None = the short form.
TABLE: dict[tuple[Direction, Direction | None, Direction], tuple[str, str]] = {
    (UP, UP, UP): (
        N_("new positions opened into the rise"),
        N_("OI does not tell which side is aggressive"),
    ),
    (UP, UP, DOWN): (
        N_("rise driven by closes (short covering)"),
        N_("often stalls once closes are done"),
    ),
    (UP, DOWN, UP): (
        N_("positions added on thin turnover"),
        N_("a sharp pullback can force closes"),
    ),
    (DOWN, UP, UP): (
        N_("new positions opened into the fall (shorts building)"),
        N_("a reversal can squeeze shorts"),
    ),
    (DOWN, UP, DOWN): (
        N_("closes and liquidations dominate the fall"),
        N_("a bounce without a trend change"),
    ),
    (DOWN, DOWN, DOWN): (
        N_("turnover and positions both shrinking"),
        N_("momentum fading into a range"),
    ),
    (UP, None, UP): (N_("new longs entering"), N_("OI does not tell which side is aggressive")),
    (DOWN, None, UP): (N_("new shorts entering"), N_("a reversal can squeeze shorts")),
    (UP, None, DOWN): (
        N_("short covering (weak rally)"),
        N_("often stalls once closes are done"),
    ),
    (DOWN, None, DOWN): (
        N_("long exhaustion / capitulation"),
        N_("a bounce without a trend change"),
    ),
    (FLAT, None, UP): (
        N_("positions building in a range (accumulation)"),
        N_("the longer it lasts, the larger the forced-close wave on a breakout"),
    ),
}


def _direction(change: float, band: float) -> Direction:
    if change > band:
        return UP
    if change < -band:
        return DOWN
    return FLAT


def read(
    price_pct: float, volume_pct: float | None, oi_pct: float, bands: FlatBands = FlatBands()
) -> Row:
    price = _direction(price_pct, bands.price_pct)
    oi = _direction(oi_pct, bands.oi_pct)
    volume = _direction(volume_pct, bands.volume_pct) if volume_pct is not None else None
    return _row(price, volume, oi)


@cache
def _row(price: Direction, volume: Direction | None, oi: Direction) -> Row:
    """One row per combination of directions, shared (a row is immutable): every tick reads
    five windows of every asset, and building the row each time cost as much as choosing it."""
    found = TABLE.get((price, volume, oi)) or TABLE.get((price, None, oi))
    if found is None:
        if oi is FLAT:
            reading, caveat = N_("positions unchanged"), N_("moves without OI are spot-led")
            return Row(price, volume, oi, reading, caveat)
        return Row(price, volume, oi, N_("no clear reading"), "")
    return Row(price, volume, oi, *found)
