"""/chart: price candles, OI in coin, funding and liquidations for one asset, with the
engine's squeeze and overheating episodes shaded when they fired. Pure: points in, PNG out.

Built on matplotlib's object API (Figure + Agg canvas, never pyplot), so renders in worker
threads share no global state.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator
from numpy.typing import ArrayLike
from PIL import Image

from bot.charts.fonts import typeface
from bot.charts.theme import CHART_WINDOWS, DPI, HEIGHT_PX, TEXT_PT, TITLE_PT, WIDTH_PX, Theme
from bot.i18n import N_, _, current_language
from bot.i18n.dates import axis_time, day_time, duration
from bot.i18n.numbers import localize_digits
from bot.market.overview_text import compact
from bot.signals.episodes import Episode, episodes
from bot.signals.kinds import Stage, WarningKind
from bot.signals.series import BAR, Point, bar_high, bar_low, despiked_oi
from bot.signals.warning import SignalWarning

SHADED = (
    WarningKind.LONG_SQUEEZE,
    WarningKind.SHORT_SQUEEZE,
    WarningKind.OVERHEATING_LONG,
    WarningKind.OVERHEATING_SHORT,
)
NAN = math.nan
JOIN_KEY = N_("settled ◂ ┆ ▸ predicted")  # either side of the dashed line
# The same names /score gives the kinds.
SHADED_NAMES = {
    "long_squeeze": N_("long squeeze"),
    "short_squeeze": N_("short squeeze"),
    "overheating_long": N_("overheating long"),
    "overheating_short": N_("overheating short"),
}
# Artist ids the tests read the drawn data back from.
PRICE_RANGE, PRICE_BODY, WARNING_BAND, WARNING_MARK = "price-range", "price-body", "band", "mark"


@dataclass(frozen=True)
class ChartInput:
    asset: str
    window: str
    points: Sequence[Point]  # the engine's 5-minute bars, oldest first
    warnings: Sequence[SignalWarning]  # what the engine reported in the window
    venues: Sequence[str] = ()
    now: datetime | None = None  # when the picture is asked for (data age); else the last bar
    # Backfilled history carries the last settled funding rate, live polls the rate venues
    # predict for the running period: the first live snapshot, None if there is none.
    live_from: datetime | None = None
    zone: str = "UTC"  # the chat's time zone (IANA name), for the axis and the data time


@dataclass(frozen=True)
class Candle:
    start: datetime  # the first bar's open
    end: datetime  # the last bar's close
    open: float
    high: float
    low: float
    close: float
    oi: float | None  # despiked, as the engine reads it; last of the candle
    oi_usd: float | None
    funding: float | None
    liq_long_usd: float | None  # None: no liquidation data in any of its bars
    liq_short_usd: float | None


def _total(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def candles(points: Sequence[Point], size: timedelta) -> list[Candle]:
    """Bars merged into candles of `size` on round clock times. The high and low are the bars'
    own (their close where a venue gave none), so a wick shows every move; OI is despiked as
    the engine sees it; liquidations are summed."""
    oi = despiked_oi(list(points))
    seconds = size.total_seconds()
    groups: dict[float, list[int]] = {}
    for i, point in enumerate(points):
        groups.setdefault((point.ts - BAR).timestamp() // seconds, []).append(i)
    out = []
    for key, members in groups.items():
        bars = [points[i] for i in members]
        first, last = members[0], members[-1]
        opened = points[first - 1].close if first else bars[0].close
        highs = [bar_high(b) for b in bars]
        lows = [bar_low(b) for b in bars]
        despiked = oi[last]
        out.append(
            Candle(
                start=datetime.fromtimestamp(key * seconds, UTC),
                end=bars[-1].ts,
                open=opened,
                high=max(opened, *highs),
                low=min(opened, *lows),
                close=bars[-1].close,
                oi=despiked,
                oi_usd=(
                    despiked * bars[-1].oi_usd / bars[-1].oi
                    if despiked is not None and bars[-1].oi and bars[-1].oi_usd is not None
                    else None
                ),
                funding=bars[-1].funding,
                liq_long_usd=_total([b.liq_long_usd for b in bars]),
                liq_short_usd=_total([b.liq_short_usd for b in bars]),
            )
        )
    return out


def title(chart: ChartInput) -> str:
    window = CHART_WINDOWS[chart.window][0]
    covered = chart.points[-1].ts - chart.points[0].ts + BAR
    if covered < window - CHART_WINDOWS[chart.window][1]:
        return _(
            "{asset} · last {span} of {window}",
            asset=chart.asset,
            span=duration(covered),
            window=chart.window,
        )
    return f"{chart.asset} · {chart.window}"


def _style(ax: Axes, theme: Theme, label: str) -> None:
    ax.set_facecolor(theme.panel)
    ax.grid(True, color=theme.grid, linewidth=0.6)
    ax.tick_params(colors=theme.text, labelsize=TEXT_PT)
    for spine in ax.spines.values():
        spine.set_color(theme.grid)
    ax.set_ylabel(label, color=theme.text, fontsize=TEXT_PT)
    # Fixed label places: left to matplotlib, every draw measures the tick labels of all four
    # panels to align them (a fifth of the render).
    ax.yaxis.set_label_coords(-0.15, 0.5)
    ax.xaxis.set_label_coords(0.5, -0.2)
    ax.yaxis.set_major_locator(MaxNLocator(4))


def _label(ax: Axes, x: float, y: float, text: str, color: str, theme: Theme, **kw: Any) -> None:
    """A note inside a panel, on a patch of panel colour so the data under it cannot blur it."""
    box = {"facecolor": theme.panel, "edgecolor": "none", "alpha": 0.85, "pad": 1.5}
    ax.text(x, y, text, color=color, fontsize=TEXT_PT, bbox=box, **kw)


def _no_data(ax: Axes, theme: Theme, text: str) -> None:
    ax.set_yticks([])
    ax.text(0.5, 0.5, text, transform=ax.transAxes, color=theme.text,
            ha="center", va="center", fontsize=TEXT_PT)  # fmt: skip


def price_label(value: float, _pos: object = None) -> str:
    """Four significant digits in plain decimals: 0.00001020, not 1.02e-05."""
    if abs(value) >= 1000 or value == 0:
        return localize_digits(f"{value:,.0f}")
    return localize_digits(f"{value:.{max(0, 3 - math.floor(math.log10(abs(value))))}f}")


def _money(value: float, _pos: object = None) -> str:
    return f"${localize_digits(compact(value))}"


def _colors(theme: Theme) -> dict[WarningKind, str]:
    return {
        WarningKind.LONG_SQUEEZE: theme.down,
        WarningKind.SHORT_SQUEEZE: theme.up,
        WarningKind.OVERHEATING_LONG: theme.heat,
        WarningKind.OVERHEATING_SHORT: theme.heat,
    }


def shaded_episodes(chart: ChartInput) -> list[Episode]:
    return [e for e in episodes(chart.warnings) if e.kind in SHADED]


def _times(stamps: Sequence[datetime]) -> ArrayLike:
    """Datetimes as matplotlib takes them: its unit converters plot them, its type stubs
    know only numbers."""
    return cast(ArrayLike, stamps)


def _time(stamp: datetime) -> float:
    """One datetime as an axis position (see `_times`)."""
    return cast(float, stamp)


def band(episode: Episode, candle: timedelta) -> tuple[datetime, datetime]:
    """From the first message of the episode to its last (a cascade's "over"), at least one
    candle wide."""
    return episode.start, max(episode.end, episode.start + candle)


def _shade(ax: Axes, chart: ChartInput, candle: timedelta, theme: Theme) -> list[Patch]:
    colors = _colors(theme)
    keys: dict[str, Patch] = {}
    for episode in shaded_episodes(chart):
        color = colors[episode.kind]
        start, end = band(episode, candle)
        ax.axvspan(_time(start), _time(end), color=color, alpha=0.2, lw=0, gid=WARNING_BAND)
        # A mark where each warning fired; the event's over message only ends the band.
        fired = [w.ts for w in episode.messages if w.stage is not Stage.OVER]
        ax.plot(_times(fired), [0.97] * len(fired), ls="", marker="v", ms=9, color=color,
                transform=ax.get_xaxis_transform(), gid=WARNING_MARK)  # fmt: skip
        name = _(SHADED_NAMES[episode.kind])
        keys.setdefault(name, Patch(color=color, alpha=0.6, label=name))
    return list(keys.values())


def _candles(ax: Axes, bars: list[Candle], size: timedelta, theme: Theme) -> None:
    mids = [c.start + size / 2 for c in bars]
    colors = [theme.up if c.close >= c.open else theme.down for c in bars]
    low, high = min(c.low for c in bars), max(c.high for c in bars)
    pad = (high - low) * 0.06 or high * 0.002
    ax.set_ylim(low - pad, high + pad)
    # A candle that did not move still shows: its body is at least 3 px tall.
    axis_px = ax.get_position().height * HEIGHT_PX
    least = (high - low + 2 * pad) * 3 / axis_px
    ax.vlines(_times(mids), [c.low for c in bars], [c.high for c in bars], colors=colors,
              linewidth=1.2, gid=PRICE_RANGE)  # fmt: skip
    # Bodies as thick lines, not bar() patches: one collection however many candles.
    width_px = 0.72 * WIDTH_PX / max(len(bars), 12) * 0.7
    bottoms = [min(c.open, c.close) for c in bars]
    tops = [max(c.open, c.close, bottom + least) for c, bottom in zip(bars, bottoms, strict=True)]
    ax.vlines(
        _times(mids), bottoms, tops, colors=colors, linewidth=width_px * 72 / DPI, gid=PRICE_BODY
    )
    ax.axhline(bars[-1].close, color=theme.price, linewidth=0.8, ls=":")
    ax.yaxis.set_major_formatter(FuncFormatter(price_label))


def _funding(ax: Axes, chart: ChartInput, bars: list[Candle], theme: Theme) -> None:
    rates = [c.funding * 100 if c.funding is not None else NAN for c in bars]
    if all(math.isnan(r) for r in rates):
        _no_data(ax, theme, _("No funding data"))
        return
    ends = [c.end for c in bars]
    ax.step(_times(ends), rates, where="pre", color=theme.funding, linewidth=1.6)
    ax.axhline(0, color=theme.grid, linewidth=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: localize_digits(f"{v:.3f}")))
    known = [r for r in rates if not math.isnan(r)]
    low, high = min(*known, 0.0), max(*known, 0.0)
    span = high - low or 0.01
    # Headroom above the steps for the key, so it never covers a rate.
    ax.set_ylim(low - 0.1 * span, high + 0.6 * span)
    joined = chart.live_from
    if joined is not None and ends[0] < joined < ends[-1]:
        ax.axvline(_time(joined), color=theme.text, linewidth=1.0, ls="--")
        # The key goes on the wider side of the join, where it covers no step.
        left = (joined - ends[0]) < (ends[-1] - joined)
        x, ha = (0.99, "right") if left else (0.01, "left")
        _label(ax, x, 0.95, _(JOIN_KEY), theme.text, theme, ha=ha, va="top", transform=ax.transAxes)
    else:
        live = joined is not None and joined <= ends[0]
        kind = _("predicted rate (live)") if live else _("last settled rate")
        _label(ax, 0.01, 0.95, kind, theme.text, theme, transform=ax.transAxes, va="top")


def _has_liquidations(bars: list[Candle]) -> bool:
    return any(c.liq_long_usd is not None or c.liq_short_usd is not None for c in bars)


def _liquidations(ax: Axes, bars: list[Candle], theme: Theme) -> None:
    if not _has_liquidations(bars):
        _no_data(ax, theme, _("No liquidation data"))
        return
    mids = [c.end for c in bars]
    shorts = [c.liq_short_usd if c.liq_short_usd is not None else NAN for c in bars]
    longs = [-c.liq_long_usd if c.liq_long_usd is not None else NAN for c in bars]
    # Stepped areas, not bar(): one polygon instead of hundreds of patches (4x faster).
    ax.fill_between(_times(mids), 0, shorts, step="pre", color=theme.up, lw=0)
    ax.fill_between(_times(mids), 0, longs, step="pre", color=theme.down, lw=0)
    ax.axhline(0, color=theme.grid, linewidth=0.8)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _money(abs(v))))
    _label(ax, 0.01, 0.95, _("shorts ▲"), theme.up, theme, transform=ax.transAxes, va="top")
    _label(ax, 0.01, 0.05, _("longs ▼"), theme.down, theme, transform=ax.transAxes, va="bottom")


def _time_axis(axes: Sequence[Axes], zone: ZoneInfo, theme: Theme) -> None:
    """Ticks on the bottom panel only; the panels above get its grid lines as one collection.
    Shared axes would build and lay out a full set of (hidden) ticks per panel: a third of
    the render."""
    *upper, ax = axes
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8, tz=zone)
    ax.xaxis.set_major_locator(locator)

    def label(value: float, _pos: object) -> str:
        return axis_time(mdates.num2date(value), zone)

    ax.xaxis.set_major_formatter(FuncFormatter(label))
    ticks = [t for t in locator() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    for panel in upper:
        panel.xaxis.set_major_locator(NullLocator())
        lines = [[(t, 0.0), (t, 1.0)] for t in ticks]
        grid = LineCollection(lines, colors=theme.grid, linewidths=0.6, zorder=0.5)
        grid.set_transform(panel.get_xaxis_transform())
        panel.add_collection(grid, autolim=False)


def _age(chart: ChartInput) -> str:
    last = chart.points[-1].ts
    age = duration(max((chart.now or last) - last, timedelta(0)))
    stamp = day_time(last, ZoneInfo(chart.zone))
    return _("data to {time} {zone} ({age} old)", time=stamp, zone=chart.zone, age=age)


def render_market_chart(chart: ChartInput, theme: Theme) -> bytes:
    """In the current language, with the glyphs it needs."""
    with typeface(current_language()):
        return png(draw_market_chart(chart, theme))


def draw_market_chart(chart: ChartInput, theme: Theme) -> Figure:
    if len(chart.points) < 2:
        raise ValueError("need at least two points to draw")
    size = CHART_WINDOWS[chart.window][1]
    bars = candles(chart.points, size)
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=theme.background)
    FigureCanvasAgg(fig)
    # An empty liquidation panel only needs room to say so; price gets the rest.
    ratios = [3.2, 1.6, 1.2, 1.4 if _has_liquidations(bars) else 0.6]
    panels = fig.subplots(4, 1, gridspec_kw={"height_ratios": ratios, "hspace": 0.1})
    price_ax, oi_ax, funding_ax, liq_ax = panels
    fig.subplots_adjust(left=0.17, right=0.94, top=0.855, bottom=0.055)

    _style(price_ax, theme, _("price, USD"))
    _candles(price_ax, bars, size, theme)
    keys = _shade(price_ax, chart, size, theme)

    _style(oi_ax, theme, _("OI, {asset}", asset=chart.asset))
    ois = [c.oi if c.oi is not None else NAN for c in bars]
    if all(math.isnan(v) for v in ois):
        _no_data(oi_ax, theme, _("No open interest data"))
    else:
        oi_ax.plot([c.end for c in bars], ois, color=theme.oi, linewidth=1.8)
        oi_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: localize_digits(compact(v))))

    _style(funding_ax, theme, _("funding %/8h"))
    _funding(funding_ax, chart, bars, theme)
    _style(liq_ax, theme, _("liq., USD"))
    _liquidations(liq_ax, bars, theme)
    for panel in panels:
        panel.set_xlim(bars[0].start, bars[-1].start + size)
    _time_axis(panels, ZoneInfo(chart.zone), theme)

    last = bars[-1]
    fig.text(0.03, 0.972, title(chart), color=theme.text, fontsize=TITLE_PT, weight="bold",
             va="center", parse_math=False)  # fmt: skip
    fig.text(0.97, 0.972, f"${price_label(last.close)}", color=theme.text, fontsize=TITLE_PT,
             weight="bold", ha="right", va="center")  # fmt: skip
    oi_text = (
        _(
            "OI {oi} {asset} ({usd})",
            oi=localize_digits(compact(last.oi)),
            asset=chart.asset,
            usd=_money(last.oi_usd),
        )
        if last.oi is not None and last.oi_usd is not None
        else _("OI unknown")
    )
    venues = ", ".join(chart.venues) if chart.venues else _("venue unknown")
    fig.text(0.03, 0.94, f"{oi_text} · {venues}", color=theme.text, fontsize=TEXT_PT,
             va="center", parse_math=False)  # fmt: skip
    candle_line = _("{size} candles · {age}", size=duration(size), age=_age(chart))
    fig.text(0.03, 0.912, candle_line, color=theme.text,
             fontsize=TEXT_PT, va="center", parse_math=False)  # fmt: skip
    if keys:
        legend = fig.legend(handles=keys, loc="center left", bbox_to_anchor=(0.02, 0.878),
                            ncol=min(3, len(keys)), fontsize=TEXT_PT, frameon=False,
                            handlelength=1.2, columnspacing=1.0)  # fmt: skip
        for text in legend.get_texts():
            text.set_color(theme.text)
    else:
        fig.text(0.03, 0.878, _("no squeeze or overheating warning in this span"),
                 color=theme.text, fontsize=TEXT_PT, va="center")  # fmt: skip
    return fig


def png(fig: Figure) -> bytes:
    """The drawn canvas as an opaque PNG: no alpha channel and zlib level 3 halve the encode
    (the largest single cost of a render) for a file 10 % larger."""
    canvas = fig.canvas
    canvas.draw()
    width, height = canvas.get_width_height()
    rgba = canvas.buffer_rgba()  # type: ignore[attr-defined]
    image = Image.frombuffer("RGBA", (width, height), rgba).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=3)
    return buffer.getvalue()
