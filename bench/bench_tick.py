"""One market tick: 300 symbols x 4 venues against the fake exchange with 50 ms latency.

Run: .venv/bin/python bench/bench_tick.py [--symbols 300] [--latency-ms 50]
Prints requests per venue, each venue's own time, the tick's wall time against the slowest
venue (goal: within 1.5x), and peak RSS (goal: under 200 MB). Binance is the slow lane by
design: its OI is one request per symbol, paced (OI_PER_SECOND) so a tick never bursts into
its weight limit.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.market.collector import Collector
from bot.market.venues.registry import DEFAULT_VENUES, make_fetchers
from tests.fakes.exchange import FakeExchange


async def main(symbols: int, latency_ms: float) -> None:
    async with FakeExchange(latency_s=latency_ms / 1000) as fx:
        assets = [f"C{i:03d}X" for i in range(symbols)]
        for i, asset in enumerate(assets):
            fx.set(asset, mark=10 + i, index=10 + i, oi_coin=1_000_000 + i)
        collector = Collector(
            make_fetchers(fx.endpoints, list(DEFAULT_VENUES)),
            assets,
            clock=lambda: datetime.now(UTC),
        )
        # Metadata (instruments, funding intervals) is the hourly slow lane: warm it first so
        # the figure is the steady per-tick cost.
        await collector.tick()
        started = time.perf_counter()
        tick = await collector.tick()
        wall = time.perf_counter() - started
        await collector.aclose()
    slowest = max(r.elapsed_s for r in tick.results.values())
    print(f"symbols={symbols} venues={len(tick.results)} latency={latency_ms:g} ms")
    for venue, result in tick.results.items():
        print(
            f"  {venue:<12} requests={result.requests:<4} time={result.elapsed_s:6.2f} s "
            f"snapshots={len(result.snapshots)} degraded={result.degraded}"
        )
    print(f"requests total: {sum(r.requests for r in tick.results.values())}")
    print(f"wall: {wall:.2f} s; slowest venue: {slowest:.2f} s; ratio {wall / slowest:.2f}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.symbols, args.latency_ms))
