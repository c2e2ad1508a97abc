"""The live path's own costs, on one core: the kline stream and the per-tick work it adds.

Run: .venv/bin/python bench/bench_live_path.py [--symbols 300] [--assets 100]
         [--cascade-assets 500] [--runs 9] [--outbox-rows 200000]
- kline frames: json + parse + book, per frame; Binance pushes each symbol's open minute every
  250 ms, so `symbols` x 4 frames a second is the steady load (printed as a share of a core).
  REST klines polled instead would cost one request per symbol per poll (weight 1 each below
  100 rows), and still lag by up to a poll: printed for comparison, not measured.
- per tick: the aggregate series with and without klines (`signal_series`: liquidations,
  basis, and from the klines each bar's range, volume and taker buys) and the fork of the
  cascade tracker the pipeline makes every tick, for `assets` assets with a day of 5-minute
  snapshots, 1-minute klines and liquidation minutes each. The engine has its own bench.
- what a tick keeps across a restart, for `cascade-assets` assets in a market-wide cascade
  (each asset's long squeeze open for two hours, its short squeeze just over, four other kinds
  active): the tracker fork, `event_state.dumps` and `loads` (on a start or a takeover), the
  `saved_state` write and the outbox's `threads_begun` for 100 and 10,000 chats among
  `outbox-rows` old rows, on a SQLite file in a temporary folder and, when
  OIWATCH_TEST_DATABASE_URL is set, on that database too (its outbox is emptied before and
  after). Medians of `runs`, in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, make_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.alerts.observations import AssetData, signal_series
from bot.market.klines import KlineBook, KlineMinute
from bot.market.overview import Point
from bot.market.venues.binance import parse_binance_kline
from bot.signals import event_state
from bot.signals.events import CascadeTracker
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import BAR
from bot.signals.series import Point as SignalPoint
from bot.signals.warning import SignalWarning

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
        tracker.update(d.asset, [], now, series)
    live_s = time.perf_counter() - started
    started = time.perf_counter()
    tracker.fork()
    fork_s = time.perf_counter() - started
    print(
        f"tick, {assets} assets: series without klines {bare_s * 1000:.0f} ms; with klines "
        f"and the tracker {live_s * 1000:.0f} ms ({live_s / assets * 1000:.1f} ms an asset); "
        f"tracker fork {fork_s * 1000:.1f} ms"
    )


EVENT_BARS = 24  # two hours of an event: a point a bar since its onset
OTHER_KINDS = (
    WarningKind.OVERHEATING_LONG,
    WarningKind.CROWDING_LONG,
    WarningKind.DIVERGENCE_CLOSES,
    WarningKind.BASIS_WIDENING,
)
NUMBERS = (
    "price from onset pct",
    "minutes since onset",
    "OI (contracts) from onset pct",
    "OI notional from onset pct",
    "volume x usual",
    "longs liquidated USD",
    "taker sell share",
    "funding pct",
)
THREADS_PER_CHAT = 5  # the cascading assets a chat watches
FIRST_CHAT = 10_000
OUTBOX_CHATS = 10_000


def reading(
    rng: random.Random, asset: str, kind: WarningKind, now: datetime, bar: int
) -> SignalWarning:
    """One engine warning with full-precision numbers, as long as the engine's."""
    cascade = kind.cascade
    return SignalWarning(
        kind,
        (Severity.MODERATE, Severity.HIGH, Severity.EXTREME)[min(bar // 8, 2)],
        asset,
        "15m",
        now,
        f"{asset} {kind.replace('_', ' ')}: price -4.2% in 12 min with volume 3.1x usual, "
        "OI -6.3%, 12.4M USD of longs liquidated",
        {name: rng.uniform(-1e6, 1e6) for name in NUMBERS},
        (1, 2, 5, 7),
        rng.uniform(0, 60),
        stage=(Stage.EARLY if bar == 0 else Stage.CONFIRMED) if cascade else None,
        event_start=T0 if cascade else None,
    )


def signal_point(rng: random.Random, ts: datetime) -> SignalPoint:
    """A point with every field known: the most a saved event point can weigh."""
    values = [rng.uniform(1, 1e6) for _ in range(len(SignalPoint.__slots__) - 1)]
    return SignalPoint(ts, *values)


def cascade_tracker(assets: int) -> CascadeTracker:
    """The tracker after two hours of a market-wide cascade, fed through `update` as the
    pipeline feeds it: every asset's long squeeze open since T0 and escalated, its short
    squeeze of T0 over (quiet since), and the other kinds active."""
    rng, tracker = random.Random(11), CascadeTracker()
    for bar in range(EVENT_BARS + 1):
        now = T0 + BAR * bar
        for i in range(assets):
            asset = f"A{i}"
            kinds = [WarningKind.LONG_SQUEEZE, *OTHER_KINDS]
            if bar == 0:
                kinds.append(WarningKind.SHORT_SQUEEZE)
            warnings = [reading(rng, asset, kind, now, bar) for kind in kinds]
            tracker.update(asset, warnings, now, [signal_point(rng, now)])
    return tracker


def median_ms(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def median_ms_async(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bench_saved_state(assets: int, runs: int, outbox_rows: int) -> None:
    tracker = cascade_tracker(assets)
    state = event_state.dumps(tracker)
    events, closed = len(tracker._events), len(tracker._closed)
    points = sum(len(e.points) for e in tracker._events.values())
    fork_ms = median_ms(runs, lambda: tracker.fork())
    dumps_ms = median_ms(runs, lambda: event_state.dumps(tracker))
    loads_ms = median_ms(runs, lambda: event_state.loads(state, tracker.quiet))
    print(
        f"market-wide cascade, {assets} assets ({events} open events, {points} points, "
        f"{closed} over, {len(tracker._others._active)} other warnings): tracker fork "
        f"{fork_ms:.1f} ms, dumps {dumps_ms:.1f} ms ({len(state) / 1000:.0f} KB), loads "
        f"{loads_ms:.1f} ms; medians of {runs}"
    )
    threads = [f"A{i}:{WarningKind.LONG_SQUEEZE}:{T0:%Y%m%dT%H%M}" for i in range(assets)]
    postgres = os.environ.get("OIWATCH_TEST_DATABASE_URL")
    for url in [None] + ([postgres] if postgres else []):
        asyncio.run(bench_storage(url, state, threads, runs, outbox_rows))


async def bench_storage(
    url: str | None, state: str, threads: list[str], runs: int, outbox_rows: int
) -> None:
    # Storage (SQLModel, the migrations) joins the process only now, after the figures above.
    from bench.bench_fanout import bench_database
    from bot.alerts.pipeline import TRACKER_STATE
    from storage.db import make_session_factory
    from storage.repositories.outbox import OutboxRepository
    from storage.repositories.saved_state import SavedStateRepository

    async with bench_database(url) as engine:
        sessions = make_session_factory(engine)
        saved, outbox = SavedStateRepository(sessions), OutboxRepository(sessions)
        await fill_outbox(engine, outbox_rows, threads)
        write_ms = await median_ms_async(
            runs, lambda: saved.save(TRACKER_STATE, state, datetime.now(UTC))
        )
        begun = []
        for chats in (100, 10_000):
            pairs = {
                (FIRST_CHAT + c, threads[(c * THREADS_PER_CHAT + k) % len(threads)])
                for c in range(chats)
                for k in range(THREADS_PER_CHAT)
            }
            ms = await median_ms_async(runs, lambda pairs=pairs: outbox.threads_begun(pairs))
            begun.append(f"{chats:,} chats ({len(pairs):,} pairs) {ms:.1f} ms")
        print(
            f"{engine.dialect.name}: saved_state write {write_ms:.1f} ms; threads_begun among "
            f"{outbox_rows:,} old outbox rows: {', '.join(begun)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--cascade-assets", type=int, default=500)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--outbox-rows", type=int, default=200_000)
    args = parser.parse_args()
    bench_frames(args.symbols)
    bench_tick(args.assets)
    bench_saved_state(args.cascade_assets, args.runs, args.outbox_rows)


async def fill_outbox(engine: AsyncEngine, rows: int, threads: list[str]) -> None:
    """`rows` alerts sent over the last month, threads of earlier events spread over 10,000
    chats, and the current event's first message in half the chats: what threads_begun reads
    through. PostgreSQL is analysed after, as its autovacuum would be by then."""
    from sqlalchemy import insert, text

    from storage.models import OutboxMessage

    sent = T0 - timedelta(days=30)

    def row(key: str, chat: int, thread: str, at: datetime) -> dict[str, object]:
        return {
            "chat_id": chat,
            "dedup_key": key,
            "text": "🚨 squeeze",
            "status": "sent",
            "attempts": 1,
            "due_at": at,
            "created_at": at,
            "sent_at": at,
            "priority": "urgent",
            "thread": thread,
            "silent": True,
            "paid": False,
        }

    old = []
    for n in range(rows):
        chat, at = n % OUTBOX_CHATS, sent + timedelta(minutes=n // OUTBOX_CHATS * 90)
        thread = f"A{(chat * THREADS_PER_CHAT + n) % len(threads)}:long_squeeze:{at:%Y%m%dT%H%M}"
        old.append(row(f"old:{n}", FIRST_CHAT + chat, thread, at))
    old += [
        row(f"now:{c}", FIRST_CHAT + c, threads[c * THREADS_PER_CHAT % len(threads)], T0)
        for c in range(0, OUTBOX_CHATS, 2)
    ]
    async with engine.begin() as connection:
        for start in range(0, len(old), 10_000):
            await connection.execute(insert(OutboxMessage), old[start : start + 10_000])
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.execute(text(f"ANALYZE {OutboxMessage.__tablename__}"))


if __name__ == "__main__":
    main()
