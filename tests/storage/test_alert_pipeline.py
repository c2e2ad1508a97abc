"""Stored snapshots -> engine -> matcher -> outbox, for built-in squeeze rules, per venue too."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.observations import LivePoint
from bot.alerts.pipeline import TRACKER_STATE, AlertPipeline
from bot.alerts.render import DIGEST_FULL
from bot.alerts.saved_tracker import SavedTracker
from bot.feed.market_feed import MarketFeed
from bot.i18n import N_
from bot.market.klines import KlineMinute
from bot.market.models import Snapshot, TickResult, Venue, VenueResult
from bot.market.reasons import reason
from bot.positions.marks import marks_by_venue
from bot.usecases.watches import WatchService
from storage.db import SessionFactory, make_session_factory
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import Accepted, OutboxRepository, OutgoingAlert
from storage.repositories.saved_state import SavedStateRepository
from storage.repositories.snapshots import LiquidationFlow, SnapshotRepository
from tests.conftest import watch_service

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def snap(venue: Venue, ts: datetime, price: float, oi: float) -> Snapshot:
    return Snapshot(
        venue=venue,
        symbol="BTCUSDT",
        asset="BTC",
        inverse=False,
        ts=ts,
        mark=D(str(price)),
        index=D(str(price)),
        last=None,
        oi_contracts=D(str(oi)),
        oi_coin=D(str(oi)),
        oi_usd=D(str(oi * price)),
        funding_rate=D("0.0001"),
        funding_interval_hours=8,
        next_funding_time=None,
        volume_24h_coin=None,
        volume_24h_usd=None,
    )


def history(crash_on: set[Venue]) -> list[Snapshot]:
    """Two hours of calm 5-minute snapshots, then 20 minutes of cascade on some venues."""
    points = []
    for i in range(24 + 5):
        ts = NOW - timedelta(minutes=5 * (28 - i))
        for venue in (Venue.BINANCE, Venue.BYBIT):
            crashing = venue in crash_on and i >= 24
            step = i - 23 if crashing else 0
            price = 60000 * (1 - 0.02 * step) * (1 + 0.0005 * (i % 3 - 1))
            oi = 90000 * (1 - 0.025 * step) * (1 + 0.0004 * (i % 4 - 1.5))
            points.append(snap(venue, ts, price, oi))
    return points


async def test_squeeze_rules_fire_aggregated_and_per_venue(engine: AsyncEngine) -> None:
    sessions = make_session_factory(engine)
    snapshots = SnapshotRepository(sessions)
    await snapshots.save(history(crash_on={Venue.BYBIT}))
    market = MarketFeed(snapshots, None, {"BTC"}, clock=lambda: NOW)
    market.last_tick = TickResult(
        {v: VenueResult(v, (), False, None, 1, 0.1, NOW) for v in (Venue.BINANCE, Venue.BYBIT)}
    )
    watch = watch_service(sessions)
    await watch.add(101, 101, "BTC squeeze on bybit", NOW)
    await watch.add(102, 102, "BTC squeeze on binance", NOW)
    await watch.add(103, 103, "* squeeze", NOW)
    outbox = OutboxRepository(sessions)
    wake = asyncio.Event()
    pipeline = AlertPipeline(market, watch.watched, outbox, wake, clock=lambda: NOW)

    queued = await pipeline.after_poll()

    assert queued == 2 and wake.is_set()
    [bybit_alert] = await outbox.messages(101)
    assert "BTC on bybit long squeeze in progress" in bybit_alert.text
    assert "rule #1" in bybit_alert.text
    assert await outbox.messages(102) == []  # binance was calm
    [aggregate] = await outbox.messages(103)
    assert "BTC long squeeze in progress" in aggregate.text  # half the market crashed
    # The same cascade on the next tick is not news.
    assert await pipeline.after_poll() == 0


async def test_percentile_rules_fire_against_the_assets_own_history(engine: AsyncEngine) -> None:
    """`funding > p95`: a week of funding at 0.01 % with one bar in 25 (4 %) at 0.02 %, so the
    p95 level is 0.01 % and p99 0.02 %: funding now at 0.03 % fires both; `funding < p5`
    (0.01 %) does not."""
    sessions = make_session_factory(engine)
    snapshots = SnapshotRepository(sessions)
    week = []
    bars = 7 * 288
    for i in range(bars):
        ts = NOW - timedelta(minutes=5 * (bars - i))
        rate = "0.0002" if i % 25 == 0 else "0.0001"
        week.append(replace(snap(Venue.BINANCE, ts, 60000, 90000), funding_rate=D(rate)))
    week.append(replace(snap(Venue.BINANCE, NOW, 60000, 90000), funding_rate=D("0.0003")))
    await snapshots.save(week)
    market = MarketFeed(snapshots, None, {"BTC"}, clock=lambda: NOW)
    market.last_tick = TickResult(
        {Venue.BINANCE: VenueResult(Venue.BINANCE, (), False, None, 1, 0.1, NOW)}
    )
    watch = watch_service(sessions)
    await watch.add(201, 201, "BTC funding > p95", NOW)
    await watch.add(202, 202, "BTC funding > p99", NOW)
    await watch.add(203, 203, "BTC funding < p5", NOW)
    outbox = OutboxRepository(sessions)
    pipeline = AlertPipeline(market, watch.watched, outbox, asyncio.Event(), clock=lambda: NOW)

    assert await pipeline.after_poll() == 2
    [p95] = await outbox.messages(201)
    assert "now +0.0300% per 8h vs its p95 +0.0100% per 8h" in p95.text
    [p99] = await outbox.messages(202)
    assert "vs its p99 +0.0200% per 8h" in p99.text
    assert await outbox.messages(203) == []


async def test_a_degraded_venue_is_named_as_replies_name_it(engine: AsyncEngine) -> None:
    """A chat with a rule on OKX hears once that OKX is failing, in /oi's 'Left out' words:
    the venue, since when and why, in the chat's language."""
    sessions = make_session_factory(engine)
    clock = [NOW]
    market = MarketFeed(SnapshotRepository(sessions), None, {"BTC"}, clock=lambda: clock[0])
    watch = watch_service(sessions)
    okx = await watch.add(301, 301, "BTC funding > 0.05% on okx", NOW)
    await watch.add(302, 302, "BTC funding > 0.05% on binance", NOW)
    await watch.add(303, 303, "BTC funding > 0.05% on okx", NOW)
    settings = ChatSettingsRepository(sessions)
    await settings.save(ChatSettings(chat_id=303, language="ru"))
    outbox = OutboxRepository(sessions)
    pipeline = AlertPipeline(
        market,
        watch.watched,
        outbox,
        asyncio.Event(),
        clock=lambda: clock[0],
        chat_settings=settings,
    )
    for minute in (0, 1):  # failing since 12:00, still failing at 12:01: one notice
        clock[0] = NOW + timedelta(minutes=minute)
        server_error = reason(N_("server error {status}"), status=500)
        failed = VenueResult(Venue.OKX, (), True, server_error, 1, 0.1, clock[0])
        await market.take(failed)
        market.last_tick = TickResult({Venue.OKX: failed})
        await pipeline.after_poll()
    [notice] = await outbox.messages(301)
    assert notice.text == (
        "⚠️ Data degraded: okx since 12:00 UTC (server error 500). Rules on it wait for good "
        "data; nothing is alerted from partial numbers."
    )
    assert notice.rules == (okx.id,)  # about that rule: unlinking its channel drops it
    assert await outbox.messages(302) == []
    [russian] = await outbox.messages(303)
    assert russian.text == (
        "⚠️ Данные неполные: okx с 12:00 UTC (ошибка сервера 500). Правила по ним ждут "
        "нормальных данных; по неполным цифрам уведомлений не будет."
    )


