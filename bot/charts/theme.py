"""Dark and light palettes, sized for a phone screen (1080 x 1350 px, 4:5 portrait), and the
chart windows. No matplotlib here: handlers read these without loading it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.signals.series import BAR

WIDTH_PX, HEIGHT_PX, DPI = 1080, 1350, 150


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    panel: str
    text: str
    grid: str
    price: str
    oi: str
    oi_usd: str
    up: str  # shorts liquidated, positive funding
    down: str  # longs liquidated, negative funding
    heat: str  # overheating shading


DARK = Theme(
    "dark", "#12161c", "#181d24", "#e6e9ee", "#2a313b", "#f0b90b", "#4aa3ff", "#b28cff",
    "#26a69a", "#ef5350", "#ff9800",
)  # fmt: skip
LIGHT = Theme(
    "light", "#ffffff", "#f7f8fa", "#1b1f24", "#dde1e6", "#c98a00", "#1565c0", "#6a3fc1",
    "#00897b", "#d32f2f", "#ef6c00",
)  # fmt: skip
THEMES = {t.name: t for t in (DARK, LIGHT)}

# Chart windows and the bar each is drawn with: a week of 5-minute bars is mush on a phone.
CHART_WINDOWS: dict[str, tuple[timedelta, timedelta]] = {
    "4h": (timedelta(hours=4), BAR),
    "24h": (timedelta(hours=24), timedelta(minutes=15)),
    "7d": (timedelta(days=7), timedelta(hours=1)),
}
