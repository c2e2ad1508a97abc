"""The live path's own costs, on one core: the kline stream and the per-tick work it adds.

Run: .venv/bin/python bench/bench_live_path.py [--symbols 300] [--assets 100]
- kline frames: json + parse + book, per frame; Binance pushes each symbol's open minute every
  250 ms, so `symbols` x 4 frames a second is the steady load (printed as a share of a core).
  REST klines polled instead would cost one request per symbol per poll (weight 1 each below
  100 rows), and still lag by up to a poll: printed for comparison, not measured.
- per tick: the aggregate series with and without klines (`signal_series`: liquidations,
  basis, and from the klines each bar's range, volume and taker buys) and the fork of the
  cascade tracker the pipeline makes every tick, for `assets` assets with a day of 5-minute
  snapshots, 1-minute klines and liquidation minutes each. The engine has its own bench.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from dataclasses import dataclass, field, make_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.alerts.observations import AssetData, signal_series
from bot.market.klines import KlineBook, KlineMinute
from bot.market.overview import Point
from bot.market.venues.binance import parse_binance_kline
from bot.signals.events import CascadeTracker

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINUTES = 24 * 60


# A plain stand-in for the stored rows, with exactly the fields the overview and the series
# read (bot.market.overview.Point), so the two cannot drift apart.
Snap = make_dataclass(
    "Snap",
    [(name, kind) for name, kind in Point.__annotations__.items() if name != "volume_24h_usd"]
    + [("volume_24h_usd", float | None, field(default=None))],
)


@dataclass
class Flow:  # a stored liquidation minute (bot.alerts.observations.TimedFlow)
    venue: str
    minute: datetime
    long_usd: float
    short_usd: float


def frames(symbols: int) -> list[str]:
    out = []
    for i in range(symbols):
        k = {"t": 1764000000000, "T": 1764000059999, "s": f"S{i}USDT", "i": "1m", "o": "1.0"}
        k |= {"h": "1.2", "l": "0.9", "c": "1.1", "v": "1234.5", "V": "600.1", "x": False}
        out.append(json.dumps({"stream": f"s{i}usdt@kline_1m", "data": {"e": "kline", "k": k}}))
    return out


def bench_frames(symbols: int) -> None:
    book, batch = KlineBook(), frames(symbols)
    rounds = max(1, 20_000 // symbols)
    started = time.perf_counter()
    for _ in range(rounds):
        for raw in batch:
            kline = parse_binance_kline(json.loads(raw))
            if kline is not None:
                book.add(kline)
    per_frame = (time.perf_counter() - started) / (rounds * symbols)
    load = symbols * 4 * per_frame
    print(f"kline frame: {per_frame * 1e6:.1f} us; {symbols} symbols x 4/s = {load:.1%} of a core")
    print(f"REST instead: {symbols} requests a poll (one per symbol), lagging up to a poll")


def asset_data(rng: random.Random, asset: str) -> AssetData:
    price, oi = rng.uniform(1, 1000), rng.uniform(1e4, 1e6)
    snaps, klines, flows = [], [], []
    for minute in range(MINUTES):
        ts = T0 + timedelta(minutes=minute)
        price *= 1 + rng.gauss(0, 0.001)
        oi *= 1 + rng.gauss(0, 0.0005)
        if minute % 5 == 0:
            snaps.append(Snap("binance", ts, price, price * 0.9995, oi, oi * price, 0.0001, 8))
        volume = rng.uniform(50, 150)
        klines.append(
            KlineMinute(
                "binance",
                asset,
                ts,
                price,
                price * 1.001,
                price * 0.999,
                price,
                volume,
                volume * rng.uniform(0.3, 0.7),
            )
        )
        if rng.random() < 0.2:
            flows.append(Flow("binance", ts, rng.uniform(0, 5e4), rng.uniform(0, 5e4)))
    return AssetData(asset, [], snaps, flows, klines)


def bench_tick(assets: int) -> None:
    rng = random.Random(7)
    data = [asset_data(rng, f"A{i}") for i in range(assets)]
    now = T0 + timedelta(minutes=MINUTES - 1, seconds=30)
    started = time.perf_counter()
    for d in data:
        signal_series(AssetData(d.asset, [], d.history, d.flows), now)
    bare_s = time.perf_counter() - started
    tracker = CascadeTracker()
    started = time.perf_counter()
    for d in data:
        series = signal_series(d, now)
        tracker.update(d.asset, [], now, latest=series[-1])
    live_s = time.perf_counter() - started
    started = time.perf_counter()
    copy.deepcopy(tracker)
    fork_s = time.perf_counter() - started
    print(
        f"tick, {assets} assets: series without klines {bare_s * 1000:.0f} ms; with klines "
        f"and the tracker {live_s * 1000:.0f} ms ({live_s / assets * 1000:.1f} ms an asset); "
        f"tracker fork {fork_s * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--assets", type=int, default=100)
    args = parser.parse_args()
    bench_frames(args.symbols)
    bench_tick(args.assets)


if __name__ == "__main__":
    main()