async def crash_with_funding_spike(sessions: SessionFactory) -> MarketFeed:
    """A cascade on both venues whose last Bybit snapshot also pays 0.08 % funding."""
    snapshots = SnapshotRepository(sessions)
    crash = history(crash_on={Venue.BINANCE, Venue.BYBIT})
    crash[-1] = replace(crash[-1], funding_rate=D("0.0008"))
    await snapshots.save(crash)
    market = MarketFeed(snapshots, None, {"BTC"}, clock=lambda: NOW)
    market.last_tick = TickResult(
        {v: VenueResult(v, (), False, None, 1, 0.1, NOW) for v in (Venue.BINANCE, Venue.BYBIT)}
    )
    return market


QUIET_HEADER = "🌙 <b>Held during quiet hours</b> (12:30–14:00 Europe/Berlin)"
CROSSED_005, CROSSED_003 = [
    f"<i>13:00</i> 🔔 <b>BTC funding &gt; 0.0{n}% on bybit</b> crossed (#{rule})\n"
    f"now +0.0800% per 8h vs +0.0{n}00% per 8h · bybit · data 0s old"
    for n, rule in ((5, 2), (3, 3))
]


async def _quiet_hours(sessions: SessionFactory) -> Callable[[WatchService], AlertPipeline]:
    """Chat 301's quiet hours, 12:30-14:00 in Berlin, over the funding spike: a pipeline that
    runs the tick at NOW (13:00 there) for these rules (a restarted bot builds another)."""
    market = await crash_with_funding_spike(sessions)
    settings = ChatSettingsRepository(sessions)
    await settings.save(
        ChatSettings(chat_id=301, timezone="Europe/Berlin", quiet_start=750, quiet_end=840)
    )
    return lambda watch: AlertPipeline(
        market,
        watch.watched,
        watch.outbox,
        asyncio.Event(),
        clock=lambda: NOW,
        chat_settings=settings,
    )


