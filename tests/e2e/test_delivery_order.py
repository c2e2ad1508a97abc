"""Issue 17 against the fake Bot API: urgent alerts first, threads as replies, paid broadcast
within its budget, broadcast channels; and issue 16's long merged alerts split whole."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot

from bot.alerts.pipeline import AlertPipeline
from bot.app import broadcast_bot
from bot.config import Settings
from bot.delivery import sender as sender_module
from bot.delivery.channels import resolve_channels
from bot.delivery.priority import Priority
from bot.delivery.sender import Sender
from bot.feed.market_feed import MarketFeed
from bot.market.models import TickResult, Venue, VenueResult
from bot.rules.grammar import parse_rule
from bot.rules.matcher import Firing, WatchRule
from bot.runtime.metrics import Metrics
from storage.db import make_session_factory
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from storage.repositories.rules import RuleRepository
from storage.repositories.snapshots import SnapshotRepository
from tests.conftest import watch_service
from tests.e2e.conftest import start_bot
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.storage.test_alert_pipeline import NOW, history

TOKEN = "123456:TEST"


async def _nothing(*_: int) -> None:
    return None


@asynccontextmanager
async def sending(
    engine: AsyncEngine, *, limits: bool = False, **options: object
) -> AsyncIterator[tuple[FakeTelegramAPI, OutboxRepository, Sender]]:
    """The fake Bot API (enforcing Telegram's rates if `limits`), the outbox and a sender on
    the bot `oiwatch run` gives it (behind the rate limiter)."""
    async with FakeTelegramAPI(TOKEN, enforce_limits=limits) as api:
        bot = broadcast_bot(Settings(telegram_token=TOKEN, telegram_api_url=api.base_url))
        await bot.initialize()
        outbox = OutboxRepository(make_session_factory(engine))
        sender = Sender(bot, outbox, on_chat_gone=_nothing, on_chat_migrated=_nothing, **options)  # type: ignore[arg-type]
        try:
            yield api, outbox, sender
        finally:
            await bot.shutdown()


async def _drain(sender: Sender, outbox: OutboxRepository, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await sender.drain_once()
        counts = await outbox.counts()
        if not counts.get("pending") and not counts.get("sending"):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"still queued: {await outbox.counts()}")


def _alert(chat: int, key: str, text: str, **fields: object) -> OutgoingAlert:
    return OutgoingAlert(chat, key, text, **fields)  # type: ignore[arg-type]


async def test_an_urgent_alert_queued_after_50_normal_ones_is_sent_first(
    engine: AsyncEngine,
) -> None:
    async with sending(engine, batch=1) as (api, outbox, sender):
        now = datetime.now(UTC)
        await outbox.enqueue([_alert(c, f"n{c}", f"normal {c}") for c in range(1, 51)], now)
        await outbox.enqueue([_alert(51, "u", "squeeze!", priority=Priority.URGENT)], now)
        await sender.drain_once()
        assert [m.text for m in api.sent_messages()] == ["squeeze!"]
        await sender.drain_once()
        assert [m.text for m in api.sent_messages()][1:] == ["normal 1"]  # then by age


async def test_a_threads_second_message_is_a_reply_to_the_first(engine: AsyncEngine) -> None:
    async with sending(engine) as (api, outbox, sender):
        thread = "BTC:long_squeeze:2026-11-24T11:40"
        await outbox.enqueue([_alert(7, "a", "early", thread=thread)], datetime.now(UTC))
        await _drain(sender, outbox)
    # A new sender (a restart, another leader) still finds the thread's first message.
    async with sending(engine) as (api, outbox, sender):
        await outbox.enqueue(
            [
                _alert(7, "b", "confirmed", thread=thread, silent=True),
                _alert(7, "c", "other cascade", thread="ETH:short_squeeze:x"),
            ],
            datetime.now(UTC),
        )
        await _drain(sender, outbox)
        confirmed, other = api.sent_messages(7)
        [first] = [r for r in await outbox.messages(7) if r.text == "early"]
        assert (confirmed.reply_to, confirmed.silent) == (first.message_id, True)
        assert (other.reply_to, other.silent) == (None, False)
        assert first.message_id is not None
        assert api.calls("sendMessage")[-2].params["reply_parameters"] == {
            "message_id": first.message_id,
            "allow_sending_without_reply": True,
        }


async def test_a_stage_whose_thread_start_is_gone_still_arrives(engine: AsyncEngine) -> None:
    """The early warning deleted and Telegram refusing the reply to it ('message to be replied
    not found'): the confirmation was marked dead, a trader in the squeeze never saw it."""
    async with sending(engine) as (api, outbox, sender):
        thread = "BTC:long_squeeze:2026-11-24T11:40"
        await outbox.enqueue([_alert(7, "a", "early", thread=thread)], datetime.now(UTC))
        await _drain(sender, outbox)
        api.fail_next(
            "sendMessage", status=400, description="Bad Request: message to be replied not found"
        )
        await outbox.enqueue([_alert(7, "b", "confirmed", thread=thread)], datetime.now(UTC))
        await _drain(sender, outbox)
        assert [(m.text, m.reply_to) for m in api.sent_messages(7)] == [
            ("early", None),
            ("confirmed", None),
        ]
        assert await outbox.counts() == {"sent": 2}


async def test_a_paid_budget_that_runs_out_falls_back_to_the_free_rate_without_a_429(
    engine: AsyncEngine,
) -> None:
    """150 urgent alerts, a budget of 60: 60 go paid (allow_paid_broadcast, past 30/s), 90 at
    the free 30/s; the fake enforces both rates and answers no 429; the spent budget survives
    a new sender. (How fast paid goes is bench/bench_fanout.py's figure, not a timed test.)"""
    metrics = Metrics()
    async with sending(
        engine, limits=True, paid_per_day=60, on_delivered=metrics.observe_delivery
    ) as (api, outbox, sender):
        urgent = [
            _alert(c, f"u{c}", f"squeeze {c}", priority=Priority.URGENT) for c in range(1, 151)
        ]
        await outbox.enqueue(urgent, datetime.now(UTC))
        started = time.monotonic()
        await _drain(sender, outbox, timeout=20)
        elapsed = time.monotonic() - started
        sent = api.sent_messages()
        assert len({m.chat_id for m in sent}) == 150 and api.rate_limited == 0
        assert [m.paid for m in sent] == [True] * 60 + [False] * 90  # paid first, then free
        assert sender.stats.paid == 60 and sender.budget is not None
        assert sender.budget.spent == 60
        assert elapsed >= 90 / 30 - 0.2  # the rest at the free rate
        scrape = metrics.render().decode()
        assert 'oiwatch_alert_delivery_seconds_count{priority="urgent"} 150.0' in scrape
    async with sending(engine, limits=True, paid_per_day=60) as (api, outbox, sender):
        await outbox.enqueue(
            [_alert(500, "late", "one more", priority=Priority.URGENT)], datetime.now(UTC)
        )
        await _drain(sender, outbox)
        assert [m.paid for m in api.sent_messages()] == [False]  # today's budget is spent


@asynccontextmanager
async def paid_batches_of_10(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, chats: int
) -> AsyncIterator[tuple[FakeTelegramAPI, OutboxRepository, Sender]]:
    """An urgent alert queued for chats 1..`chats`, paid in batches of 10; Telegram takes 1 s
    to answer chat 1's."""
    monkeypatch.setattr(sender_module, "PAID_BATCH", 10)
    async with sending(engine, paid_per_day=1000) as (api, outbox, sender):
        api.fail_next("sendMessage", status=200, delay_s=1.0, chat_id=1)
        urgent = [
            _alert(c, f"u{c}", f"squeeze {c}", priority=Priority.URGENT)
            for c in range(1, chats + 1)
        ]
        await outbox.enqueue(urgent, datetime.now(UTC))
        yield api, outbox, sender


async def test_a_slow_answer_holds_back_no_urgent_alert_of_the_next_paid_batch(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paid urgent alerts in batches of 10: while one batch is in flight the next is already
    claimed and sending, so Telegram taking 1 s over chat 1's alert delays only its own batch's
    write, and chats 11-20 hear of the squeeze before chat 1 does."""
    async with paid_batches_of_10(engine, monkeypatch, 30) as (api, outbox, sender):
        assert await sender.drain_once() == 30
        at = {m.chat_id: m.at for m in api.sent_messages()}
        assert sorted(at) == list(range(1, 31)) and all(m.paid for m in api.sent_messages())
        assert max(at[c] for c in range(11, 21)) < at[1]
        assert await outbox.counts() == {"sent": 30}


async def test_stopping_mid_broadcast_ends_after_the_batches_under_way(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 paid urgent alerts in batches of 10, stopped while the second batch is out and the
    first waits on a slow answer: those 20 are sent and written, the other 80 stay queued for
    the next leader, nothing is left `sending`."""
    async with paid_batches_of_10(engine, monkeypatch, 100) as (api, outbox, sender):
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop, asyncio.Event()))
        await api.wait_for(lambda: any(m.chat_id == 11 for m in api.sent_messages()), timeout=5)
        stop.set()
        await asyncio.wait_for(running, 5)
        assert sorted(m.chat_id for m in api.sent_messages()) == list(range(1, 21))
        assert await outbox.counts() == {"sent": 20, "pending": 80}


@pytest.mark.parametrize("late", [timedelta(0), timedelta(hours=2)], ids=["on-time", "late"])
async def test_200_firings_for_one_chat_arrive_split_between_whole_alerts(
    engine: AsyncEngine, late: timedelta
) -> None:
    """Issue 16: 200 firings in one tick made one 23,491-character message that Telegram
    refused (400) and the sender marked dead. Now: messages under 4,096 characters, each
    firing whole in exactly one of them, in order, all delivered. Sent two hours late, each
    message leads with the delayed line and there are no more of them: the parts leave it
    room."""
    text = "BTC funding > 0.05% on bybit"
    rules = RuleRepository(make_session_factory(engine))
    stored = [await rules.add(7, 7, text, NOW, cap=200) for _ in range(200)]
    firings = [
        Firing(WatchRule(row.id, 7, parse_rule(text)), "BTC", 0.0008, 0.0005) for row in stored
    ]
    alerts = AlertPipeline._chat_alerts(7, firings, {}, {"BTC": 30.0}, "20261124T120000", NOW)
    steps = iter(range(10**6))

    def fast_clock() -> datetime:  # per-chat pacing passes at once
        return NOW + late + timedelta(seconds=2 * next(steps))

    async with sending(engine, clock=fast_clock) as (api, outbox, sender):
        await outbox.enqueue(alerts, NOW)
        await _drain(sender, outbox, timeout=30)
        texts = [m.text for m in api.sent_messages(7)]
    assert len(texts) == 7
    assert all(len(t) <= 4096 for t in texts)
    assert await outbox.counts() == {"sent": 7}
    ids = [int(i) for t in texts for i in re.findall(r"crossed \(#(\d+)\)", t)]
    assert ids == list(range(1, 201))
    delayed = [t.startswith("⏳ Delayed 2h") for t in texts]
    assert delayed == [bool(late)] * 7
    for t in texts:
        lines = t.split("\n")[1 if late else 0 :]
        assert len(lines) % 2 == 0 and all("crossed" in line for line in lines[::2])
        assert t.count("<b>") == t.count("</b>")


async def test_a_warning_goes_once_to_the_broadcast_channel_and_privately_to_subscribers(
    engine: AsyncEngine,
) -> None:
    sessions = make_session_factory(engine)
    snapshots = SnapshotRepository(sessions)
    await snapshots.save(history(crash_on={Venue.BINANCE, Venue.BYBIT}))
    market = MarketFeed(snapshots, None, {"BTC"}, clock=lambda: NOW)
    market.last_tick = TickResult(
        {v: VenueResult(v, (), False, None, 1, 0.1, NOW) for v in (Venue.BINANCE, Venue.BYBIT)}
    )
    watch = watch_service(sessions)
    await watch.add(101, 101, "* squeeze", NOW)
    await watch.add(102, 102, "BTC squeeze", NOW)
    # The sender's clock is the tick's: sent within the minute, not late.
    async with sending(engine, limits=True, clock=lambda: NOW) as (api, outbox, sender):
        api.set_chat(-1001500, type="channel", title="oiwatch all", username="oiwatch_all")
        bot: Bot = sender.bot
        channels = await resolve_channels(bot, {"*": "@oiwatch_all", "ETH": "@no_such_chan"})
        assert channels == {"*": -1001500, "ETH": -1000000000013}
        pipeline = AlertPipeline(
            market,
            watch.watched,
            outbox,
            asyncio.Event(),
            clock=lambda: NOW,
            channels={"*": -1001500},
        )
        assert await pipeline.after_poll() == 3
        assert await pipeline.after_poll() == 0  # the same cascade next tick: no news
        await _drain(sender, outbox)
        [post] = api.sent_messages(-1001500)
        assert post.text.startswith("🚨 <b>BTC long squeeze in progress")
        assert "rule #" not in post.text
        for chat in (101, 102):
            [private] = api.sent_messages(chat)
            assert "BTC long squeeze in progress" in private.text
        assert {r.priority for c in (-1001500, 101, 102) for r in await outbox.messages(c)} == {
            "urgent"
        }
        assert api.rate_limited == 0


async def test_watch_squeeze_in_private_names_the_channel_as_the_fast_path(
    tmp_path: Path,
) -> None:
    async with start_bot(tmp_path, broadcast_channels="BTC=@oiwatch_btc,*=@oiwatch_all") as bot:
        reply = await bot.ask("/watch * squeeze")
        assert "rule #1" in reply
        assert reply.endswith(
            "Fast path: join @oiwatch_all: joins are instant; private alerts queue behind "
            "Telegram's 30/s limit when many people subscribe. Your private alert stays on."
        )
        assert "join @oiwatch_btc:" in await bot.ask("/watch BTC squeeze")
        assert "Fast path" not in await bot.ask("/watch BTC funding > 0.05%")
        assert "Fast path" not in await bot.ask("/watch ETH squeeze", chat_id=-500, user_id=9)


SENT_AT = datetime(2026, 12, 2, 15, 57, tzinfo=UTC)
FRESH = "🔔 <b>SOL OI +5% in 1h</b>"
SQUEEZE = "🚨 <b>BTC likely long squeeze starting</b>\n<i>OI -4.1% in 15m, price -2.3%</i>"


def _running_from(start: datetime) -> Callable[[], datetime]:
    """A clock at `start` when made, running at the real pace (per-chat gaps pass as usual)."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


async def test_an_alert_sent_long_after_its_evidence_says_so_in_its_first_line(
    engine: AsyncEngine,
) -> None:
    """A backlog sends at 15:57 what was seen at 14:05: Telegram would show 15:57, so the
    alert says it first. One seen 10 s ago, and a quiet-hours digest (late on purpose, each
    alert with its held time), go as they were written; a late stage replying to its thread's
    first message is marked too."""
    settings = ChatSettingsRepository(make_session_factory(engine))
    thread = "BTC:long_squeeze:2026-12-02T14:05"
    async with sending(engine, clock=_running_from(SENT_AT), chat_settings=settings) as (
        api,
        outbox,
        sender,
    ):
        await outbox.hold(
            _alert(8, "held", "<i>03:10</i> 🔔 <b>ETH funding &gt; 0.05%</b>"),
            SENT_AT - timedelta(minutes=1),
            SENT_AT - timedelta(hours=5),
            into="digest:8:20261202T1556",
            header="🌙 <b>Held during quiet hours</b> (23:00–07:00 UTC)",
        )
        await outbox.enqueue([_alert(9, "start", "early", thread=thread)], SENT_AT)
        await _drain(sender, outbox)
        seen = SENT_AT - timedelta(hours=1, minutes=52)
        await outbox.enqueue(
            [
                _alert(7, "late", SQUEEZE, priority=Priority.URGENT, seen_at=seen),
                _alert(7, "fresh", FRESH, seen_at=SENT_AT - timedelta(seconds=10)),
                _alert(9, "stage", "confirmed", thread=thread, seen_at=seen),
            ],
            SENT_AT,
        )
        await _drain(sender, outbox)
    line = "⏳ Delayed 1h 52m: seen at 14:05 UTC; the numbers are from then."
    assert [m.text for m in api.sent_messages(7)] == [f"{line}\n{SQUEEZE}", FRESH]
    [digest] = api.sent_messages(8)
    assert digest.text == (
        "🌙 <b>Held during quiet hours</b> (23:00–07:00 UTC)\n\n"
        "<i>03:10</i> 🔔 <b>ETH funding &gt; 0.05%</b>"
    )
    first, stage = api.sent_messages(9)
    assert (stage.text, stage.reply_to) == (f"{line}\nconfirmed", first.message_id)


async def test_a_late_alert_reads_in_the_chats_language_and_zone(engine: AsyncEngine) -> None:
    settings = ChatSettingsRepository(make_session_factory(engine))
    await settings.save(ChatSettings(chat_id=-1007, timezone="Europe/Moscow", language="ru"))
    async with sending(engine, clock=_running_from(SENT_AT), chat_settings=settings) as (
        api,
        outbox,
        sender,
    ):
        seen = SENT_AT - timedelta(hours=2)
        await outbox.enqueue([_alert(-1007, "late", SQUEEZE, seen_at=seen)], SENT_AT)
        await _drain(sender, outbox)
    [sent] = api.sent_messages(-1007)
    assert sent.text == (
        "⏳ Задержано на 2 ч: замечено в 16:57 Europe/Moscow; цифры на тот момент.\n" + SQUEEZE
    )


async def test_a_late_full_message_goes_in_two_parts_the_line_once(engine: AsyncEngine) -> None:
    """A row written full before the room for the line was kept: the line still counts
    against the 4,096 characters, so the message is split between its alerts, the line in
    the first part, the buttons under the last, and the thread replies to the first."""
    alert = "🔔 <b>BTC funding &gt; 0.05%</b>\n" + "x" * 1990
    text = f"{alert}\n\n{alert}"  # 4,054 characters
    markup = '{"inline_keyboard": [[{"text": "Mute", "callback_data": "mute:1"}]]}'
    async with sending(engine, clock=_running_from(SENT_AT)) as (api, outbox, sender):
        seen = SENT_AT - timedelta(minutes=6)
        await outbox.enqueue([_alert(7, "full", text, reply_markup=markup, seen_at=seen)], SENT_AT)
        await _drain(sender, outbox)
        [row] = await outbox.messages(7)
    first, second = api.sent_messages(7)
    line = "⏳ Delayed 6m: seen at 15:51 UTC; the numbers are from then."
    assert (first.text, second.text) == (f"{line}\n{alert}", alert)
    assert (first.reply_markup, second.reply_markup is not None) == (None, True)
    assert row.message_id == first.message_id
