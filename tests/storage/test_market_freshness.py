"""One freshness rule for replies and alerts: a venue's numbers are used only while its last
answer was good and held the asset; otherwise it is left out and named, with since when."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.pipeline import AlertPipeline
from bot.feed.market_feed import DataUnavailable, MarketFeed
from bot.i18n import N_
from bot.market.collector import Collector
from bot.market.models import Snapshot, TickResult, Venue, VenueResult
from bot.market.overview_text import render
from bot.market.reasons import reason
from bot.runtime.health import HealthCheck
from bot.usecases.market_data import MarketService
from storage.db import make_session_factory
from storage.repositories.outbox import OutboxRepository
from storage.repositories.snapshots import SnapshotRepository
from tests.conftest import watch_service

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def snap(venue: Venue, ts: datetime, asset: str = "BTC", funding: str = "0.0001") -> Snapshot:
    price, oi = (D(60000), D(90000)) if asset == "BTC" else (D(3000), D(2000000))
    return Snapshot(
        venue=venue,
        symbol=f"{asset}USDT",
        asset=asset,
        inverse=False,
        ts=ts,
        mark=price,
        index=price,
        last=price,
        oi_contracts=oi,
        oi_coin=oi,
        oi_usd=oi * price,
        funding_rate=D(funding),
        funding_interval_hours=8,
        next_funding_time=None,
        volume_24h_coin=None,
        volume_24h_usd=None,
    )


def answer(venue: Venue, *snapshots: Snapshot, failure: str | None = None) -> VenueResult:
    return VenueResult(venue, snapshots, failure is not None, failure, 1, 0.1, NOW)


async def refusal(market: MarketFeed) -> str:
    with pytest.raises(DataUnavailable) as error:
        await market.usable("BTC")
    return str(error.value)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def market(engine: AsyncEngine, clock: Clock) -> MarketFeed:
    return MarketFeed(SnapshotRepository(make_session_factory(engine)), None, {"BTC"}, clock)


async def test_a_failing_venue_leaves_the_rows_and_the_total_at_once(
    market: MarketFeed, clock: Clock
) -> None:
    await market.take(answer(Venue.BINANCE, snap(Venue.BINANCE, NOW)))
    await market.take(answer(Venue.OKX, snap(Venue.OKX, NOW)))
    before, left_out = await MarketService(market).overview("BTC")
    assert ([v.venue for v in before.venues], before.total.oi_coin, left_out) == (
        ["binance", "okx"],
        180000.0,
        {},
    )
    clock.now = NOW + timedelta(seconds=60)
    await market.take(answer(Venue.BINANCE, snap(Venue.BINANCE, clock.now)))
    await market.take(answer(Venue.OKX, failure="server error 500"))
    after, left_out = await MarketService(market).overview("BTC")
    # OKX's row is one minute old, well inside FRESH: still it is out, of the rows and of ALL.
    assert [v.venue for v in after.venues] == ["binance"]
    assert (after.total.oi_coin, after.total.oi_usd) == (90000.0, 5.4e9)
    assert left_out == {"okx": "since 12:01 UTC (server error 500)"}
    text = render(after, left_out, html=False)
    assert text.startswith("BTC perpetuals · 1 venue · data 0s old")
    assert text.endswith("\nLeft out: okx since 12:01 UTC (server error 500)")
    # The venue stays named with the time it started failing, whatever it says later.
    clock.now = NOW + timedelta(minutes=3)
    await market.take(answer(Venue.OKX, failure="slow: no answer after 45.0s"))
    assert (await market.current("BTC")).left_out == {
        "okx": "since 12:01 UTC (slow: no answer after 45.0s)"
    }
    clock.now = NOW + timedelta(minutes=4)
    await market.take(answer(Venue.OKX, snap(Venue.OKX, clock.now)))
    recovered = await market.current("BTC")
    assert (sorted(r.venue for r in recovered.rows), recovered.left_out) == (["binance", "okx"], {})


async def test_healthz_calls_a_venue_stale_when_replies_leave_it_out(
    engine: AsyncEngine, market: MarketFeed, clock: Clock
) -> None:
    """OKX's row is a minute old but its last poll failed: no reply uses it, so /healthz does not
    call it fresh either; once it answers again, it is."""
    health = HealthCheck(
        make_session_factory(engine),
        market.snapshots,
        ["binance", "okx"],
        is_leader=lambda: True,
        clock=clock,
        fresh=market.venue_fresh,
    )
    await market.take(answer(Venue.BINANCE, snap(Venue.BINANCE, NOW)))
    await market.take(answer(Venue.OKX, snap(Venue.OKX, NOW)))
    clock.now = NOW + timedelta(seconds=60)
    await market.take(answer(Venue.OKX, failure="server error 500"))
    status, body = await health.report()
    assert (status, body["status"], body["venues"]) == (
        200,
        "degraded",
        {"binance": {"age_s": 60, "fresh": True}, "okx": {"age_s": 60, "fresh": False}},
    )
    await market.take(answer(Venue.OKX, snap(Venue.OKX, clock.now)))
    status, body = await health.report()
    assert (body["status"], body["venues"]["okx"]) == ("ok", {"age_s": 0, "fresh": True})


async def test_a_replica_that_stopped_polling_goes_by_the_rows(
    market: MarketFeed, clock: Clock
) -> None:
    """It saw OKX fail, then lost the lead; the new leader stores OKX's good rows."""
    await market.take(answer(Venue.OKX, failure="server error 500"))
    clock.now = NOW + timedelta(minutes=5, seconds=1)
    await market.snapshots.save([snap(Venue.OKX, clock.now)])
    current = await market.current("BTC")
    assert ([r.venue for r in current.rows], current.left_out) == (["okx"], {})


