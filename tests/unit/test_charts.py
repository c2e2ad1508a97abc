"""Charts of the real 2025-10-10 cascade, read back from what matplotlib drew (not pixels):
candles reach the real low at every window, shading sits where the engine's warnings fired,
OI is drawn despiked, missing data says so, and every text is legible on a phone."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import matplotlib.dates as mdates
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from bot.charts.levels_chart import BANDS, LevelsInput, draw_levels, render_levels
from bot.charts.market_chart import (
    PRICE_RANGE,
    SHADED,
    WARNING_BAND,
    WARNING_MARK,
    ChartInput,
    candles,
    draw_market_chart,
    price_label,
    render_market_chart,
)
from bot.charts.service import engine_warnings
from bot.charts.theme import CHART_WINDOWS, DARK, LIGHT
from bot.risk.clusters import Bar, liquidation_clusters
from bot.signals.kinds import Stage, WarningKind
from bot.signals.replay import load_binance_metrics
from bot.signals.series import BAR, Point
from tests.unit.test_replay_real import at, window

T0 = datetime(2026, 11, 1, tzinfo=UTC)
REAL_LOW = 101_516.5  # the 21:20 bar's low (tests/data/real/README-analysis.md)
# The 4h chart is asked for at midnight, 2 h 35 min after the crash; 24h and 7d at the end of
# the stored window (10-11 15:35), when the crash is 18 h old.
ASKED = {"4h": at("2025-10-11 00:00"), "24h": None, "7d": None}


@pytest.fixture(scope="module")
def cascade() -> list[Point]:
    return load_binance_metrics(window("2025-10-10_cascade"))


def chart_of(cascade: list[Point], name: str, **extra: object) -> ChartInput:
    until = ASKED[name]
    points = [p for p in cascade if until is None or p.ts <= until]
    start = next(i for i, p in enumerate(points) if p.ts > points[-1].ts - CHART_WINDOWS[name][0])
    found = engine_warnings(points, "BTC", start)
    return ChartInput("BTC", name, points[start:], found, venues=("binance",), **extra)


def _gid(fig: Figure, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


def _texts(fig: Figure) -> list[Text]:
    fig.canvas.draw()  # tick labels exist only once drawn
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("name", ["4h", "24h", "7d"])
def test_every_window_draws_the_crash_down_to_the_real_low(cascade, name) -> None:
    fig = draw_market_chart(chart_of(cascade, name), DARK)
    [wicks] = _gid(fig, PRICE_RANGE)
    assert isinstance(wicks, LineCollection)
    lows = [min(y for _x, y in segment) for segment in wicks.get_segments()]
    assert min(lows) == REAL_LOW  # within 0.5 % asked; candles keep the bar's own low exactly
    assert abs(min(lows) / REAL_LOW - 1) < 0.005


EXPECTED_BANDS = {
    # One long-squeeze event (onset 20:50): early 21:05, confirmed 21:10, escalated 21:15 and
    # 21:35, over 22:45, shaded from its first message to its end. The two overheating
    # messages of 07:20 and 07:25 are one episode, at least one candle wide.
    "4h": [("long_squeeze", "21:05", "22:45")],
    "24h": [("long_squeeze", "21:05", "22:45"), ("overheating_short", "07:20", "07:35")],
    "7d": [("long_squeeze", "21:05", "22:45"), ("overheating_short", "07:20", "08:20")],
}


@pytest.mark.parametrize("name", ["4h", "24h", "7d"])
def test_shading_sits_on_each_episode_from_its_first_message(cascade, name) -> None:
    chart = chart_of(cascade, name)
    fig = draw_market_chart(chart, LIGHT)
    bands = _gid(fig, WARNING_BAND)
    assert all(isinstance(b, Rectangle) for b in bands)
    drawn = [
        (mdates.num2date(b.get_x()), mdates.num2date(b.get_x() + b.get_width())) for b in bands
    ]
    assert [(f"{a:%H:%M}", f"{b:%H:%M}") for a, b in drawn] == [
        (start, end) for _kind, start, end in EXPECTED_BANDS[name]
    ]
    colors = {"long_squeeze": LIGHT.down, "short_squeeze": LIGHT.up}
    for band, (kind, _s, _e) in zip(bands, EXPECTED_BANDS[name], strict=True):
        assert to_hex(band.get_facecolor()) == colors.get(kind, LIGHT.heat)
    # Each band sits inside its event: it starts at the first message and ends no later than
    # one candle after the last.
    candle = CHART_WINDOWS[name][1]
    sent = sorted(w.ts for w in chart.warnings if w.kind in SHADED)
    for start, end in drawn:
        event = [t for t in sent if start <= t <= end]
        assert event and start == event[0] and end <= max(event[-1], start + candle)
    # The cascade's band starts 15 min after its onset (20:50), on the crash's first leg, and
    # covers the low (the 21:20 bar) and the OI flush (to 22:00).
    assert drawn[0] == (at("2025-10-10 21:05"), at("2025-10-10 22:45"))
    # A mark where each warning fired; the event's end is no warning.
    fired = sorted(w.ts for w in chart.warnings if w.kind in SHADED and w.stage is not Stage.OVER)
    marks = [t for line in _gid(fig, WARNING_MARK) for t in line.get_xdata()]
    assert sorted(marks) == fired and at("2025-10-10 22:45") not in marks


def test_the_key_shows_each_shading_colour(cascade) -> None:
    chart = chart_of(cascade, "24h")
    short = replace(chart.warnings[0], kind=WarningKind.SHORT_SQUEEZE, ts=at("2025-10-11 03:00"))
    fig = draw_market_chart(replace(chart, warnings=[*chart.warnings, short]), DARK)
    [legend] = fig.legends
    swatches = {
        t.get_text(): to_hex(h.get_facecolor())
        for t, h in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }
    assert swatches == {
        "long squeeze": DARK.down,
        "short squeeze": DARK.up,
        "overheating short": DARK.heat,
    }
    assert (DARK.up, DARK.down, LIGHT.up, LIGHT.down) == (
        "#56b4e9",
        "#e69f00",
        "#0072b2",
        "#d55e00",
    )


def test_the_picture_says_span_venues_units_zone_and_age(cascade) -> None:
    chart = chart_of(cascade, "7d", now=at("2025-10-11 15:42"))
    texts = {t.get_text() for t in _texts(draw_market_chart(chart, DARK))}
    # 259 bars from 18:05 to 15:35: 21 h 35 min of a 7-day window.
    assert "BTC · last 21h of 7d" in texts
    assert "OI 74.7k BTC ($8.38B) · binance" in texts
    assert "1h candles · data to 11 Oct 15:35 UTC (7m old)" in texts
    assert {"price, USD", "OI, BTC", "liq., USD"} <= texts
    # Hours on the ticks, and the day where a new one starts.
    assert {"20:00", "11 Oct", "04:00", "12:00"} <= texts


def test_a_full_window_is_titled_by_its_length() -> None:
    points = [Point(ts=T0 + BAR * i, close=100.0 + i % 3) for i in range(48)]
    texts = {
        t.get_text() for t in _texts(draw_market_chart(ChartInput("ETH", "4h", points, []), DARK))
    }
    assert "ETH · 4h" in texts


def test_every_text_is_at_least_12_pt_at_1080_px(cascade) -> None:
    chart = chart_of(cascade, "24h", live_from=at("2025-10-10 23:00"))
    for fig in (draw_market_chart(chart, DARK), draw_levels(_levels(cascade), LIGHT)):
        assert fig.get_size_inches()[0] * fig.dpi == 1080
        sizes = {t.get_text(): t.get_fontsize() for t in _texts(fig)}
        assert len(sizes) > 20
        assert min(sizes.values()) >= 12, {k: v for k, v in sizes.items() if v < 12}


def test_oi_is_drawn_despiked_as_the_engine_reads_it(cascade) -> None:
    # The metrics row of 21:45 (stamped 21:50) reads 83,166 BTC between 76,547 and 76,818.
    glitch = next(p for p in cascade if p.ts == at("2025-10-10 21:50"))
    assert round(glitch.oi) == 83_166
    fig = draw_market_chart(chart_of(cascade, "4h"), DARK)
    oi_ax = fig.axes[1]
    [line] = oi_ax.get_lines()
    drawn = dict(zip(line.get_xdata(), line.get_ydata(), strict=True))
    # Median of the last three samples: (80,718, 76,547, 83,166), then (76,547, 83,166, 76,818).
    assert round(drawn[at("2025-10-10 21:50")]) == 80_718
    assert round(drawn[at("2025-10-10 21:55")]) == 76_818
    assert max(v for t, v in drawn.items() if t >= at("2025-10-10 21:50")) < 81_000


def test_missing_data_says_no_data_and_is_never_drawn_as_zero() -> None:
    points = [Point(ts=T0 + BAR * i, close=100.0 + i, oi=None) for i in range(24)]
    fig = draw_market_chart(ChartInput("BTC", "4h", points, []), DARK)
    texts = {t.get_text() for t in _texts(fig)}
    assert {"No open interest data", "No funding data", "No liquidation data"} <= texts
    assert "OI unknown · venue unknown" in texts
    oi_ax, funding_ax, liq_ax = fig.axes[1:]
    assert not oi_ax.get_lines() and not funding_ax.get_lines() and not liq_ax.collections
    assert not any(t.startswith("$0") for t in texts)


def test_liquidations_missing_in_some_candles_leave_a_gap_not_a_zero() -> None:
    points = [
        Point(ts=T0 + BAR * (i + 1), close=100.0, liq_long_usd=None if i < 3 else 5.0)
        for i in range(6)
    ]
    [first, second] = candles(points, timedelta(minutes=15))
    assert first.liq_long_usd is None and first.liq_short_usd is None
    assert second.liq_long_usd == 15.0


def test_the_funding_join_of_settled_and_predicted_rates_is_labelled(cascade) -> None:
    joined = {t.get_text() for t in _texts(draw_market_chart(
        chart_of(cascade, "24h", live_from=at("2025-10-10 23:00")), DARK))}  # fmt: skip
    assert "settled ◂ ┆ ▸ predicted" in joined
    backfill_only = {
        t.get_text() for t in _texts(draw_market_chart(chart_of(cascade, "24h"), DARK))
    }
    assert "last settled rate" in backfill_only
    live_only = {t.get_text() for t in _texts(draw_market_chart(
        chart_of(cascade, "24h", live_from=at("2025-10-10 00:00")), DARK))}  # fmt: skip
    assert "predicted rate (live)" in live_only


def test_candles_keep_each_bucket_high_low_and_close() -> None:
    points = [
        Point(ts=T0 + BAR * (i + 1), close=100 + i, high=110 + i, low=90 + i, oi=10 + i)
        for i in range(6)
    ]
    quarters = candles(points, timedelta(minutes=15))
    # Bars open 00:00 .. 00:25: [00:00, 00:15) holds three, [00:15, 00:30) the other three.
    assert [(c.start.minute, c.open, c.high, c.low, c.close, c.oi) for c in quarters] == [
        (0, 100, 112, 90, 102, 11),  # OI: median of the last three samples, 10, 11, 12
        (15, 102, 115, 93, 105, 14),
    ]


@pytest.mark.parametrize(("theme", "corner"), [(DARK, (0x12, 0x16, 0x1C)), (LIGHT, (255,) * 3)])
def test_the_png_is_phone_sized_in_either_theme(cascade, theme, corner) -> None:
    image = Image.open(io.BytesIO(render_market_chart(chart_of(cascade, "4h"), theme)))
    assert image.format == "PNG" and image.size == (1080, 1350)
    assert image.getpixel((3, 3))[:3] == corner


def test_a_chart_needs_two_points() -> None:
    with pytest.raises(ValueError):
        render_market_chart(ChartInput("BTC", "4h", [Point(ts=T0, close=1.0)], []), DARK)


def _levels(cascade: list[Point]) -> LevelsInput:
    with_oi = [p for p in cascade if p.oi is not None]  # metrics start at 20:20, klines 18:00
    model = liquidation_clusters([Bar(p.close, p.oi or 0.0) for p in with_oi])
    now = with_oi[-1].ts + timedelta(minutes=2)
    return LevelsInput("BTC", model, with_oi[0].ts, with_oi[-1].ts, now, ("binance", "okx"))


def test_levels_say_their_window_age_and_venues_and_no_band_touches_price(cascade) -> None:
    source = _levels(cascade)
    fig = draw_levels(source, DARK)
    texts = {t.get_text() for t in _texts(fig)}
    assert "OI added 10 Oct 20:25 – 11 Oct 15:35 UTC (19h)" in texts
    assert "data 2m old · binance, okx" in texts
    assert "MODEL ESTIMATE, not venue data" in texts
    price = source.model.price
    bands = _gid(fig, BANDS)
    assert len(bands) == len(source.model.clusters) > 10
    gap = min(min(abs(r.get_y() - price), abs(r.get_y() + r.get_height() - price)) for r in bands)
    assert gap == pytest.approx(price * 0.005 * 0.1)  # a tenth of a 0.5 % band, each side
    assert all(r.get_y() > price or r.get_y() + r.get_height() < price for r in bands)
    assert Image.open(io.BytesIO(render_levels(source, LIGHT))).size == (1080, 1350)


def test_the_clock_is_the_chats_time_zone(cascade) -> None:
    chart = chart_of(cascade, "24h", now=at("2025-10-11 15:42"), zone="Asia/Tokyo")
    texts = {t.get_text() for t in _texts(draw_market_chart(chart, DARK))}
    # 15:35 UTC is 00:35 the next day in Tokyo (UTC+9); the day changes at 15:00 UTC.
    assert "15m candles · data to 12 Oct 00:35 Asia/Tokyo (7m old)" in texts
    assert {"06:00", "12 Oct"} <= texts
    levels = replace(_levels(cascade), zone="Asia/Tokyo")
    texts = {t.get_text() for t in _texts(draw_levels(levels, DARK))}
    assert "OI added 11 Oct 05:25 – 12 Oct 00:35 Asia/Tokyo (19h)" in texts


@pytest.mark.parametrize(
    ("value", "text"),
    [(112_058.4, "112,058"), (3_456.7, "3,457"), (245.67, "245.7"), (1.2345, "1.234"),
     (0.0000102, "0.00001020")],
)  # fmt: skip
def test_prices_read_as_plain_decimals(value, text) -> None:
    assert price_label(value) == text


def test_pictures_end_an_event_where_the_live_quiet_setting_ends_it(cascade) -> None:
    """OIWATCH_CASCADE_QUIET_MINUTES moves the chats' summary; the shading follows it."""

    def over(quiet: timedelta) -> list[datetime]:
        found = engine_warnings(cascade, "BTC", quiet=quiet)
        return [w.ts for w in found if w.kind.endswith("squeeze") and w.stage is Stage.OVER]

    assert over(timedelta(minutes=30)) == [at("2025-10-10 22:45")]
    assert over(timedelta(minutes=60)) == [at("2025-10-10 23:15")]
