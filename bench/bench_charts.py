"""Chart render time: /chart for each window and theme, the /levels strip, and the work behind
them (engine replay for the shading, cluster model), one core.

Run: .venv/bin/python bench/bench_charts.py [--repeat 10]
Series: 7 days + 1 of synthetic 5-minute bars (random walk with liquidation bursts), the most
a chart reads. Goal: under 300 ms per chart (render). Prints median and worst per case.
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

from bot.charts.levels_chart import render_levels
from bot.charts.market_chart import ChartInput, render_market_chart
from bot.charts.theme import CHART_WINDOWS, THEMES
from bot.risk.clusters import Bar, liquidation_clusters
from bot.signals.replay import replay
from bot.signals.series import BAR, Point

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LOOKBACK = 289


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


def timed(repeat: int, work: Callable[[], object]) -> tuple[float, float]:
    work()  # fonts and caches warm, as in a running bot
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    points = series(int(timedelta(days=8) / BAR))
    worst_render = 0.0
    print(f"{'case':<28}{'median ms':>10}{'worst ms':>10}")
    for window, (span, _bar) in CHART_WINDOWS.items():
        bars = int(span / BAR)
        shown = points[-bars:]
        start = len(points) - bars
        t_replay = timed(
            max(1, args.repeat // 5),
            lambda s=start: replay(points, lookback=LOOKBACK, start=s),
        )
        print(f"{'replay for ' + window:<28}{t_replay[0]:>10.0f}{t_replay[1]:>10.0f}")
        warnings = replay(points, lookback=LOOKBACK, start=start)
        for theme in THEMES.values():
            chart = ChartInput("BTC", window, shown, warnings)
            median, worst = timed(args.repeat, lambda c=chart, t=theme: render_market_chart(c, t))
            worst_render = max(worst_render, median)
            print(f"{f'chart {window} {theme.name}':<28}{median:>10.0f}{worst:>10.0f}")
    bars = [Bar(p.close, p.oi or 0.0) for p in points[-int(timedelta(days=7) / BAR) :]]
    model_ms = timed(args.repeat, lambda: liquidation_clusters(bars))
    print(f"{'cluster model 7d':<28}{model_ms[0]:>10.0f}{model_ms[1]:>10.0f}")
    model = liquidation_clusters(bars)
    levels_ms = timed(args.repeat, lambda: render_levels("BTC", model, THEMES["dark"]))
    worst_render = max(worst_render, levels_ms[0])
    print(f"{'levels strip':<28}{levels_ms[0]:>10.0f}{levels_ms[1]:>10.0f}")
    print(f"slowest render (median): {worst_render:.0f} ms (goal 300)")
    return 0 if worst_render < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