async def test_an_asset_missing_from_the_venues_last_answer_is_not_current(
    market: MarketFeed, clock: Clock
) -> None:
    await market.take(answer(Venue.OKX, snap(Venue.OKX, NOW)))
    clock.now = NOW + timedelta(seconds=30)
    await market.take(answer(Venue.OKX, snap(Venue.OKX, clock.now, "ETH")))
    current = await market.current("BTC")
    assert (current.rows, current.left_out) == (
        [],
        {"okx": "(no BTC in its answers since 12:00 UTC)"},
    )
    assert await refusal(market) == (
        "No fresh data for BTC. Left out: okx (no BTC in its answers since 12:00 UTC)."
    )


async def test_no_data_says_which_venue_is_unreachable_since_when(
    market: MarketFeed, clock: Clock
) -> None:
    off = "Market data is switched off on this bot (OIWATCH_VENUES is empty)."
    assert await refusal(market) == off
    market.collector = Collector([])
    assert await refusal(market) == "No data for BTC yet: the first poll is still running."
    clock.now = NOW + timedelta(minutes=3)
    assert await refusal(market) == "No venue has sent data for BTC since 12:00 UTC."
    for minute in range(3, 8):
        clock.now = NOW + timedelta(minutes=minute)
        await market.take(
            answer(Venue.BINANCE, failure="unreachable (its address does not resolve)")
        )
    assert await refusal(market) == (
        "No fresh data for BTC. "
        "Left out: binance since 12:03 UTC (unreachable (its address does not resolve))."
    )


async def test_a_follower_names_a_venue_whose_data_aged_out(
    market: MarketFeed, clock: Clock
) -> None:
    """A replica that does not poll knows only the stored rows and their age."""
    await market.snapshots.save([snap(Venue.OKX, NOW), snap(Venue.BINANCE, NOW)])
    clock.now = NOW + timedelta(minutes=4)
    await market.snapshots.save([snap(Venue.BINANCE, clock.now)])
    clock.now = NOW + timedelta(minutes=7)
    current = (await market.usable("BTC")).rows
    assert [r.venue for r in current] == ["binance"]
    _, left_out = await MarketService(market).overview("BTC")
    assert left_out == {"okx": "(last data 7m old)"}  # as /oi words its own data age


@pytest.mark.parametrize(("with_btc", "alerts"), [(False, 0), (True, 1)])
async def test_alerts_read_the_same_rule_as_replies(
    engine: AsyncEngine, clock: Clock, with_btc: bool, alerts: int
) -> None:
    """OKX answered this poll but without BTC: its 4-minute-old BTC row (funding 0.08 %) is
    within FRESH, yet no alert may rest on it. With BTC in the answer, the rule fires."""
    sessions = make_session_factory(engine)
    market = MarketFeed(SnapshotRepository(sessions), None, {"BTC", "ETH"}, clock)
    old = snap(Venue.OKX, NOW - timedelta(minutes=4), funding="0.0008")
    await market.snapshots.save([old])
    rows = [snap(Venue.OKX, NOW, "ETH"), *([replace(old, ts=NOW)] if with_btc else [])]
    result = answer(Venue.OKX, *rows)
    await market.take(result)
    market.last_tick = TickResult({Venue.OKX: result})
    watch = watch_service(sessions)
    await watch.add(401, 401, "BTC funding > 0.03% on okx", NOW)
    pipeline = AlertPipeline(
        market, watch.watched, OutboxRepository(sessions), asyncio.Event(), clock=clock
    )
    assert await pipeline.after_poll() == alerts


async def test_the_poll_log_line_names_each_venue_left_out_and_why(
    engine: AsyncEngine, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    timed_out = reason(N_("timed out after {seconds}s"), seconds="10")
    tick = TickResult(
        {
            Venue.BINANCE: answer(Venue.BINANCE, snap(Venue.BINANCE, NOW)),
            Venue.OKX: replace(answer(Venue.OKX), degraded=True, reason=timed_out),
            Venue.BYBIT: replace(answer(Venue.BYBIT), degraded=True, reason=None),
        }
    )

    class OneTick:
        async def tick(self, on_result: object = None) -> TickResult:
            return tick

    collector = cast(Collector, OneTick())  # poll asks the collector for its tick alone
    feed = MarketFeed(SnapshotRepository(make_session_factory(engine)), collector, {"BTC"}, clock)
    with caplog.at_level(logging.INFO, logger="bot.feed.market_feed"):
        await feed.poll()
    # It read "{<Venue.OKX: 'okx'>: Reason(message='timed out after {seconds}s', ...)}".
    assert caplog.messages[-1] == (
        "poll: 1 snapshots, degraded: okx (timed out after 10s), bybit (no usable answer)"
    )
