"""Charts render from real series: PNG of the phone size, themes apply, bars resample right."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.charts.levels_chart import render_levels
from bot.charts.market_chart import ChartInput, render_market_chart, resample
from bot.charts.theme import DARK, LIGHT
from bot.risk.clusters import Bar, liquidation_clusters
from bot.signals.replay import load_binance_metrics, replay
from bot.signals.series import BAR, Point
from tests.unit.test_replay_real import window

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _open(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.fixture(scope="module")
def cascade() -> list[Point]:
    return load_binance_metrics(window("2025-10-10_cascade"))


@pytest.mark.parametrize(("theme", "corner"), [(DARK, (0x12, 0x16, 0x1C)), (LIGHT, (255,) * 3)])
def test_market_chart_of_the_real_cascade(cascade: list[Point], theme, corner) -> None:
    warnings = replay(cascade, lookback=289)
    assert {w.kind for w in warnings} >= {"long_squeeze"}  # something to shade
    image = _open(render_market_chart(ChartInput("BTC", "24h", cascade, warnings), theme))
    assert image.format == "PNG" and image.size == (1080, 1350)
    assert image.getpixel((3, 3))[:3] == corner


def test_levels_strip_renders(cascade: list[Point]) -> None:
    model = liquidation_clusters([Bar(p.close, p.oi or 0.0) for p in cascade])
    assert model.clusters
    assert _open(render_levels("BTC", model, DARK)).size == (1080, 1350)


def test_a_chart_needs_two_points() -> None:
    with pytest.raises(ValueError):
        render_market_chart(ChartInput("BTC", "4h", [Point(ts=T0, close=1.0)], []), DARK)


def test_resample_keeps_the_last_state_and_sums_liquidations() -> None:
    points = [
        Point(ts=T0 + BAR * (i + 1), close=100 + i, oi=10 + i, liq_long_usd=1.0, liq_short_usd=2.0)
        for i in range(6)
    ]
    quarters = resample(points, timedelta(minutes=15))
    # Bars end 00:05 .. 00:30: buckets [00:00, 00:15) holds 00:05 and 00:10, then 3, then 1.
    assert [(p.ts.minute, p.close, p.oi, p.liq_long_usd) for p in quarters] == [
        (10, 101, 11, 2.0),
        (25, 104, 14, 3.0),
        (30, 105, 15, 1.0),
    ]
    assert resample(points, BAR) == points
