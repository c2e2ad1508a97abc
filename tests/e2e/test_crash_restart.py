"""Killed with SIGKILL mid-broadcast and restarted: every pending alert is delivered, and at
most the one in-flight message per chat is repeated. Real processes, real SQLite file."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.e2e.conftest import TOKEN, spawn_bot
from tests.fakes.telegram_api import FakeTelegramAPI

CHATS = 15
PER_CHAT = 3


async def test_sigkill_mid_broadcast_loses_nothing(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(database_url)
    await upgrade_database(engine)
    outbox = OutboxRepository(make_session_factory(engine))
    expected = [
        OutgoingAlert(1000 + chat, f"alert-{chat}-{n}", f"alert {chat}/{n}")
        for n in range(PER_CHAT)
        for chat in range(CHATS)
    ]
    await outbox.enqueue(expected, datetime.now(UTC))

    async with FakeTelegramAPI(TOKEN) as api:
        # Each send takes a while, so the kill lands with messages in flight.
        api.fail_next("sendMessage", status=200, delay_s=0.15, times=10_000)
        first = await spawn_bot(api, database_url)
        await api.wait_for(lambda: len(api.sent_messages()) >= CHATS, timeout=30)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        sent_before_kill = len(api.sent_messages())
        assert sent_before_kill < len(expected), "the kill came too late to prove anything"

        second = await spawn_bot(api, database_url)
        try:
            await api.wait_for(
                lambda: {m.text for m in api.sent_messages()} >= {a.text for a in expected},
                timeout=40,
            )
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), timeout=15)

    counts = Counter(m.text for m in api.sent_messages())
    repeated = {text: n for text, n in counts.items() if n > 1}
    per_chat = Counter(text.split("/")[0] for text in repeated)
    assert all(n == 2 for n in repeated.values())
    assert all(n <= 1 for n in per_chat.values())  # at most the in-flight one per chat
    assert set(counts) == {a.text for a in expected}
    for chat in range(CHATS):  # and each chat got its alerts in order
        texts = [m.text for m in api.sent_messages(1000 + chat)]
        assert sorted(set(texts)) == [f"alert {chat}/{n}" for n in range(PER_CHAT)]
        assert texts == sorted(texts)
    await engine.dispose()
