"""The price / volume / OI table of the domain brief (§3), for one window.

Pure: three percent changes in, one row out. "Flat" bands keep noise from being read as a
direction; they are named settings, not buried constants.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_


@dataclass(frozen=True)
class FlatBands:
    price_pct: float = 0.1  # |price change| below this is flat
    volume_pct: float = 5.0
    oi_pct: float = 0.2


@dataclass(frozen=True)
class Row:
    price: str  # up | down | flat
    volume: str | None
    oi: str
    reading: str  # English; the catalog has it for other languages
    caveat: str


# (price, volume, oi) -> (reading, what can go wrong); volume None = the short form.
TABLE: dict[tuple[str, str | None, str], tuple[str, str]] = {
    ("up", "up", "up"): (
        N_("new positions opened into the rise"),
        N_("OI does not tell which side is aggressive"),
    ),
    ("up", "up", "down"): (
        N_("rise driven by closes (short covering)"),
        N_("often stalls once closes are done"),
    ),
    ("up", "down", "up"): (
        N_("positions added on thin turnover"),
        N_("a sharp pullback can force closes"),
    ),
    ("down", "up", "up"): (
        N_("new positions opened into the fall (shorts building)"),
        N_("a reversal can squeeze shorts"),
    ),
    ("down", "up", "down"): (
        N_("closes and liquidations dominate the fall"),
        N_("a bounce without a trend change"),
    ),
    ("down", "down", "down"): (
        N_("turnover and positions both shrinking"),
        N_("momentum fading into a range"),
    ),
    ("up", None, "up"): (N_("new longs entering"), N_("OI does not tell which side is aggressive")),
    ("down", None, "up"): (N_("new shorts entering"), N_("a reversal can squeeze shorts")),
    ("up", None, "down"): (
        N_("short covering (weak rally)"),
        N_("often stalls once closes are done"),
    ),
    ("down", None, "down"): (
        N_("long exhaustion / capitulation"),
        N_("a bounce without a trend change"),
    ),
    ("flat", None, "up"): (
        N_("positions building in a range (accumulation)"),
        N_("the longer it lasts, the larger the forced-close wave on a breakout"),
    ),
}


def _direction(change: float, band: float) -> str:
    if change > band:
        return "up"
    if change < -band:
        return "down"
    return "flat"


def read(
    price_pct: float, volume_pct: float | None, oi_pct: float, bands: FlatBands = FlatBands()
) -> Row:
    price = _direction(price_pct, bands.price_pct)
    oi = _direction(oi_pct, bands.oi_pct)
    volume = _direction(volume_pct, bands.volume_pct) if volume_pct is not None else None
    found = TABLE.get((price, volume, oi)) or TABLE.get((price, None, oi))
    if found is None:
        if oi == "flat":
            reading, caveat = N_("positions unchanged"), N_("moves without OI are spot-led")
            return Row(price, volume, oi, reading, caveat)
        return Row(price, volume, oi, N_("no clear reading"), "")
    return Row(price, volume, oi, *found)
