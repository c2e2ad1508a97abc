"""Position guard tick: 100,000 guarded positions across 500 assets, one poll of 4 venues.

Run: .venv/bin/python bench/bench_positions.py [--positions 100000] [--assets 500] [--ticks 20]
Goal: the guard's evaluation of every position in one tick under 100 ms. Storage is stubbed (the
database costs per tick are the changed rows only); the tick is the full `after_poll` path:
this tick's marks, blind check, settlements, the numpy scan, and exact Decimal steps for the
positions whose level changed. Marks random-walk 0.1 % a tick (a busy minute; --sigma 0.003
for a crash everywhere at once). Prints median and worst.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.market.models import Snapshot, TickResult, Venue, VenueResult
from bot.positions.evaluate import distance_pct, quote
from bot.positions.guard import PositionGuard
from bot.positions.levels import crossed
from bot.positions.model import GuardedPosition, GuardState, PositionClaim
from bot.risk.side import Side
from bot.risk.tiers import load_default_tiers

T0 = datetime(2026, 12, 1, tzinfo=UTC)
VENUES = (Venue.BINANCE, Venue.BYBIT, Venue.OKX, Venue.HYPERLIQUID)


class MemoryRepository:
    """The repository's surface the guard uses, in memory: the bench times the guard."""

    def __init__(self, positions: list[GuardedPosition]) -> None:
        self.positions = positions
        self.saved = 0

    async def active(self) -> list[GuardedPosition]:
        return self.positions

    async def changed_since(self, since: datetime) -> list[tuple[int, bool, int]]:
        return []

    async def by_ids(self, ids: Iterable[int]) -> list[GuardedPosition]:
        return []

    async def save_states(self, positions: Iterable[GuardedPosition]) -> None:
        self.saved += len(list(positions))


class MemoryOutbox:
    def __init__(self) -> None:
        self.queued = 0

    async def enqueue(self, alerts: list[object], now: datetime) -> int:
        self.queued += len(alerts)
        return len(alerts)


def snapshot(venue: Venue, asset: str, mark: float, ts: datetime) -> Snapshot:
    price = Decimal(f"{mark:.6g}")
    return Snapshot(
        venue, f"{asset}USDT", asset, False, ts, price, price, None, Decimal(1000),
        Decimal(1000), Decimal(1000) * price, Decimal("0.0001"), 8, None, None, None,
    )  # fmt: skip


def tick(marks: dict[str, float], ts: datetime) -> TickResult:
    return TickResult(
        {
            v: VenueResult(
                v, tuple(snapshot(v, a, m, ts) for a, m in marks.items()), False, None, 1, 0.1, ts
            )
            for v in VENUES
        }
    )


def positions(count: int, marks: dict[str, float], rng: random.Random) -> list[GuardedPosition]:
    tiers = load_default_tiers()
    assets = list(marks)
    out = []
    for i in range(count):
        asset = rng.choice(assets)
        side = rng.choice((Side.LONG, Side.SHORT))
        mark = marks[asset]
        claim = PositionClaim(
            asset,
            side,
            Decimal(f"{mark * rng.uniform(0.97, 1.03):.6g}"),
            Decimal(rng.choice((3, 5, 10, 20, 25, 50))),
            Decimal(f"{rng.uniform(0.1, 5):.3f}"),
            rng.choice(("binance", "bybit", "okx", "hyperliquid", None)),
        )
        if claim.risk_venue is not None and asset != "BTC":
            claim = PositionClaim(claim.asset, side, claim.entry, claim.leverage, claim.size)
        liq = quote(claim, tiers=tiers).liquidation_price
        inside = crossed(claim.levels, distance_pct(claim, liq, Decimal(f"{mark:.6g}")))
        state = GuardState(levels_sent=inside, liq_told=liq)
        out.append(GuardedPosition(i + 1, 1000 + i % 20000, 1000 + i % 20000, claim, T0, 1, state))
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--sigma", type=float, default=0.001, help="mark move per tick, 1 sd")
    args = parser.parse_args()
    rng = random.Random(7)
    marks = {"BTC": 60000.0} | {f"A{i:03d}": rng.uniform(0.5, 500) for i in range(args.assets - 1)}
    started = time.perf_counter()
    repository = MemoryRepository(positions(args.positions, marks, rng))
    outbox = MemoryOutbox()
    now = T0
    tiers = load_default_tiers()
    guard = PositionGuard(
        repository,  # type: ignore[arg-type]
        outbox,  # type: ignore[arg-type]
        asyncio.Event(),
        lambda: tiers,
        clock=lambda: now,
    )
    loaded = await guard.load()
    gc.collect()
    gc.freeze()  # as `oiwatch run` does once the leader has loaded the guard
    took = time.perf_counter() - started
    print(
        f"loaded {loaded:,} positions on {args.assets} assets in {took:.1f} s (quoted by bot.risk)"
    )
    times = []
    for i in range(args.ticks):
        now = T0 + timedelta(minutes=i + 1)
        marks = {a: m * (1 + rng.gauss(0, args.sigma)) for a, m in marks.items()}
        poll = tick(marks, now)
        before = outbox.queued
        t = time.perf_counter()
        await guard.after_poll(poll)
        times.append((time.perf_counter() - t) * 1000)
        print(f"tick {i + 1:2d}: {times[-1]:6.1f} ms, {outbox.queued - before:5d} alerts")
    print(
        f"per tick over {args.positions:,} positions: median {statistics.median(times):.1f} ms, "
        f"worst {max(times):.1f} ms (goal < 100 ms)"
    )


if __name__ == "__main__":
    asyncio.run(main())
