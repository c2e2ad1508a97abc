"""The outbox sender against the fake Bot API: every Telegram fault has an outcome, nothing is
lost, and a chat's messages keep their order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from telegram import Bot

from bot.delivery.aiohttp_request import AiohttpRequest
from bot.delivery.sender import Sender
from storage.db import SessionFactory, make_engine, make_session_factory
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.conftest import POSTGRES_URL, watch_service
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:TEST"


class FlakySessions:
    """The outbox's session factory with a switch: while `down`, every session fails the way
    a busy or unreachable database does."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self.down = False
        self.refused = 0

    def __call__(self) -> AsyncSession:
        if self.down:
            self.refused += 1
            raise OperationalError("SELECT 1", {}, Exception("database is locked"))
        return self.sessions()


def _bot(api: FakeTelegramAPI) -> Bot:
    """Over the transport the broadcast bot uses, so every fault below crosses it."""
    return Bot(
        TOKEN, base_url=api.base_url, base_file_url=api.base_file_url, request=AiohttpRequest()
    )


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
        bot = _bot(api)
        await bot.initialize()
        outbox = OutboxRepository(FlakySessions(make_session_factory(engine)))  # type: ignore[arg-type]
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
    assert harness.sender.stats.chats_deactivated == 2  # /metrics shows it to the operator
    assert harness.api.sent_messages(7) == [] and harness.api.sent_messages(9) == []
    assert [m.text for m in harness.api.sent_messages(8)] == ["fine"]
    assert await harness.outbox.counts() == {"dead": 3, "sent": 1}


