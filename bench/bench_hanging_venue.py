"""One venue hangs: how old is the others' data? Real fetchers, the fake exchange, SQLite.

Run: .venv/bin/python bench/bench_hanging_venue.py [--poll 4] [--seconds 40]
Hyperliquid never answers (each request hangs past its 10 s timeout, retried until the 30 s
venue budget); the market service polls every `--poll` seconds with the bot's per-venue
deadline, and the age of the oldest number /oi would show is sampled every 0.1 s. Goal: the
others' data never older than one poll interval (plus the fetch itself).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.feed.market_feed import MarketFeed
from bot.market.collector import Collector, poll_deadline
from bot.market.venues.registry import DEFAULT_VENUES, make_fetchers
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.repositories.snapshots import SnapshotRepository
from tests.fakes.exchange import FakeExchange


async def main(poll_s: float, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await upgrade_database(engine)
        async with FakeExchange() as fx:
            fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
            fx.fail("/hyperliquid/info", "timeout", delay_s=600, times=1_000_000)
            collector = Collector(
                make_fetchers(fx.endpoints, list(DEFAULT_VENUES)),
                ["BTC"],
                deadline_s=poll_deadline(poll_s),
            )
            market = MarketFeed(
                SnapshotRepository(make_session_factory(engine)), collector, {"BTC"}
            )
            ages: list[float] = []

            async def sample() -> None:
                while True:
                    rows = (await market.current("BTC")).rows
                    if rows:
                        now = datetime.now(UTC)
                        ages.append(max((now - r.ts).total_seconds() for r in rows))
                    await asyncio.sleep(0.1)

            sampler = asyncio.create_task(sample())
            started = time.monotonic()
            polls = int(seconds / poll_s)
            for k in range(polls):
                await market.poll()
                await asyncio.sleep(max(0.0, started + (k + 1) * poll_s - time.monotonic()))
            sampler.cancel()
            left_out = (await market.usable("BTC")).left_out
            await collector.aclose()
        await engine.dispose()
    print(f"poll every {poll_s:g} s for {seconds:g} s ({polls} polls), hyperliquid hanging")
    print(f"others' data age: median {statistics.median(ages):.2f} s, worst {max(ages):.2f} s")
    print(f"left out: {left_out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--poll", type=float, default=4.0)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    asyncio.run(main(args.poll, args.seconds))
