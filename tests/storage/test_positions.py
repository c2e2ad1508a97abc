"""The position guard on real storage (SQLite, and PostgreSQL when configured): positions per
user survive a restart, each level alerts once in order, squeezes name the position, a dead
venue makes one "blind" notice, funding settlements move the liquidation price."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.saved_tracker import SavedTracker
from bot.errors import LimitReached, UserError
from bot.feed.market_feed import MarketFeed
from bot.i18n import use_language
from bot.i18n.languages import BY_CODE
from bot.market.models import TickResult, Venue, VenueResult
from bot.positions.guard import PositionGuard
from bot.positions.market_watch import TRACKER_STATE, MarketWatch
from bot.positions.model import PositionClaim
from bot.risk.side import Side
from bot.risk.tiers import load_default_tiers
from bot.usecases.market_data import MarketService
from bot.usecases.positions import PositionService
from storage.db import make_session_factory
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.contacts import ContactRepository, UserSeen
from storage.repositories.outbox import OutboxRepository
from storage.repositories.positions import PositionRepository
from storage.repositories.saved_state import SavedStateRepository
from storage.repositories.snapshots import SnapshotRepository
from tests.storage.test_alert_pipeline import history, snap

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
USER = 1001
TIERS = load_default_tiers()
# Binance 10x long 0.2 BTC @ 60,000: liquidation 54,216.87; 5 % below 57,070.39, 2 % below
# 55,323.33, 1 % below 54,764.51.
CLAIM = PositionClaim("BTC", Side.LONG, D(60000), D(10), D("0.2"), "binance")


def tick(at: datetime, mark: str | None, **extra: object) -> TickResult:
    """One poll: Binance answered with this mark, or (mark None) failed."""
    if mark is None:
        return TickResult(
            {Venue.BINANCE: VenueResult(Venue.BINANCE, (), True, "timeout", 1, 5, at)}
        )
    s = replace(snap(Venue.BINANCE, at, float(mark), 90000), mark=D(mark), **extra)
    return TickResult({Venue.BINANCE: VenueResult(Venue.BINANCE, (s,), False, None, 1, 0.1, at)})


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def _setup(engine: AsyncEngine, clock: Clock, cap: int = 20):
    sessions = make_session_factory(engine)
    snapshots = SnapshotRepository(sessions)
    feed = MarketFeed(snapshots, None, {"BTC", "ETH"}, clock=clock)
    repo = PositionRepository(sessions)
    service = PositionService(repo, MarketService(feed), lambda: TIERS, D("0.005"), cap)
    outbox = OutboxRepository(sessions)
    return snapshots, feed, service, outbox


def _guard(service: PositionService, outbox: OutboxRepository, clock: Clock) -> PositionGuard:
    return PositionGuard(service.repository, outbox, asyncio.Event(), lambda: TIERS, clock=clock)


async def test_levels_alert_once_each_in_order_and_survive_a_restart(engine: AsyncEngine) -> None:
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock)
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    added = await service.add(USER, CLAIM, NOW)
    assert added.crossed == () and added.evaluation.liquidation_price.quantize(D("0.01")) == D(
        "54216.87"
    )
    guard = _guard(service, outbox, clock)
    assert await guard.load() == 1

    walk = ["58000", "57071", "57070", "56500", "55323", "55100", "54764", "54600", "54500"]
    for i, mark in enumerate(walk[:5]):
        clock.now = NOW + timedelta(minutes=i + 1)
        await guard.after_poll(tick(clock.now, mark))
    # A restart in the middle: a new guard from the database repeats nothing.
    guard = _guard(service, outbox, clock)
    assert await guard.load() == 1
    for i, mark in enumerate(walk[5:], start=5):
        clock.now = NOW + timedelta(minutes=i + 1)
        await guard.after_poll(tick(clock.now, mark))

    sent = await outbox.messages(USER)
    texts = [m.text for m in sent]
    assert len(texts) == 3
    # Urgent (never held for quiet hours, claimed first), one thread per position.
    assert {(m.priority, m.thread, m.status) for m in sent} == {("urgent", "pos:1", "pending")}
    assert texts[0].startswith("🚨 <b>BTC long: 5.00% from liquidation</b> (below your 5 % level)")
    assert "Mark 57,070.00 on binance" in texts[0] and "data 0s old" in texts[0]
    assert texts[1].startswith("🚨 <b>BTC long: 2.00% from liquidation</b> (below your 2 % level)")
    assert texts[2].startswith("🚨 <b>BTC long: 1.00% from liquidation</b> (below your 1 % level)")
    assert "Liquidation 54,216.87" in texts[2]
    assert "#1 BTC long 10x, 0.2 @ 60000 on binance" in texts[2]


async def test_stale_data_never_alerts_and_a_dead_venue_makes_one_blind_notice(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock)
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    await service.add(USER, CLAIM, NOW)
    guard = _guard(service, outbox, clock)
    await guard.load()
    for seconds in (30, 60, 90, 120, 150):
        clock.now = NOW + timedelta(seconds=seconds)
        await guard.after_poll(tick(clock.now, None))
    [blind] = await outbox.messages(USER)
    assert blind.text.startswith("🙈 <b>Guard blind on BTC</b>: no venue has answered")
    assert "binance (timeout)" in blind.text and "Positions #1 are not checked" in blind.text
    # Back, already deep inside: one alert for the tightest level crossed.
    clock.now += timedelta(seconds=30)
    await guard.after_poll(tick(clock.now, "54700"))
    texts = [m.text for m in await outbox.messages(USER)]
    assert len(texts) == 2 and "(below your 1 % level)" in texts[1]


async def _squeeze_under_way(
    engine: AsyncEngine, clock: Clock
) -> tuple[MarketFeed, PositionService, OutboxRepository, TickResult, D]:
    """A long squeeze on BTC, a 3x long (at risk) and a 3x short (not) guarded: the feed, the
    positions, the outbox, the tick's Binance mark and its price."""
    snapshots, market, service, outbox = await _setup(engine, clock)
    crash = history(crash_on={Venue.BINANCE, Venue.BYBIT})
    await snapshots.save(crash)
    last = [s for s in crash if s.ts == NOW and s.venue is Venue.BINANCE]
    long_pos = PositionClaim("BTC", Side.LONG, D(60000), D(3), D(1), "binance")
    await service.add(USER, long_pos, NOW)
    await service.add(2002, replace(long_pos, side=Side.SHORT), NOW)
    market_tick = TickResult(
        {Venue.BINANCE: VenueResult(Venue.BINANCE, tuple(last), False, None, 1, 0.1, NOW)}
    )
    return market, service, outbox, market_tick, last[0].mark


