"""Dark and light palettes, sized for a phone screen (1080 x 1350 px, 4:5 portrait), and the
chart windows. No matplotlib here: handlers read these without loading it.

Long and short sides are blue and orange in both themes (Okabe-Ito): red against green or teal
is unreadable under deuteranopia, the commonest colour blindness. Blue means price pushed up
(shorts hurt), orange price pushed down (longs hurt), in every panel and in the key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.signals.series import BAR

WIDTH_PX, HEIGHT_PX, DPI = 1080, 1350, 150
# 12 pt at 150 dpi is 25 px of the 1080: about 9 pt on a 390 pt wide phone, the smallest
# text still read without zooming.
TEXT_PT, TITLE_PT = 12, 16


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    panel: str
    text: str
    grid: str
    price: str  # the last-price line and label
    oi: str
    up: str  # price up, shorts liquidated, short squeeze
    down: str  # price down, longs liquidated, long squeeze
    heat: str  # overheating shading
    funding: str


DARK = Theme(
    "dark", "#12161c", "#181d24", "#e6e9ee", "#2a313b", "#e6e9ee", "#009e73",
    "#56b4e9", "#e69f00", "#cc79a7", "#b8bec8",
)  # fmt: skip
LIGHT = Theme(
    "light", "#ffffff", "#f7f8fa", "#1b1f24", "#dde1e6", "#1b1f24", "#007a5a",
    "#0072b2", "#d55e00", "#a4487f", "#5b6470",
)  # fmt: skip
THEMES = {t.name: t for t in (DARK, LIGHT)}

# Chart windows and the candle each is drawn with: a week of 5-minute candles is mush on a
# phone. Every candle keeps the high and low of its bars, so no move disappears in the merge.
CHART_WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    "4h": (timedelta(hours=4), BAR),
    "24h": (timedelta(hours=24), timedelta(minutes=15)),
    "7d": (timedelta(days=7), timedelta(hours=1)),
}
