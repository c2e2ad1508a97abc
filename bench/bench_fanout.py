"""Fan-out through the real sender and PTB's AIORateLimiter, against the fake Bot API enforcing
Telegram's limits (30 msg/s per bot, 1,000/s paid with allow_paid_broadcast, 1/s per chat,
20/min per group).

Two scenarios:
- `rate`: N alerts to N private chats. Prints the achieved rate against the allowed 30/s and
  the 429s answered. Goal: at least 95 % of the allowed rate, zero 429s. With `--late`, their
  evidence is 2 hours old, as in a backlog: each goes with the delayed line, its chat's
  settings looked up once a batch.
- `urgent`: an urgent warning for each of C chats queued behind 2C non-urgent alerts (the
  sender already draining them), run once free and once with paid broadcast. Prints p50/p99
  from queueing to Telegram accepting the urgent ones, how many non-urgent alerts went out
  while urgent ones waited, the 429s, and the CPU time of the sender's and the fake's
  processes (on a shared machine the wall-clock figures need that context). Goal: urgent p99
  under 15 s paid, the urgent queue fully ahead of the non-urgent one free, zero 429s.

Both run on a temporary SQLite file, or with `--database-url` on that database (PostgreSQL, as
operators deploy): migrated, and its outbox table emptied before and after each run, so a rerun
starts from the same empty queue. Point it at a database of its own: the outbox it empties is
that database's whole alert queue.

Run: .venv/bin/python bench/bench_fanout.py [--alerts 1000] [--late] [--database-url URL]
     .venv/bin/python bench/bench_fanout.py --scenario urgent [--chats 1000] [--full]
(`--full` is the issue's scale, 10,000 chats behind 20,000 alerts: about 7 minutes free.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import multiprocessing
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bot.app import broadcast_bot
from bot.config import Settings
from bot.delivery.latency import percentile
from bot.delivery.priority import Priority
from bot.delivery.sender import Sender
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.models import OutboxMessage
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:BENCH"
ALLOWED_PER_S = 30
FIRST_CHAT = 10_000
URGENT = "🚨 squeeze"


@asynccontextmanager
async def bench_database(database_url: str | None) -> AsyncIterator[AsyncEngine]:
    """A fresh SQLite file, or the given database, migrated and its outbox emptied before and
    after."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(database_url or f"sqlite+aiosqlite:///{folder}/bench.db")
        await upgrade_database(engine)
        await _empty_outbox(engine)
        try:
            yield engine
        finally:
            await _empty_outbox(engine)
            await engine.dispose()


@asynccontextmanager
async def bench_outbox(database_url: str | None) -> AsyncIterator[OutboxRepository]:
    """The outbox the sender drains, in `bench_database`."""
    async with bench_database(database_url) as engine:
        yield OutboxRepository(make_session_factory(engine))


async def _empty_outbox(engine: AsyncEngine) -> None:
    # TRUNCATE leaves no dead rows behind for the next run's claims to step over; SQLite has
    # no TRUNCATE, and a DELETE without WHERE is its equivalent.
    verb = "DELETE FROM" if engine.dialect.name == "sqlite" else "TRUNCATE"
    async with engine.begin() as connection:
        await connection.execute(text(f"{verb} {OutboxMessage.__tablename__}"))


async def _nothing(*_: int) -> None:
    return None


async def _drain_until(sender: Sender, done: asyncio.Event) -> None:
    while not done.is_set():
        if not await sender.drain_once():
            await asyncio.sleep(0.02)


async def rate(alerts: int, database_url: str | None, late: bool = False) -> None:
    async with bench_database(database_url) as engine:
        sessions = make_session_factory(engine)
        outbox = OutboxRepository(sessions)
        now = datetime.now(UTC)
        seen = now - timedelta(hours=2) if late else None
        await outbox.enqueue(
            [
                OutgoingAlert(FIRST_CHAT + i, f"k{i}", f"alert {i}", seen_at=seen)
                for i in range(alerts)
            ],
            now,
        )
        async with FakeTelegramAPI(TOKEN, enforce_limits=True) as api:
            # The sender's bot as `oiwatch run` builds it: the only one behind the limiter.
            bot = broadcast_bot(Settings(telegram_token=TOKEN, telegram_api_url=api.base_url))
            await bot.initialize()
            sender = Sender(
                bot,
                outbox,
                on_chat_gone=_nothing,
                on_chat_migrated=_nothing,
                chat_settings=ChatSettingsRepository(sessions),
            )
            started = time.perf_counter()
            while len(api.sent_messages()) < alerts:
                if not await sender.drain_once():
                    await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            await bot.shutdown()
            delivered = len({m.chat_id for m in api.sent_messages()})
            marked = sum(m.text.startswith("⏳") for m in api.sent_messages())
            rejected = api.rate_limited
    achieved = alerts / elapsed
    print(
        f"alerts={alerts} delivered to {delivered} chats in {elapsed:.1f} s, {marked} marked late"
    )
    print(
        f"rate {achieved:.1f}/s = {achieved / ALLOWED_PER_S * 100:.0f}% of the allowed "
        f"{ALLOWED_PER_S}/s; 429s answered: {rejected}"
    )


