"""/levels: the modelled liquidation bands as a strip around the current price. Pure."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bot.charts.theme import DPI, HEIGHT_PX, WIDTH_PX, Theme
from bot.market.overview_text import compact
from bot.risk.clusters import ClusterMap


def render_levels(asset: str, levels: ClusterMap, theme: Theme) -> bytes:
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    fig.subplots_adjust(left=0.2, right=0.95, top=0.88, bottom=0.07)
    ax.set_facecolor(theme.panel)
    ax.grid(True, axis="x", color=theme.grid, linewidth=0.6)
    ax.tick_params(colors=theme.text, labelsize=9)
    for spine in ax.spines.values():
        spine.set_color(theme.grid)
    height = levels.price * levels.bin_pct / 100
    for side, color in (("long", theme.down), ("short", theme.up)):
        bands = [c for c in levels.clusters if c.side == side]
        ax.barh(
            [c.low + height / 2 for c in bands],
            [c.usd for c in bands],
            height=height * 0.9,
            color=color,
            label="longs liquidated below" if side == "long" else "shorts liquidated above",
        )
    ax.axhline(levels.price, color=theme.price, linewidth=1.5)
    ax.text(1.0, levels.price, f" ${levels.price:,.6g}", transform=ax.get_yaxis_transform(),
            color=theme.price, va="bottom", ha="right", fontsize=10, parse_math=False)  # fmt: skip
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"${compact(v)}"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.6g}"))
    ax.set_xlabel("position notional at entry (USD)", color=theme.text, fontsize=10)
    legend = ax.legend(loc="lower right", fontsize=9, facecolor=theme.panel, edgecolor=theme.grid)
    for text in legend.get_texts():
        text.set_color(theme.text)
    fig.text(0.04, 0.965, f"{asset} liquidation clusters", color=theme.text, fontsize=16,
             weight="bold", va="center")  # fmt: skip
    fig.text(0.04, 0.925, "MODEL ESTIMATE from OI added by price and an assumed leverage mix",
             color=theme.text, fontsize=9, va="center", alpha=0.8)  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor=theme.background)
    return buffer.getvalue()