async def test_a_squeeze_against_the_side_names_the_position(engine: AsyncEngine) -> None:
    clock = Clock()
    market, service, outbox, market_tick, mark = await _squeeze_under_way(engine, clock)
    guard = _guard(service, outbox, clock)
    watch = MarketWatch(market)
    guard.atr = watch.atr
    await guard.load()
    warnings = await watch.warnings(guard.assets, NOW)
    assert [w.kind for w in warnings] == ["long_squeeze"]
    await guard.after_poll(market_tick, warnings)
    [alert] = await outbox.messages(USER)
    # Early and confirmed came in one tick: one message, at the latest stage.
    assert alert.text.startswith(
        "🚨 <b>long squeeze confirmed on BTC: your long is 25.63% from liquidation</b>"
    )
    assert f"Mark {mark:,.2f} on binance" in alert.text
    assert " ATR" in alert.text
    assert await outbox.messages(2002) == []  # the short is not at risk from a long squeeze


async def test_a_restart_mid_squeeze_does_not_tell_the_owner_again(engine: AsyncEngine) -> None:
    """The guard's own cascade tracker is saved as the rules' is: a fresh one after a restart
    opened the squeeze under way anew, and its owner was told about it a second time."""
    clock = Clock()
    market, service, outbox, market_tick, _mark = await _squeeze_under_way(engine, clock)
    saved = SavedStateRepository(make_session_factory(engine))
    for minute in range(2):  # the second tick comes from a restarted guard
        clock.now = NOW + timedelta(minutes=minute)
        guard = _guard(service, outbox, clock)
        watch = MarketWatch(market, saved=SavedTracker(saved, TRACKER_STATE))
        guard.atr = watch.atr
        await guard.load()
        await guard.after_poll(market_tick, await watch.warnings(guard.assets, clock.now))
        await watch.keep(clock.now)
    [alert] = await outbox.messages(USER)
    assert alert.text.startswith("🚨 <b>long squeeze confirmed on BTC: your long is")


