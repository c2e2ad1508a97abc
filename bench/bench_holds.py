"""Holding a cold start's firings for chats in quiet hours: `firings` alerts over `chats` chats
(10 each by default), each of its own watch rule, held into their chats' digests as the
pipeline's tick does (`hold_many`), on a SQLite file in a temporary folder and, when
OIWATCH_TEST_DATABASE_URL is set, on that database too (its outbox emptied before and after,
the bench's rules removed after). Prints the time to hold them all, then again for the same
tick run once more (after a crash: every alert is in its digest already), and a hash of the
digests' texts, the same whichever way they were held (100 firings a chat fill a message).

Run: .venv/bin/python bench/bench_holds.py [--chats 2000] [--firings 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlmodel import col

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_fanout import bench_database
from storage.db import make_session_factory
from storage.models import OutboxMessage, WatchRuleRow
from storage.repositories.outbox import Hold, OutboxRepository, OutgoingAlert

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
FIRST_CHAT = 7_000_000_000  # far from any chat a test makes
HEADER = "🌙 <b>Held during quiet hours</b> (23:00-07:00 Europe/Berlin)"
FULL = "\n\n… more were held: /watches lists your rules."


async def bench(url: str | None, chats: int, firings: int) -> None:
    async with bench_database(url) as engine:
        sessions = make_session_factory(engine)
        outbox = OutboxRepository(sessions)
        async with sessions() as session:
            rows = [
                {
                    "chat_id": FIRST_CHAT + n % chats,
                    "created_by": 1,
                    "text": f"A{n} funding > 0.05%",
                    "created_at": NOW,
                }
                for n in range(firings)
            ]
            await session.execute(insert(WatchRuleRow), rows)
            await session.commit()
            made = (
                await session.execute(
                    WatchRuleRow.__table__.select()  # type: ignore[attr-defined]
                    .where(col(WatchRuleRow.chat_id) >= FIRST_CHAT)
                    .order_by(col(WatchRuleRow.id))
                )
            ).all()
        due = NOW + timedelta(hours=4)
        holds = [
            Hold(
                OutgoingAlert(
                    rule.chat_id,
                    f"held:20261202T030000:{rule.chat_id}:{rule.id}:A{n}:",
                    f"<i>03:00</i> A{n} funding 0.06% crossed 0.05% on binance",
                    rules=(rule.id,),
                    revisions=(0,),
                ),
                f"digest:{rule.chat_id}:{due:%Y%m%dT%H%M}",
                due,
                HEADER,
            )
            for n, rule in enumerate(made)
        ]
        try:
            for run in ("first", "again"):
                started = time.perf_counter()
                await outbox.hold_many(holds, NOW, full=FULL)
                seconds = time.perf_counter() - started
                counts = await outbox.counts()
                async with sessions() as session:
                    texts = await session.execute(
                        select(col(OutboxMessage.text)).order_by(col(OutboxMessage.dedup_key))
                    )
                    digests = hashlib.sha256("\0".join(texts.scalars()).encode()).hexdigest()
                print(
                    f"{engine.dialect.name}: {len(holds):,} firings over {chats:,} chats held "
                    f"({run}): {seconds:.2f} s, {len(holds) / seconds:,.0f}/s; outbox {counts}, "
                    f"digests' sha256 {digests[:12]}"
                )
        finally:
            async with sessions() as session:
                await session.execute(
                    delete(WatchRuleRow).where(col(WatchRuleRow.chat_id) >= FIRST_CHAT)
                )
                await session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=2_000)
    parser.add_argument("--firings", type=int, default=20_000)
    args = parser.parse_args()
    postgres = os.environ.get("OIWATCH_TEST_DATABASE_URL")
    for url in [None] + ([postgres] if postgres else []):
        asyncio.run(bench(url, args.chats, args.firings))


if __name__ == "__main__":
    main()
