"""Chart render time: /chart for each window and theme, the /levels strip, and the work behind
them (engine replay for the shading, cluster model), one core.

Run: .venv/bin/python bench/bench_charts.py [--repeat 10] [--lang zh]
Series: 7 days + 1 of synthetic 5-minute bars (random walk with liquidation bursts), the most
a chart reads, drawn with every label (venues, age, the funding join). Goal: under 300 ms per
chart (render). Prints median and worst wall time and the median CPU time per case: on a
machine shared with other work the CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.charts.levels_chart import LevelsInput, render_levels
from bot.charts.market_chart import ChartInput, render_market_chart
from bot.charts.service import engine_warnings
from bot.charts.theme import CHART_WINDOWS, THEMES
from bot.i18n import use_language
from bot.i18n.languages import BY_CODE
from bot.risk.clusters import Bar, liquidation_clusters
from bot.signals.series import BAR, Point

T0 = datetime(2026, 1, 1, tzinfo=UTC)
VENUES = ("binance", "bybit", "hyperliquid", "okx")


def series(bars: int, seed: int = 7) -> list[Point]:
    rng = random.Random(seed)
    price, oi = 90000.0, 80000.0
    points = []
    for i in range(bars):
        price *= 1 + rng.gauss(0, 0.002)
        oi *= 1 + rng.gauss(0, 0.001)
        burst = rng.random() < 0.02
        points.append(
            Point(
                T0 + BAR * i,
                price,
                oi=oi,
                oi_usd=oi * price,
                funding=0.0001 + rng.gauss(0, 0.00005),
                liq_long_usd=rng.uniform(1e6, 3e7) if burst else rng.uniform(0, 2e5),
                liq_short_usd=rng.uniform(0, 2e5),
            )
        )
    return points


def timed(repeat: int, work: Callable[[], object]) -> tuple[float, float, float]:
    """(median, worst) wall ms and median CPU ms."""
    work()  # fonts and caches warm, as in a running bot
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), max(times), statistics.median(cpu)


def row(case: str, figures: tuple[float, float, float]) -> None:
    print(f"{case:<28}{figures[0]:>10.0f}{figures[1]:>10.0f}{figures[2]:>10.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--lang", choices=sorted(BY_CODE), default="en", help="the labels' language"
    )
    args = parser.parse_args()
    with use_language(BY_CODE[args.lang]):
        return measure(args.repeat)


def measure(repeat: int) -> int:
    points = series(int(timedelta(days=8) / BAR))
    worst_render = 0.0
    print(f"{'case':<28}{'median ms':>10}{'worst ms':>10}{'CPU ms':>10}")
    for window, (span, _bar) in CHART_WINDOWS.items():
        bars = int(span / BAR)
        shown = points[-bars:]
        start = len(points) - bars
        t_replay = timed(
            max(1, repeat // 5),
            lambda s=start: engine_warnings(points, "BTC", s),
        )
        row(f"replay for {window}", t_replay)
        warnings = engine_warnings(points, "BTC", start)
        for theme in THEMES.values():
            chart = ChartInput(
                "BTC",
                window,
                shown,
                warnings,
                VENUES,
                now=shown[-1].ts,
                live_from=shown[len(shown) // 2].ts,
            )
            figures = timed(repeat, lambda c=chart, t=theme: render_market_chart(c, t))
            worst_render = max(worst_render, figures[0])
            row(f"chart {window} {theme.name}", figures)
    bars = [Bar(p.close, p.oi or 0.0) for p in points[-int(timedelta(days=7) / BAR) :]]
    row("cluster model 7d", timed(repeat, lambda: liquidation_clusters(bars)))
    model = liquidation_clusters(bars)
    source = LevelsInput("BTC", model, points[0].ts, points[-1].ts, points[-1].ts, VENUES)
    levels_ms = timed(repeat, lambda: render_levels(source, THEMES["dark"]))
    worst_render = max(worst_render, levels_ms[0])
    row("levels strip", levels_ms)
    print(f"slowest render (median): {worst_render:.0f} ms (goal 300)")
    return 0 if worst_render < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