async def test_funding_settlement_moves_the_liquidation_and_turning_funding_alerts(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock)
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    claim = replace(CLAIM, size=D(10), leverage=D(50), entry=D(60000))
    added = await service.add(USER, claim, NOW)
    before = added.evaluation.liquidation_price
    guard = _guard(service, outbox, clock)
    await guard.load()
    settle = NOW + timedelta(hours=4)
    clock.now = NOW + timedelta(minutes=1)
    await guard.after_poll(
        tick(clock.now, "60000", funding_rate=D("0.002"), next_funding_time=settle)
    )
    [turned] = await outbox.messages(USER)
    assert turned.text.startswith("💸 <b>BTC funding turned against your long</b>: 0.2000% per 8h")
    clock.now = settle + timedelta(seconds=5)
    await guard.after_poll(
        tick(
            clock.now,
            "60000",
            funding_rate=D("0.002"),
            next_funding_time=settle + timedelta(hours=8),
        )
    )
    # 10 BTC × 60,000 × 0.2 % = 1,200 paid from the margin: +120 per coin on the liquidation.
    moved = (await outbox.messages(USER))[-1].text
    after = before + D(120)
    assert f"liquidation moved {before:,.2f} → {after:,.2f}</b> (funding paid)" in moved
    assert "Funding: -1,200.00 so far" in moved
    [row] = await service.repository.for_user(USER)
    assert row.state.funding_paid == D("-1200.000") and row.state.funding_seen == settle


async def test_positions_are_per_user_capped_and_closed_for_every_replica(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock, cap=2)
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    inside = await service.add(USER, replace(CLAIM, leverage=D(50)), NOW)
    assert inside.crossed == (D(5), D(2))  # 50x at the mark: 1.61 % away
    await service.add(USER, CLAIM, NOW)
    with pytest.raises(LimitReached) as full:
        await service.add(USER, replace(CLAIM, size=D("0.3")), NOW)
    assert str(full.value) == "You guard 2 positions, the most allowed; /pos lists them."
    assert full.value.usage == ""  # no grammar cures a cap
    await service.add(2002, CLAIM, NOW)
    assert [p.id for p in await service.repository.for_user(USER)] == [1, 2]
    guard = _guard(service, outbox, clock)
    assert await guard.load() == 3
    # Another replica closes #2 and edits #1: the leader's next tick follows.
    other = PositionRepository(make_session_factory(engine))
    assert await other.close(USER, 2, NOW) == 1
    assert await other.close(2002, 1, NOW) == 0  # not theirs
    edited = await service.edit(USER, 1, {"levels": (D(10), D(5))}, NOW)
    assert edited is not None and edited.crossed == (D(10), D(5))
    clock.now = NOW + timedelta(seconds=10)
    await guard.after_poll(tick(clock.now, "60000"))
    assert sorted(guard._live) == [1, 3]
    assert guard._live[1].position.claim.levels == (D(10), D(5))
    assert await outbox.messages(USER) == []  # levels inside at the add or edit count as sent


async def test_the_same_position_twice_is_guarded_once(engine: AsyncEngine) -> None:
    """The 🛡 button pressed twice, or the line sent again, would ring every alert twice."""
    clock = Clock()
    snapshots, _market, service, _outbox = await _setup(engine, clock)
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    await service.add(USER, CLAIM, NOW)
    with pytest.raises(UserError) as again:
        await service.add(USER, replace(CLAIM, size=D("0.20")), NOW)
    assert str(again.value) == "You already guard this position as #1; /pos lists yours."
    await service.add(USER, replace(CLAIM, size=D("0.3")), NOW)  # another size: another one
    await service.add(2002, CLAIM, NOW)  # another user's
    assert [p.id for p in await service.repository.for_user(USER)] == [1, 2]


