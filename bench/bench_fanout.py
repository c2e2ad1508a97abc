"""Fan-out: N alerts to N private chats through the real sender and PTB's AIORateLimiter,
against the fake Bot API enforcing Telegram's limits (30 msg/s per bot, 1/s per chat).

Run: .venv/bin/python bench/bench_fanout.py [--alerts 1000]
Prints the achieved rate against the allowed 30/s and the number of 429s answered.
Goal: at least 95 % of the allowed rate, zero 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from bot.app import broadcast_bot
from bot.config import Settings
from bot.delivery.sender import Sender
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:BENCH"
ALLOWED_PER_S = 30


async def main(alerts: int) -> None:
    # PTB logs every 429 with a traceback; the figure below counts them.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await upgrade_database(engine)
        outbox = OutboxRepository(make_session_factory(engine))
        await outbox.enqueue(
            [OutgoingAlert(10_000 + i, f"k{i}", f"alert {i}") for i in range(alerts)],
            datetime.now(UTC),
        )
        async with FakeTelegramAPI(TOKEN, enforce_limits=True) as api:
            # The sender's bot as `oiwatch run` builds it: the only one behind the limiter.
            bot = broadcast_bot(Settings(telegram_token=TOKEN, telegram_api_url=api.base_url))
            await bot.initialize()

            async def nothing(*_: int) -> None:
                return None

            sender = Sender(bot, outbox, on_chat_gone=nothing, on_chat_migrated=nothing)
            started = time.perf_counter()
            while len(api.sent_messages()) < alerts:
                if not await sender.drain_once():
                    await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
            await bot.shutdown()
            delivered = len({m.chat_id for m in api.sent_messages()})
            rejected = api.rate_limited
        await engine.dispose()
    rate = alerts / elapsed
    print(f"alerts={alerts} delivered to {delivered} chats in {elapsed:.1f} s")
    print(
        f"rate {rate:.1f}/s = {rate / ALLOWED_PER_S * 100:.0f}% of the allowed "
        f"{ALLOWED_PER_S}/s; 429s answered: {rejected}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=1000)
    asyncio.run(main(parser.parse_args().alerts))