async def test_quiet_hours_hold_all_but_squeezes_for_one_digest(engine: AsyncEngine) -> None:
    """NOW is 12:00 UTC = 13:00 in Berlin, inside quiet hours 12:30-14:00 local: the squeeze
    rings at once, the funding alert waits for the digest due at 14:00 local (13:00 UTC), and
    the held digest never blocks the chat's urgent alerts."""
    sessions = make_session_factory(engine)
    pipeline_for = await _quiet_hours(sessions)
    watch = watch_service(sessions)
    await watch.add(301, 301, "BTC squeeze", NOW)
    await watch.add(301, 301, "BTC funding > 0.03% on bybit", NOW)
    pipeline, outbox = pipeline_for(watch), watch.outbox

    assert await pipeline.after_poll() == 1
    ringing, held = await outbox.messages(301)
    assert "long squeeze in progress" in ringing.text and "crossed" not in ringing.text
    assert "data 0s old" in ringing.text  # the live bar is fresh, never "-300s"
    assert held.status == "held" and held.due_at == NOW + timedelta(hours=1)
    assert held.text.startswith(
        "🌙 <b>Held during quiet hours</b> (12:30–14:00 Europe/Berlin)\n\n<i>13:00</i> 🔔"
    )
    assert "BTC funding &gt; 0.03% on bybit</b> crossed" in held.text
    [claimed] = await outbox.claim(NOW, limit=10)  # the squeeze goes; the digest waits
    assert claimed.id == ringing.id
    assert await outbox.release_held(NOW + timedelta(minutes=59)) == 0
    assert await outbox.release_held(NOW + timedelta(hours=1)) == 1
    await outbox.mark_sent(ringing.id, NOW)
    [digest] = await outbox.claim(NOW + timedelta(hours=1), limit=10)
    assert digest.id == held.id


async def test_a_rule_removed_in_quiet_hours_leaves_the_digest_and_the_rest_still_goes(
    engine: AsyncEngine,
) -> None:
    """Two funding rules cross in the same quiet tick; one is removed before the digest is
    due: its crossing leaves the digest, the other's goes. The squeeze that rang is being
    sent when its rule is removed too, and Telegram takes it: it stays sent."""
    sessions = make_session_factory(engine)
    pipeline_for = await _quiet_hours(sessions)
    watch = watch_service(sessions)
    squeeze, high, _low = [
        await watch.add(301, 301, rule, NOW)
        for rule in ("BTC squeeze", "BTC funding > 0.05% on bybit", "BTC funding > 0.03% on bybit")
    ]
    outbox = watch.outbox
    assert await pipeline_for(watch).after_poll() == 1
    [ringing] = await outbox.claim(NOW, limit=10)
    assert await watch.remove(301, squeeze.id) == 1
    assert await watch.remove(301, high.id) == 1
    await outbox.mark_sent(ringing.id, NOW)

    assert await outbox.release_held(NOW + timedelta(hours=1)) == 1
    [digest] = await outbox.claim(NOW + timedelta(hours=1), limit=10)
    assert digest.text == f"{QUIET_HEADER}\n\n{CROSSED_003}"
    assert [m.status for m in await outbox.messages(301)] == ["sent", "sending"]


