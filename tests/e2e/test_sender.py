"""The outbox sender against the fake Bot API: every Telegram fault has an outcome, nothing is
lost, and a chat's messages keep their order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from bot.delivery.sender import Sender
from storage.db import make_session_factory
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:TEST"


@dataclass
class Harness:
    api: FakeTelegramAPI
    outbox: OutboxRepository
    sender: Sender
    gone: list[int] = field(default_factory=list)
    migrated: list[tuple[int, int]] = field(default_factory=list)

    async def enqueue(self, *alerts: tuple[int, str]) -> None:
        await self.outbox.enqueue(
            [
                OutgoingAlert(chat, f"k{i}-{chat}-{text}", text)
                for i, (chat, text) in enumerate(alerts)
            ],
            datetime.now(UTC),
        )

    async def drain(self, until: float = 5.0) -> None:
        """Drain until nothing is pending or due soon."""
        deadline = time.monotonic() + until
        while time.monotonic() < deadline:
            await self.sender.drain_once()
            counts = await self.outbox.counts()
            if not counts.get("pending") and not counts.get("sending"):
                return
            await asyncio.sleep(0.05)


@pytest.fixture
async def harness(engine: AsyncEngine) -> AsyncIterator[Harness]:
    async with FakeTelegramAPI(TOKEN) as api:
        bot = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
        await bot.initialize()
        outbox = OutboxRepository(make_session_factory(engine))
        gone: list[int] = []
        migrated: list[tuple[int, int]] = []

        async def on_gone(chat_id: int) -> None:
            gone.append(chat_id)

        async def on_migrated(old: int, new: int) -> None:
            migrated.append((old, new))

        sender = Sender(bot, outbox, on_chat_gone=on_gone, on_chat_migrated=on_migrated)
        yield Harness(api, outbox, sender, gone, migrated)
        await bot.shutdown()


async def test_messages_of_one_chat_go_in_order_one_second_apart(harness: Harness) -> None:
    await harness.enqueue((7, "first"), (7, "second"), (8, "other"))
    started = time.monotonic()
    await harness.drain()
    texts = [m.text for m in harness.api.sent_messages(7)]
    assert texts == ["first", "second"]
    assert [m.text for m in harness.api.sent_messages(8)] == ["other"]
    assert time.monotonic() - started >= 1.0  # per-chat pacing
    assert await harness.outbox.counts() == {"sent": 3}


async def test_retry_after_is_honoured(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", retry_after=2, chat_id=7)
    await harness.enqueue((7, "later"))
    started = time.monotonic()
    await harness.drain()
    assert [m.text for m in harness.api.sent_messages(7)] == ["later"]
    assert time.monotonic() - started >= 2.0
    assert harness.sender.stats.retried == 1 and harness.sender.stats.sent == 1


async def test_blocked_and_missing_chats_are_deactivated(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", status=403, chat_id=7)
    harness.api.fail_next("sendMessage", status=400, chat_id=9)
    await harness.enqueue((7, "a"), (7, "b"), (9, "c"), (8, "fine"))
    await harness.drain()
    assert sorted(harness.gone) == [7, 9]
    assert harness.api.sent_messages(7) == [] and harness.api.sent_messages(9) == []
    assert [m.text for m in harness.api.sent_messages(8)] == ["fine"]
    assert await harness.outbox.counts() == {"dead": 3, "sent": 1}


async def test_migrated_group_gets_the_message_under_its_new_id(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", migrate_to_chat_id=-1009, chat_id=-9)
    await harness.enqueue((-9, "to the supergroup"))
    await harness.drain()
    assert harness.migrated == [(-9, -1009)]
    assert [m.text for m in harness.api.sent_messages(-1009)] == ["to the supergroup"]


async def test_server_errors_are_retried_with_backoff(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", status=502, chat_id=7, times=2)
    await harness.enqueue((7, "eventually"))
    await harness.drain(until=8)
    assert [m.text for m in harness.api.sent_messages(7)] == ["eventually"]
    [row] = await harness.outbox.messages(7)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_a_crash_mid_send_loses_nothing(harness: Harness) -> None:
    await harness.enqueue((7, "in flight"), (7, "queued"))
    # A sender claimed the first message and died before recording the result.
    await harness.outbox.claim(datetime.now(UTC), limit=10)
    stop, wake = asyncio.Event(), asyncio.Event()
    runner = asyncio.create_task(harness.sender.run(stop, wake))  # a restarted process
    await harness.api.wait_for(lambda: len(harness.api.sent_messages(7)) == 2, timeout=6)
    stop.set()
    await runner
    assert [m.text for m in harness.api.sent_messages(7)] == ["in flight", "queued"]


async def test_stopping_finishes_the_send_in_flight(harness: Harness) -> None:
    """Graceful shutdown (SIGTERM): the message being sent completes and is recorded as sent;
    the rest stays queued for the next leader, nothing is left marked in flight."""
    harness.api.fail_next("sendMessage", status=200, delay_s=0.5, chat_id=7)
    await harness.enqueue((7, "in flight"), (7, "next"))
    stop, wake = asyncio.Event(), asyncio.Event()
    runner = asyncio.create_task(harness.sender.run(stop, wake))
    await harness.api.wait_for("sendMessage")
    stop.set()  # mid-send
    await asyncio.wait_for(runner, 5)
    assert [m.text for m in harness.api.sent_messages(7)] == ["in flight"]
    assert [(m.text, m.status) for m in await harness.outbox.messages(7)] == [
        ("in flight", "sent"),
        ("next", "pending"),
    ]