def _fake_in_child(conn: Connection) -> None:
    """The fake Bot API in its own process, so its HTTP work does not eat the sender's core
    (a 1,000/s fake and a 1,000/s sender do not fit in one Python process). Answers the
    parent's questions over the pipe; time.monotonic() is the same clock in both."""

    async def serve() -> None:
        async with FakeTelegramAPI(TOKEN, enforce_limits=True) as api:
            conn.send(api.base_url)
            while True:
                question = await asyncio.to_thread(conn.recv)
                if question == "stop":
                    sent = [(m.text, m.at, m.paid) for m in api.sent_messages()]
                    conn.send((sent, api.rate_limited, time.process_time()))
                    return
                conn.send(sum(m.text.startswith(question) for m in api.sent_messages()))

    asyncio.run(serve())


async def urgent_behind_backlog(chats: int, paid_per_day: int, database_url: str | None) -> None:
    """One run: 2 non-urgent alerts per chat queued and draining, then one urgent each."""
    label = f"paid (budget {paid_per_day:,}/day)" if paid_per_day else "free"
    started, cpu_started = time.monotonic(), time.process_time()
    parent, child = multiprocessing.Pipe()
    fake = multiprocessing.Process(target=_fake_in_child, args=(child,), daemon=True)
    fake.start()
    base_url = parent.recv()
    async with bench_outbox(database_url) as outbox:
        ids = range(FIRST_CHAT, FIRST_CHAT + chats)
        await outbox.enqueue(
            [OutgoingAlert(c, f"n{n}-{c}", f"digest {n} for {c}") for n in (1, 2) for c in ids],
            datetime.now(UTC),
        )
        bot = broadcast_bot(Settings(telegram_token=TOKEN, telegram_api_url=base_url))
        await bot.initialize()
        sender = Sender(
            bot, outbox, on_chat_gone=_nothing, on_chat_migrated=_nothing, paid_per_day=paid_per_day
        )
        done = asyncio.Event()
        draining = asyncio.create_task(_drain_until(sender, done))
        await asyncio.sleep(2.0)  # the backlog is going out when the cascade starts
        queued_at = time.monotonic()
        await outbox.enqueue(
            [OutgoingAlert(c, f"u-{c}", f"{URGENT} {c}", priority=Priority.URGENT) for c in ids],
            datetime.now(UTC),
        )
        while True:
            await asyncio.sleep(0.5)
            parent.send(URGENT)
            if parent.recv() >= chats:
                break
        done.set()
        await draining
        await bot.shutdown()
    parent.send("stop")
    sent, rejected, fake_cpu = parent.recv()
    fake.join()
    cpu, wall = time.process_time() - cpu_started, time.monotonic() - started
    urgent = sorted(at - queued_at for text, at, _ in sent if text.startswith(URGENT))
    last_urgent = queued_at + urgent[-1]
    overtaking = sum(
        1
        for text, at, _ in sent
        if not text.startswith(URGENT) and queued_at + 0.5 < at < last_urgent
    )
    paid = sum(was_paid for _, _, was_paid in sent)
    print(
        f"{label:>26}: urgent p50 {percentile(urgent, 0.5):6.1f} s, "
        f"p99 {percentile(urgent, 0.99):6.1f} s, last {urgent[-1]:6.1f} s; "
        f"paid messages {paid:,}; non-urgent sent while urgent waited: {overtaking}; "
        f"429s: {rejected}; CPU {cpu:.1f} s sender, {fake_cpu:.1f} s fake in {wall:.1f} s"
    )


async def urgent(chats: int, database_url: str | None) -> None:
    print(f"{chats:,} chats, an urgent warning each queued behind {2 * chats:,} alerts")
    await urgent_behind_backlog(chats, 0, database_url)
    await urgent_behind_backlog(chats, 10 * chats, database_url)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=["rate", "urgent"], default="rate")
    parser.add_argument("--alerts", type=int, default=1000, help="rate: alerts to send")
    parser.add_argument("--late", action="store_true", help="rate: evidence 2 hours old")
    parser.add_argument("--chats", type=int, default=1000, help="urgent: subscribed chats")
    parser.add_argument("--full", action="store_true", help="urgent: 10,000 chats")
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy async URL of a database of the bench's own (its outbox is emptied); "
        "default a temporary SQLite file",
    )
    args = parser.parse_args(argv)
    # PTB logs every 429 with a traceback; the figures count them.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    gc.freeze()  # as `oiwatch run` does once started (bot/runtime/runner.py)
    if args.scenario == "rate":
        asyncio.run(rate(args.alerts, args.database_url, args.late))
    else:
        asyncio.run(urgent(10_000 if args.full else args.chats, args.database_url))


if __name__ == "__main__":
    main()