async def test_migrated_group_gets_the_message_under_its_new_id(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", migrate_to_chat_id=-1009, chat_id=-9)
    await harness.enqueue((-9, "to the supergroup"))
    await harness.drain()
    assert harness.migrated == [(-9, -1009)]
    assert [m.text for m in harness.api.sent_messages(-1009)] == ["to the supergroup"]


async def test_a_digest_held_for_a_group_that_became_a_supergroup_goes_there(
    harness: Harness, engine: AsyncEngine
) -> None:
    """Quiet hours hold a digest for group -9; a squeeze rings meanwhile and Telegram says the
    group is now supergroup -1009 (and says so of every send to -9 from then on). An admin
    removes a rule there before the digest is due: the digest goes to -1009, once, without
    that rule's alert, and nothing more is tried at the old id."""
    watch = watch_service(make_session_factory(engine))

    async def migrated(old: int, new: int) -> None:
        harness.migrated.append((old, new))
        await watch.migrate_chat(old, new)

    later = [timedelta(0)]  # the sender's clock runs ahead by this
    harness.sender.on_chat_migrated = migrated
    harness.sender.clock = lambda: datetime.now(UTC) + later[0]
    now = datetime.now(UTC)
    harness.api.fail_next("sendMessage", migrate_to_chat_id=-1009, chat_id=-9, times=10)
    removed, kept = [
        await watch.add(-9, 5, rule, now) for rule in ("BTC funding > 0.05%", "ETH oi 1h > 5%")
    ]
    due = now + timedelta(hours=1)
    for key, words, rule in (
        ("held:1", "BTC funding 0.08% crossed", removed),
        ("held:2", "ETH OI +6% crossed", kept),
    ):
        alert = OutgoingAlert(-9, key, words, rules=(rule.id,))
        await harness.outbox.hold(alert, due, now, into="digest:-9", header="🌙 Held")
    await harness.enqueue((-9, "🚨 BTC long squeeze"))
    await harness.drain()
    assert harness.migrated == [(-9, -1009)]

    assert await watch.remove(-1009, removed.id) == 1
    later[0] = timedelta(hours=1)
    await harness.drain()
    assert [m.text for m in harness.api.sent_messages(-1009)] == [
        "🚨 BTC long squeeze",
        "🌙 Held\n\nETH OI +6% crossed",
    ]
    assert harness.migrated == [(-9, -1009)]
    assert len(harness.api.calls("sendMessage")) == 3  # one refused at -9, two sent at -1009


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


def _switch(harness: Harness) -> FlakySessions:
    sessions = harness.outbox._sessions
    assert isinstance(sessions, FlakySessions)
    return sessions


async def _run_until_delivered(harness: Harness, count: int, timeout: float) -> None:
    stop, wake = asyncio.Event(), asyncio.Event()
    runner = asyncio.create_task(harness.sender.run(stop, wake))
    try:
        await harness.api.wait_for(
            lambda: len(harness.api.sent_messages()) >= count, timeout=timeout
        )
        await asyncio.sleep(0.2)  # outcomes written, nothing more sent
    finally:
        stop.set()
        await asyncio.wait_for(runner, 5)


async def test_a_database_failing_at_start_delays_delivery_but_never_stops_it(
    harness: Harness,
) -> None:
    """Issue 16: recover() ran outside the retry loop, so a database busy for a few seconds at
    start killed the sender: 10 queued alerts, 0 delivered."""
    await harness.enqueue(*((chat, f"alert {chat}") for chat in range(1, 11)))
    database = _switch(harness)
    database.down = True
    stop, wake = asyncio.Event(), asyncio.Event()
    runner = asyncio.create_task(harness.sender.run(stop, wake))
    await asyncio.sleep(2.0)
    assert database.refused >= 2 and not runner.done()  # tried again, still alive
    assert harness.api.sent_messages() == []
    database.down = False
    await harness.api.wait_for(lambda: len(harness.api.sent_messages()) == 10, timeout=12)
    stop.set()
    await asyncio.wait_for(runner, 5)
    assert sorted(m.chat_id for m in harness.api.sent_messages()) == list(range(1, 11))
    assert await harness.outbox.counts() == {"sent": 10}


async def test_a_database_failing_right_after_a_send_leaves_no_row_in_sending(
    harness: Harness,
) -> None:
    """The send succeeds, writing `sent` fails: the outcome is kept and written once the
    database answers, the chat's next alerts follow, and nothing is sent twice."""
    harness.api.fail_next("sendMessage", status=200, delay_s=0.4, chat_id=7)
    await harness.enqueue((7, "first"), (7, "second"), (7, "third"))
    database = _switch(harness)
    stop, wake = asyncio.Event(), asyncio.Event()
    runner = asyncio.create_task(harness.sender.run(stop, wake))
    await harness.api.wait_for("sendMessage")
    database.down = True  # while "first" is in flight
    await asyncio.sleep(1.5)
    database.down = False
    await harness.api.wait_for(lambda: len(harness.api.sent_messages(7)) == 3, timeout=10)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(runner, 5)
    assert database.refused >= 1
    assert [m.text for m in harness.api.sent_messages(7)] == ["first", "second", "third"]
    assert await harness.outbox.counts() == {"sent": 3}


async def test_a_response_that_is_not_json_is_retried_not_stuck(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", status=200, delay_s=0.0, chat_id=7, garbage=True)
    await harness.enqueue((7, "after garbage"))
    await _run_until_delivered(harness, 1, timeout=6)
    [row] = await harness.outbox.messages(7)
    assert (row.status, row.attempts) == ("sent", 1)


async def test_a_claim_older_than_the_lease_is_claimed_again_once(harness: Harness) -> None:
    """A sender claimed the row, sent it or not, and its outcome never reached the database
    (no restart follows): past the lease the row is claimed again, so the chat is not stuck."""
    await harness.enqueue((7, "lost outcome"), (7, "next"))
    claimed_at = datetime.now(UTC)
    await harness.outbox.claim(claimed_at, limit=10)
    harness.sender.lease = timedelta(seconds=1)
    harness.sender.clock = lambda: datetime.now(UTC)
    started = time.monotonic()
    await harness.drain(until=0.5)
    assert harness.api.sent_messages(7) == []  # within the lease: still someone else's
    await harness.drain(until=6)
    assert time.monotonic() - started >= 1.0
    assert [m.text for m in harness.api.sent_messages(7)] == ["lost outcome", "next"]
    assert await harness.outbox.counts() == {"sent": 2}


async def test_connections_cut_under_the_sender_lose_no_alert(engine: AsyncEngine) -> None:
    """Issue 16 on PostgreSQL: the pool's connections killed every 70 ms for 4 s while 120
    alerts drain (40 chats, 3 each); every alert is delivered with no restart, in order per
    chat, at most the in-flight one repeated."""
    if POSTGRES_URL is None or engine.dialect.name != "postgresql":
        pytest.skip("kills PostgreSQL backends")
    admin = make_engine(POSTGRES_URL, pool_size=1)
    async with FakeTelegramAPI(TOKEN) as api:
        bot = _bot(api)
        await bot.initialize()
        outbox = OutboxRepository(make_session_factory(engine))

        async def nothing(*_: int) -> None:
            return None

        sender = Sender(bot, outbox, on_chat_gone=nothing, on_chat_migrated=nothing)
        chats = range(101, 141)
        await outbox.enqueue(
            [OutgoingAlert(c, f"k{c}-{n}", f"{c}:{n}") for n in range(3) for c in chats],
            datetime.now(UTC),
        )
        stop, wake = asyncio.Event(), asyncio.Event()
        runner = asyncio.create_task(sender.run(stop, wake, idle_s=0.1))
        killed = 0
        async with admin.connect() as conn:
            deadline = time.monotonic() + 4.0
            while time.monotonic() < deadline:
                result = await conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                killed += int(result.scalar_one())
                await conn.commit()
                await asyncio.sleep(0.07)
        await api.wait_for(
            lambda: (
                {m.text for m in api.sent_messages()}
                >= {f"{c}:{n}" for c in chats for n in range(3)}
            ),
            timeout=90,
        )
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(runner, 10)
        await bot.shutdown()
        await admin.dispose()
        assert killed >= 3 and not runner.exception()  # connections were cut, it lived
        for chat in chats:
            texts = [m.text for m in api.sent_messages(chat)]
            assert list(dict.fromkeys(texts)) == [f"{chat}:{n}" for n in range(3)]
            assert len(texts) <= 4  # at most one repeat
        assert await outbox.counts() == {"sent": 120}