async def test_the_next_settlement_costing_more_than_the_limit_alerts_once_per_episode(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock)
    calm = replace(snap(Venue.BINANCE, NOW, 60000, 90000), funding_rate=D("0.00002"))
    await snapshots.save([calm])
    claim = replace(CLAIM, size=D(10), funding_level=D("0.01"), settlement_cost=D(50))
    assert not (await service.add(USER, claim, NOW)).position.state.funding_sent
    # Added while the next settlement already costs 60: that counts as sent, as levels do.
    await snapshots.save([replace(calm, ts=NOW + timedelta(seconds=1), funding_rate=D("0.0001"))])
    already = await service.add(2002, claim, NOW)
    assert already.position.state.funding_sent
    guard = _guard(service, outbox, clock)
    await guard.load()
    # 10 BTC × 60,000 × 0.01 % = 60 a settlement: over 50. Then 12 (re-armed below 25), then 60.
    for minute, rate in ((1, "0.0001"), (2, "0.0001"), (3, "0.00002"), (4, "0.0001")):
        clock.now = NOW + timedelta(minutes=minute)
        await guard.after_poll(tick(clock.now, "60000", funding_rate=D(rate)))
    texts = [m.text for m in await outbox.messages(USER)]
    assert len(texts) == 2
    assert texts[0].split("\n")[1] == "The next settlement costs you 60.00 (your limit 50.00)."
    assert len(await outbox.messages(2002)) == 1  # only after it re-armed


async def test_an_owner_with_settings_lang_gets_guard_alerts_in_that_language(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock)
    await ChatSettingsRepository(make_session_factory(engine)).save(
        ChatSettings(chat_id=USER, language="ru")
    )
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    await service.add(USER, CLAIM, NOW)
    guard = PositionGuard(
        service.repository,
        outbox,
        asyncio.Event(),
        lambda: TIERS,
        clock=clock,
        chat_settings=ChatSettingsRepository(make_session_factory(engine)),
    )
    await guard.load()
    clock.now = NOW + timedelta(minutes=1)
    await guard.after_poll(tick(clock.now, "57070"))
    [alert] = await outbox.messages(USER)
    assert alert.text.startswith(
        "🚨 <b>BTC long: 5,00\u00a0% до ликвидации</b> (ниже вашего уровня 5 %)\n"
        "Ликвидация 54\u00a0216,87: до неё <b>5,00\u00a0%</b>\n"
        "Марк-цена 57\u00a0070,00 на binance"
    )


async def test_an_owner_without_settings_lang_gets_guard_alerts_in_telegrams_language(
    engine: AsyncEngine,
) -> None:
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock)
    contacts = ContactRepository(make_session_factory(engine))
    await contacts.record(UserSeen(USER, language_code="es-ES"), None, NOW)
    await contacts.flush()
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    await service.add(USER, CLAIM, NOW)
    guard = replace(_guard(service, outbox, clock), contacts=contacts)
    await guard.load()
    clock.now = NOW + timedelta(minutes=1)
    await guard.after_poll(tick(clock.now, "57070"))
    [alert] = await outbox.messages(USER)
    # es-ES is Spanish; the title is localized too (es decimal comma, "en binance").
    assert alert.text.split("\n")[:2] == [
        "🚨 <b>BTC long: a 5,00\u00a0% de la liquidación</b> (por debajo de tu nivel de 5 %)",
        "Liquidación 54.216,87: a <b>5,00\u00a0%</b>",
    ]
    assert alert.text.endswith(
        "#1 BTC long 10x, 0,2 @ 60000 en binance · /pos lista tus posiciones"
    )
    for seconds in (90, 120, 150, 180):  # then the venue goes quiet: the blind notice too
        clock.now = NOW + timedelta(seconds=seconds)
        await guard.after_poll(tick(clock.now, None))
    blind = (await outbox.messages(USER))[-1]
    assert blind.text == (
        "🙈 <b>Vigilancia ciega en BTC</b>: ningún exchange responde desde hace un minuto: "
        "binance (timeout). Las posiciones #1 no se revisan hasta que vuelvan los datos; nada "
        "se avisa con cifras viejas."
    )


async def test_a_cap_of_one_position_is_said_in_the_singular(engine: AsyncEngine) -> None:
    snapshots, _market, service, _outbox = await _setup(engine, Clock(), cap=1)
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    await service.add(USER, CLAIM, NOW)
    said = []
    for code in ("en", "ru"):
        with use_language(BY_CODE[code]), pytest.raises(LimitReached) as full:
            await service.add(USER, replace(CLAIM, size=D("0.3")), NOW)
        said.append(str(full.value))
    assert said == [
        "You guard 1 position, the most allowed; /pos lists it.",
        "Под охраной 1 позиция — это максимум; /pos покажет список.",
    ]
