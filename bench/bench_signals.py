"""Readings for 500 assets x 5 windows in one tick, on one core.

Run: .venv/bin/python bench/bench_signals.py [--assets 500]
Each asset has 24 h + 1 bar of 5-minute history (what the 24h window needs). Baselines (the
assets' own normal) are recomputed hourly by the bot, so the tick figure uses cached ones; the
baseline refresh is timed separately. Goal: tick under 100 ms. The CPU time of the tick is
printed beside the wall time: on a shared machine the wall time also counts waiting for a core.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.signals.engine import baselines, evaluate
from bot.signals.series import BAR, WINDOW_BARS, Point

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_asset(rng: random.Random, bars: int) -> list[Point]:
    price, oi = rng.uniform(1, 1000), rng.uniform(1e4, 1e6)
    points = []
    for i in range(bars):
        price *= 1 + rng.gauss(0, 0.002)
        oi *= 1 + rng.gauss(0, 0.001)
        points.append(
            Point(
                T0 + BAR * i,
                price,
                price * 1.001,
                price * 0.999,
                rng.uniform(50, 150),
                oi,
                oi * price,
                0.0001,
            )
        )
    return points


def main(assets: int, ticks: int) -> None:
    rng = random.Random(11)
    bars = WINDOW_BARS["24h"] + 1
    universe = {f"A{i}": make_asset(rng, bars) for i in range(assets)}
    started = time.perf_counter()
    cached = {name: baselines(points) for name, points in universe.items()}
    refresh = time.perf_counter() - started
    timings, cpu, warnings = [], [], 0
    for _ in range(ticks):
        started, started_cpu = time.perf_counter(), time.process_time()
        for name, points in universe.items():
            warnings += len(evaluate(name, points, base=cached[name]).warnings)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(f"assets={assets} windows={len(WINDOW_BARS)} bars/asset={bars}")
    print(
        f"tick (readings + warnings): median {statistics.median(timings) * 1000:.1f} ms, "
        f"max {max(timings) * 1000:.1f} ms over {ticks} ticks; "
        f"CPU median {statistics.median(cpu) * 1000:.1f} ms"
    )
    print(f"baseline refresh (hourly): {refresh * 1000:.0f} ms")
    print(f"warnings on random walks: {warnings}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=5)
    args = parser.parse_args()
    main(args.assets, args.ticks)