async def test_a_rule_changed_while_its_tick_runs_gets_no_alert_of_its_old_threshold(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick matched funding 0.08 % over rules at 0.05 %, and before it stored its alerts the
    traders moved two of them to 0.09 % (/edit, an edited /watch), which dropped what was
    queued of them: the tick's alerts of the old thresholds, queued or held for the digest,
    come too late and are not stored. The rules it matched as they still are get theirs, a
    rule retyped as it was too."""
    sessions = make_session_factory(engine)
    pipeline_for = await _quiet_hours(sessions)  # chat 301 is in quiet hours
    watch = watch_service(sessions)
    held_edited, held_kept = [
        await watch.add(301, 301, f"BTC funding > 0.0{n}% on bybit", NOW) for n in (5, 3)
    ]
    queued_edited = await watch.add(302, 302, "BTC funding > 0.05% on bybit", NOW)
    retyped = await watch.add(303, 303, "BTC funding > 0.05% on bybit", NOW)
    pipeline, outbox = pipeline_for(watch), watch.outbox
    enqueue = outbox.enqueue

    async def rules_changed_first(alerts: list[OutgoingAlert], now: datetime) -> int:
        if alerts:  # the tick's alerts, matched on the rules as they were
            assert await watch.edit(301, held_edited.id, "0.09%", NOW) is not None
            assert await watch.replace(302, queued_edited.id, "btc funding >0.09% on bybit", NOW)
            assert await watch.replace(303, retyped.id, "btc funding >0.05% on bybit", NOW)
        return await enqueue(alerts, now)

    monkeypatch.setattr(outbox, "enqueue", rules_changed_first)
    assert await pipeline.after_poll() == 1

    assert await outbox.messages(302) == []
    [kept] = await outbox.messages(303)
    assert (kept.status, kept.rules) == ("pending", (retyped.id,))
    assert "BTC funding &gt; 0.05% on bybit</b> crossed" in kept.text
    [digest] = await outbox.messages(301)
    assert (digest.status, digest.rules) == ("held", (held_kept.id,))
    assert digest.text == f"{QUIET_HEADER}\n\n" + CROSSED_003.replace("(#3)", "(#2)")
    assert [r.text for r in await watch.list(302)] == ["BTC funding > 0.09% on bybit"]


async def test_a_rule_changed_while_its_tick_runs_leaves_the_message_it_shares(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One tick matched two rules of a chat, one message of both; before it was stored the
    trader moved one to 0.09 %: the message goes with the other's line and buttons only."""
    sessions = make_session_factory(engine)
    pipeline_for = await _quiet_hours(sessions)
    watch = watch_service(sessions)
    edited, kept = [
        await watch.add(304, 304, f"BTC funding > 0.0{n}% on bybit", NOW) for n in (5, 3)
    ]
    pipeline, outbox = pipeline_for(watch), watch.outbox
    enqueue = outbox.enqueue

    async def rule_changed_first(alerts: list[OutgoingAlert], now: datetime) -> int:
        if alerts:
            assert await watch.edit(304, edited.id, "0.09%", NOW) is not None
        return await enqueue(alerts, now)

    monkeypatch.setattr(outbox, "enqueue", rule_changed_first)
    assert await pipeline.after_poll() == 1

    [message] = await outbox.messages(304)
    assert (message.status, message.rules) == ("pending", (kept.id,))
    assert message.text == CROSSED_003.removeprefix("<i>13:00</i> ").replace(
        "(#3)", f"(#{kept.id})"
    )
    assert message.reply_markup is not None
    assert json.loads(message.reply_markup)["inline_keyboard"] == [
        [{"text": "📈 BTC", "callback_data": "chart:BTC"}],
        [
            {"text": f"🔕 1h #{kept.id}", "callback_data": f"rule:mute:1h:{kept.id}"},
            {"text": f"🗑 #{kept.id}", "callback_data": f"rule:del:{kept.id}"},
        ],
    ]


async def test_a_tick_run_again_after_a_crash_holds_its_alerts_once(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot died after the tick's alerts were stored, before the rules' states were: the
    restarted bot runs the same tick again. The squeeze is queued once, and the digest holds
    each of the two crossings once."""
    sessions = make_session_factory(engine)
    pipeline_for = await _quiet_hours(sessions)
    watch = watch_service(sessions)
    for rule in ("BTC squeeze", "BTC funding > 0.05% on bybit", "BTC funding > 0.03% on bybit"):
        await watch.add(301, 301, rule, NOW)

    async def died(rule_ids: set[int]) -> None:
        raise ConnectionResetError("the bot died here")

    monkeypatch.setattr(watch.watched, "persist_states", died)
    with pytest.raises(ConnectionResetError):
        await pipeline_for(watch).after_poll()
    first = [(m.status, m.text) for m in await watch.outbox.messages(301)]
    assert [status for status, _text in first] == ["pending", "held"]
    assert first[1][1] == f"{QUIET_HEADER}\n\n{CROSSED_005}\n\n{CROSSED_003}"
    restarted = watch_service(sessions)
    await restarted.watched.load()
    assert await pipeline_for(restarted).after_poll() == 0

    assert [(m.status, m.text) for m in await watch.outbox.messages(301)] == first


async def test_a_digest_collects_alerts_until_one_message_is_full(engine: AsyncEngine) -> None:
    outbox = OutboxRepository(make_session_factory(engine))
    due = NOW + timedelta(hours=6)
    for n in range(200):
        alert = OutgoingAlert(5, f"held:{n}", f"alert {n:03d} " + "x" * 30)
        await outbox.hold(alert, due, NOW, into="digest:5", full=DIGEST_FULL)
    [digest] = await outbox.messages(5)
    assert digest.text.startswith("alert 000") and "alert 090" in digest.text
    assert digest.text.endswith("/watches lists your rules.") and len(digest.text) <= 4096
    assert "alert 199" not in digest.text


@dataclass
class EarlyCascade:
    """Two calm hours on Binance, then the open bar falls 3 % with $6M of longs liquidated
    (0.11 % of OI) and OI not moved yet: the early stage, for chats watching `BTC squeeze`.
    Ticks come 30 s apart; a pipeline is the running bot (a restarted one builds another)."""

    sessions: SessionFactory
    snapshots: SnapshotRepository
    market: MarketFeed
    clock: list[datetime]

    @classmethod
    async def stored(cls, sessions: SessionFactory) -> EarlyCascade:
        cascade = await cls.before_the_crash(sessions)
        await cascade.crash()
        return cascade

    @classmethod
    async def before_the_crash(cls, sessions: SessionFactory) -> EarlyCascade:
        """The two calm hours only, 30 s after the last calm snapshot."""
        snapshots = SnapshotRepository(sessions)
        calm = [
            snap(Venue.BINANCE, NOW - timedelta(minutes=5 * (24 - i)), 60000, oi)
            for i, oi in enumerate(90000 * (1 + 0.0004 * (i % 4 - 1.5)) for i in range(24))
        ]
        await snapshots.save(calm)
        clock = [calm[-1].ts + timedelta(seconds=30)]
        market = MarketFeed(snapshots, None, {"BTC"}, clock=lambda: clock[0])
        market.last_tick = TickResult(
            {Venue.BINANCE: VenueResult(Venue.BINANCE, (), False, None, 1, 0.1, NOW)}
        )
        return cls(sessions, snapshots, market, clock)

    async def crash(self, *, kline: bool = False) -> None:
        """The open bar falls; with `kline`, the Binance kline stream also gives the minute's
        range and volume (900 BTC, 750 of it sold by takers). 30 s into the bar."""
        await self.snapshots.save([snap(Venue.BINANCE, NOW, 58200, 90000)])
        await self.snapshots.add_liquidations([LiquidationFlow("binance", "BTC", NOW, 6e6, 0, 20)])
        if kline:
            minute = KlineMinute("binance", "BTC", NOW, 60000, 60000, 58100, 58150, 900, 150)
            await self.snapshots.add_klines([minute])
        self.clock[0] = NOW + timedelta(seconds=30)

    def pipeline(self, watch: WatchService) -> AlertPipeline:
        return AlertPipeline(
            self.market,
            watch.watched,
            watch.outbox,
            asyncio.Event(),
            clock=lambda: self.clock[0],
            saved=SavedTracker(SavedStateRepository(self.sessions), TRACKER_STATE),
        )

    async def tick(self, pipeline: AlertPipeline, oi: float | None = None) -> int:
        """30 s later; with `oi`, a new snapshot at the same price with that OI."""
        self.clock[0] += timedelta(seconds=30)
        if oi is not None:
            await self.snapshots.save([snap(Venue.BINANCE, self.clock[0], 58200, oi)])
        return await pipeline.after_poll()

    async def calm(self, pipeline: AlertPipeline) -> list[int]:
        """Calm again, 5 minutes a bar, until the quiet half hour has passed: what each of
        the nine ticks queued."""
        queued = []
        for _ in range(9):
            self.clock[0] += timedelta(minutes=5)
            await self.snapshots.save([snap(Venue.BINANCE, self.clock[0], 60000, 90000)])
            queued.append(await pipeline.after_poll())
        return queued


EARLY = "🚨 <b>Early</b> · <b>BTC likely long squeeze starting: price -3.0% in 5 min"
CONFIRMED = "<b>Confirmed</b> · <b>BTC long squeeze in progress: OI -3.0% from its peak"
ESCALATED = (
    "<b>Escalated to extreme</b> · <b>BTC long squeeze intensifying (high → extreme): "
    "OI -10.0% from its peak"
)
OVER = "<b>Over</b> · <b>BTC long squeeze over after"
THREAD = "BTC:long_squeeze:20261124T1200"


async def test_a_cascade_is_one_thread_and_a_failed_tick_announces_its_stage_again(
    engine: AsyncEngine,
) -> None:
    """The first tick's outbox write fails: nothing was announced, so the next tick says the
    early stage, once. Then OI -3 % confirms it and OI -10 % escalates it, each a quiet reply
    in the event's thread."""
    sessions = make_session_factory(engine)
    cascade = await EarlyCascade.stored(sessions)
    watch = watch_service(sessions)
    await watch.add(401, 401, "BTC squeeze", NOW)
    outbox = watch.outbox
    pipeline = cascade.pipeline(watch)

    enqueue = outbox.enqueue

    async def down(*args: object, **kwargs: object) -> int:
        raise ConnectionError("database went away")

    outbox.enqueue = down  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await pipeline.after_poll()
    outbox.enqueue = enqueue  # type: ignore[method-assign]
    assert await cascade.tick(pipeline) == 1
    [early] = await outbox.messages(401)
    assert EARLY in early.text
    assert "longs liquidated $6.0M" in early.text and "rule #1" in early.text
    assert (early.thread, early.silent, early.priority) == (THREAD, False, "urgent")
    assert await cascade.tick(pipeline) == 0  # the same stage again is not news

    assert await cascade.tick(pipeline, oi=87300) == 1
    assert await cascade.tick(pipeline, oi=81000) == 1
    _, confirmed, escalated = await outbox.messages(401)
    assert CONFIRMED in confirmed.text
    assert ESCALATED in escalated.text
    for reply in (confirmed, escalated):
        assert (reply.thread, reply.silent) == (THREAD, True)

    # A chat that starts watching mid-event: its first message of the event rings.
    await watch.add(402, 402, "BTC squeeze", NOW)
    queued = await cascade.calm(pipeline)
    assert sum(queued) == 2 and max(queued) == 2  # the summary, once, to each chat
    [*_, over] = await outbox.messages(401)
    [joined] = await outbox.messages(402)
    assert OVER in joined.text
    assert (over.thread, over.silent) == (THREAD, True)
    assert (joined.thread, joined.silent) == (THREAD, False)


async def restarted(sessions: SessionFactory) -> WatchService:
    """The bot started again on the same database: its rules loaded, nothing else kept."""
    watch = watch_service(sessions)
    await watch.watched.load()
    return watch


async def test_a_restart_mid_cascade_replies_quietly_in_the_same_thread(
    engine: AsyncEngine,
) -> None:
    """The bot restarts after the early stage rang in two chats, one of which had it sent
    already: the confirmed stage is a quiet reply in the event's thread in both, and the
    event is not announced again as starting."""
    sessions = make_session_factory(engine)
    cascade = await EarlyCascade.stored(sessions)
    watch = watch_service(sessions)
    for chat in (401, 402):
        await watch.add(chat, chat, "BTC squeeze", NOW)
    assert await cascade.tick(cascade.pipeline(watch)) == 2
    now = cascade.clock[0]
    [sent] = [m for m in await watch.outbox.claim(now, limit=10) if m.chat_id == 401]
    await watch.outbox.mark_accepted([Accepted(sent.id, now, telegram_id=7001)])

    pipeline = cascade.pipeline(await restarted(sessions))
    assert await cascade.tick(pipeline, oi=87300) == 2

    for chat in (401, 402):
        early, confirmed = await watch.outbox.messages(chat)
        assert EARLY in early.text and CONFIRMED in confirmed.text
        assert [(m.thread, m.silent) for m in (early, confirmed)] == [
            (THREAD, False),
            (THREAD, True),
        ]
    assert await watch.outbox.thread_root(401, THREAD) == 7001  # the reply goes to it


async def test_a_restart_mid_cascade_continues_the_event_at_its_stage(
    engine: AsyncEngine,
) -> None:
    """The bot restarts after the confirmed stage: OI -10 % is still an escalation of the same
    event (high → extreme), not an event opening at its current severity, and the summary
    comes when it is over; each a quiet reply in the event's thread."""
    sessions = make_session_factory(engine)
    cascade = await EarlyCascade.stored(sessions)
    watch = watch_service(sessions)
    await watch.add(401, 401, "BTC squeeze", NOW)
    pipeline = cascade.pipeline(watch)
    assert await cascade.tick(pipeline) == 1
    assert await cascade.tick(pipeline, oi=87300) == 1

    pipeline = cascade.pipeline(await restarted(sessions))
    assert await cascade.tick(pipeline, oi=81000) == 1
    assert sum(await cascade.calm(pipeline)) == 1

    early, confirmed, escalated, over = await watch.outbox.messages(401)
    assert EARLY in early.text and CONFIRMED in confirmed.text
    assert ESCALATED in escalated.text
    # The whole move, measured from the stored calm bars the first tick took in: price back
    # at 60,000, OI 90,000 against 90,054 before the onset.
    assert over.text.startswith(
        "✅ <b>Over</b> · <b>BTC long squeeze over after 37 min; price 0.0% since onset; "
        "low -3.0%; OI -0.1% (-54 contracts, -3.2M USD notional); liquidated: longs 6.0M USD, "
        "shorts 0.0M USD</b>"
    )
    assert [(m.thread, m.silent) for m in (early, confirmed, escalated, over)] == [
        (THREAD, False),
        (THREAD, True),
        (THREAD, True),
        (THREAD, True),
    ]


async def test_a_saved_tracker_it_cannot_read_is_one_log_line_and_alerts_go_on(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """A document that is no JSON object (written by hand, or by another program) made every
    tick raise before it looked at the market, so no rule rang again until it was deleted."""
    sessions = make_session_factory(engine)
    cascade = await EarlyCascade.stored(sessions)
    watch = watch_service(sessions)
    await watch.add(401, 401, "BTC squeeze", NOW)
    await SavedStateRepository(sessions).save(TRACKER_STATE, "null", NOW)
    pipeline = cascade.pipeline(watch)
    with caplog.at_level(logging.WARNING):
        assert await cascade.tick(pipeline) == 1
        assert await cascade.tick(pipeline, oi=87300) == 1
    [early, confirmed] = await watch.outbox.messages(401)
    assert EARLY in early.text and CONFIRMED in confirmed.text
    # Warnings only: a test before this one may have turned on aiosqlite's debug lines.
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.getMessage(), r.exc_info) for r in warned] == [
        (
            "cascade tracker state not readable (document: Input should be an object): "
            "starting afresh",
            None,
        )
    ]


@pytest.mark.parametrize("restart", [False, True], ids=["uninterrupted", "restarted"])
async def test_a_restart_mid_cascade_measures_it_against_the_market_before_it(
    engine: AsyncEngine, restart: bool
) -> None:
    """The crash minute is the only one the kline stream gave volume for. The bot that ran
    through the calm took its usual from it; one restarted after the early stage took its
    usual from the series it found, the crash bar included, so the crash was its own usual
    volume and OI -3 %, then -10 %, confirmed and escalated nothing. Both now say the same."""
    sessions = make_session_factory(engine)
    cascade = await EarlyCascade.before_the_crash(sessions)
    watch = watch_service(sessions)
    await watch.add(401, 401, "BTC squeeze", NOW)
    pipeline = cascade.pipeline(watch)
    assert await pipeline.after_poll() == 0  # calm
    await cascade.crash(kline=True)
    assert await pipeline.after_poll() == 1

    if restart:
        pipeline = cascade.pipeline(await restarted(sessions))
    assert await cascade.tick(pipeline, oi=87300) == 1
    assert await cascade.tick(pipeline, oi=81000) == 1

    early, confirmed, escalated = await watch.outbox.messages(401)
    assert (
        "🚨 <b>Early</b> · <b>BTC likely long squeeze starting: price -3.1% in 5 min, OI -0.1%, "
        "longs liquidated $6.0M; longs are being forced out" in early.text
    )
    assert CONFIRMED in confirmed.text and ESCALATED in escalated.text
    assert [(m.thread, m.silent) for m in (early, confirmed, escalated)] == [
        (THREAD, False),
        (THREAD, True),
        (THREAD, True),
    ]


async def test_a_price_level_rings_with_the_mark_it_crossed(engine: AsyncEngine) -> None:
    """`BTC price > 100k` reads the price every answer uses (the venue with the most open
    interest: binance), `on bybit` bybit's own mark; a venue with no fresh mark rings nothing,
    and neither does a mark older than five minutes."""
    sessions = make_session_factory(engine)
    snapshots = SnapshotRepository(sessions)
    seen = NOW - timedelta(seconds=12)
    await snapshots.save(
        [snap(Venue.BINANCE, seen, 100250.5, 90000), snap(Venue.BYBIT, seen, 99800, 40000)]
    )
    clock = [NOW]
    market = MarketFeed(snapshots, None, {"BTC"}, clock=lambda: clock[0])
    market.last_tick = TickResult(
        {v: VenueResult(v, (), False, None, 1, 0.1, NOW) for v in (Venue.BINANCE, Venue.BYBIT)}
    )
    watch = watch_service(sessions)
    above = await watch.add(401, 401, "BTC price > 100k", NOW)
    await watch.add(402, 402, "BTC price > 100k on bybit", NOW)
    below = await watch.add(403, 403, "BTC price < 99,900 on bybit", NOW)
    await watch.add(404, 404, "BTC price > 100k on okx", NOW)
    outbox = OutboxRepository(sessions)
    pipeline = AlertPipeline(market, watch.watched, outbox, asyncio.Event(), clock=lambda: NOW)

    assert await pipeline.after_poll() == 2
    [aggregated] = await outbox.messages(401)
    assert aggregated.text == (
        f"🔔 <b>BTC price &gt; 100K</b> crossed (#{above.id})\n"
        "now 100,250.50 vs 100,000.00 · binance · data 12s old"
    )
    assert await outbox.messages(402) == []
    [on_bybit] = await outbox.messages(403)
    assert on_bybit.text == (
        f"🔔 <b>BTC price &lt; 99.9K on bybit</b> crossed (#{below.id})\n"
        "now 99,800.00 vs 99,900.00 · bybit · data 12s old"
    )
    assert await outbox.messages(404) == []

    late = await watch.add(405, 405, "BTC price > 90k", NOW)
    clock[0] = NOW + timedelta(minutes=5)  # the marks are now 5 min 12 s old
    stale = AlertPipeline(market, watch.watched, outbox, asyncio.Event(), clock=lambda: clock[0])
    assert await stale.after_poll() == 0
    assert late.id and await outbox.messages(405) == []


async def test_a_tick_picks_each_asset_s_price_marks_once(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The marks a price level reads are picked once per asset and tick, for the level and for
    the venue its alert names: BTC and ETH, each on two venues, are two picks."""
    sessions = make_session_factory(engine)
    snapshots = SnapshotRepository(sessions)
    seen = NOW - timedelta(seconds=12)
    await snapshots.save(
        [
            snap(Venue.BINANCE, seen, 100250.5, 90000),
            snap(Venue.BYBIT, seen, 99800, 40000),
            replace(snap(Venue.BINANCE, seen, 4000, 500000), asset="ETH", symbol="ETHUSDT"),
            replace(snap(Venue.BYBIT, seen, 3990, 300000), asset="ETH", symbol="ETHUSDT"),
        ]
    )
    market = MarketFeed(snapshots, None, {"BTC", "ETH"}, clock=lambda: NOW)
    market.last_tick = TickResult(
        {v: VenueResult(v, (), False, None, 1, 0.1, NOW) for v in (Venue.BINANCE, Venue.BYBIT)}
    )
    watch = watch_service(sessions)
    btc = await watch.add(401, 401, "BTC price > 100k", NOW)
    await watch.add(402, 402, "ETH price < 3,995 on bybit", NOW)
    picks: list[float] = []

    def counted(latest: Sequence[LivePoint]) -> dict[str, LivePoint]:
        picks.append(max(point.mark for point in latest))
        return marks_by_venue(latest)

    monkeypatch.setattr("bot.alerts.observations.marks_by_venue", counted)
    outbox = OutboxRepository(sessions)
    pipeline = AlertPipeline(market, watch.watched, outbox, asyncio.Event(), clock=lambda: NOW)

    assert await pipeline.after_poll() == 2
    assert sorted(picks) == [4000, 100250.5]  # ETH's, BTC's
    [aggregated] = await outbox.messages(401)
    assert aggregated.text == (
        f"🔔 <b>BTC price &gt; 100K</b> crossed (#{btc.id})\n"
        "now 100,250.50 vs 100,000.00 · binance · data 12s old"
    )
    [on_bybit] = await outbox.messages(402)
    assert on_bybit.text.endswith("\nnow 3,990.00 vs 3,995.00 · bybit · data 12s old")
