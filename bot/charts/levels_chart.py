"""/levels: the modelled liquidation bands as a strip around the current price. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.charts.fonts import typeface
from bot.charts.market_chart import png, price_label
from bot.charts.theme import DPI, HEIGHT_PX, TEXT_PT, TITLE_PT, WIDTH_PX, Theme
from bot.i18n import _, current_language
from bot.i18n.dates import day_time_span, duration
from bot.i18n.numbers import localize_digits
from bot.market.overview_text import compact
from bot.risk.clusters import ClusterMap
from bot.risk.side import Side

# Share of a band's height drawn: the gap keeps the nearest band off the price line, since a
# band reaching it would read as "liquidations at the current price".
BAND_FILL = 0.8
BANDS = "levels-band"  # artist id the tests read back


@dataclass(frozen=True)
class LevelsInput:
    asset: str
    model: ClusterMap
    since: datetime  # the OI history the model placed
    until: datetime
    now: datetime
    venues: Sequence[str]
    zone: str = "UTC"


def render_levels(source: LevelsInput, theme: Theme) -> bytes:
    """In the current language, with the glyphs it needs."""
    with typeface(current_language()):
        return png(draw_levels(source, theme))


def draw_levels(source: LevelsInput, theme: Theme) -> Figure:
    levels = source.model
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    fig.subplots_adjust(left=0.2, right=0.95, top=0.8, bottom=0.08)
    ax.set_facecolor(theme.panel)
    ax.grid(True, axis="x", color=theme.grid, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(colors=theme.text, labelsize=TEXT_PT)
    for spine in ax.spines.values():
        spine.set_color(theme.grid)
    height = levels.price * levels.bin_pct / 100
    for side, color in ((Side.LONG, theme.down), (Side.SHORT, theme.up)):
        bands = [c for c in levels.clusters if c.side == side]
        ax.barh(
            [c.low + height / 2 for c in bands],
            [c.usd for c in bands],
            height=height * BAND_FILL,
            color=color,
            label=_("longs liquidated below")
            if side is Side.LONG
            else _("shorts liquidated above"),
            gid=BANDS,
        )
    # A halo of panel colour under the price line keeps the nearest bands visibly off it.
    ax.axhline(levels.price, color=theme.panel, linewidth=7)
    ax.axhline(levels.price, color=theme.price, linewidth=1.5)
    now = _(" now {price}", price=f"${price_label(levels.price)}")
    ax.text(1.0, levels.price, now, color=theme.price, va="bottom",
            ha="right", fontsize=TEXT_PT, transform=ax.get_yaxis_transform())  # fmt: skip
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"${localize_digits(compact(v))}"))
    ax.yaxis.set_major_formatter(FuncFormatter(price_label))
    ax.set_xlabel(_("position size at entry, USD"), color=theme.text, fontsize=TEXT_PT)
    ax.set_ylabel(_("liquidation price, USD"), color=theme.text, fontsize=TEXT_PT)
    legend = fig.legend(loc="center left", bbox_to_anchor=(0.02, 0.835), ncol=2, frameon=False,
                        fontsize=TEXT_PT, handlelength=1.2)  # fmt: skip
    for entry in legend.get_texts():
        entry.set_color(theme.text)
    age = duration(max(source.now - source.until, timedelta(0)))
    span = day_time_span(source.since, source.until, ZoneInfo(source.zone))
    venues = ", ".join(source.venues) or _("venue unknown")
    lines = (
        (_("{asset} liquidation levels", asset=source.asset), TITLE_PT, "bold"),
        (_("MODEL ESTIMATE, not venue data"), TEXT_PT, "bold"),
        (
            _(
                "OI added {span} ({covered})",
                span=span,
                covered=duration(source.until - source.since),
            ),
            TEXT_PT,
            "normal",
        ),
        (_("data {age} old · {venues}", age=age, venues=venues), TEXT_PT, "normal"),
    )
    for row, (text, size, weight) in enumerate(lines):
        fig.text(0.03, 0.972 - row * 0.031, text, color=theme.text, fontsize=size,
                 weight=weight, va="center", parse_math=False)  # fmt: skip
    return fig
