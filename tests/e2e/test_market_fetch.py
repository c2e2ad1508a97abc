"""The real aiohttp fetchers against the fake venues: units agree, faults degrade one venue for
one tick and never crash or leak partial numbers, and the next good tick recovers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from bot.market.collector import Collector
from bot.market.http import CircuitBreaker, RetryPolicy, VenueError, together
from bot.market.models import TickResult, Venue, VenueResult
from bot.market.reasons import HTTP_STATUS, reason
from bot.market.venues.registry import DEFAULT_VENUES, MarketEndpoints, make_fetchers
from tests.fakes.collectors import FAST, collector_for
from tests.fakes.exchange import FakeExchange
from tests.fakes.venues import FAKES


@pytest.fixture
async def fx() -> AsyncIterator[FakeExchange]:
    async with FakeExchange() as exchange:
        exchange.now_ms = 1_764_000_000_000  # pinned: the tests below move the clock
        exchange.set("BTC", mark=60000, index=59940, oi_coin=90000, funding="0.0001")
        exchange.set("ETH", mark=3000, index=3000, oi_coin=2000000, funding="0.0002", interval_h=4)
        yield exchange


def said(tick: TickResult) -> dict[Venue, str]:
    """Each left-out venue's reason as an English reply words it."""
    return {venue: str(reason) for venue, reason in tick.degraded().items()}


async def test_every_venue_reports_btc_in_the_same_units(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    tick = await collector.tick()
    await collector.aclose()
    assert said(tick) == {}
    btc = {s.venue: s for s in tick.for_asset("BTC")}
    assert set(btc) == set(DEFAULT_VENUES)
    for snap in btc.values():
        assert (snap.oi_coin, snap.oi_usd, snap.mark) == (D(90000), D(5400000000), D(60000))
        assert snap.basis_pct == D(60) / D(59940) * 100
    assert btc[Venue.OKX].oi_contracts == D(9000000)  # 0.01 BTC contracts
    # Per-interval rates with each venue's own interval: never assumed 8 h.
    eth = {s.venue: s for s in tick.for_asset("ETH")}
    assert {v: (s.funding_rate, s.funding_interval_hours) for v, s in eth.items()} == {
        Venue.BINANCE: (D("0.0002"), 4),
        Venue.BYBIT: (D("0.0002"), 4),
        Venue.OKX: (D("0.0002"), 4),
        Venue.HYPERLIQUID: (D("0.00005"), 1),
    }
    # The fewest requests: 2 bulk + N OI on Binance (+2 metadata), 1 (+1) on Bybit, 5 (+1) on
    # OKX, 1 on Hyperliquid.
    assert {v: r.requests for v, r in tick.results.items()} == {
        Venue.BINANCE: 6,
        Venue.BYBIT: 2,
        Venue.OKX: 6,
        Venue.HYPERLIQUID: 1,
    }


@pytest.mark.parametrize(
    ("path", "kind", "venue", "reason"),
    [
        ("/okx/api/v5/public/open-interest", "500", Venue.OKX, "server error 500"),
        (
            "/bybit/v5/market/tickers",
            "envelope-rate",
            Venue.BYBIT,
            "too many requests (Too many visits!)",
        ),
        ("/hyperliquid/info", "malformed", Venue.HYPERLIQUID, "malformed JSON"),
        ("/binance/fapi/v1/premiumIndex", "503", Venue.BINANCE, "server error 503"),
    ],
)
async def test_a_failing_venue_is_degraded_alone_and_recovers(
    fx: FakeExchange, path: str, kind: str, venue: Venue, reason: str
) -> None:
    collector = collector_for(fx)
    fx.fail(path, kind, times=3)  # every retry of this tick fails
    tick = await collector.tick()
    assert reason in said(tick)[venue]
    assert tick.results[venue].snapshots == ()
    assert {s.venue for s in tick.snapshots()} == set(DEFAULT_VENUES) - {venue}
    recovered = await collector.tick()
    await collector.aclose()
    assert said(recovered) == {}
    assert len(recovered.for_asset("BTC")) == 4


async def test_retry_after_is_honoured_and_the_tick_still_succeeds(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    fx.fail("/bybit/v5/market/tickers", "429", retry_after=0.3)
    started = time.perf_counter()
    tick = await collector.tick()
    waited = time.perf_counter() - started
    await collector.aclose()
    assert said(tick) == {}
    assert waited >= 0.3
    assert fx.requests["/bybit/v5/market/tickers"] == 2


async def test_a_slow_venue_does_not_hold_up_the_others(fx: FakeExchange) -> None:
    collector = collector_for(fx, timeout_s=0.3, retry=RetryPolicy(attempts=1))
    fx.fail("/hyperliquid/info", "timeout", delay_s=2)
    started = time.perf_counter()
    tick = await collector.tick()
    await collector.aclose()
    assert time.perf_counter() - started < 1.5
    assert said(tick) == {Venue.HYPERLIQUID: "timed out after 0.3s"}
    assert len(tick.snapshots()) == 6


async def test_binance_ban_opens_the_breaker_and_no_request_is_sent(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    fx.fail("/binance/fapi/v1/premiumIndex", "418", retry_after=120)
    first = await collector.tick()
    assert said(first)[Venue.BINANCE] == "IP banned (418) for 120s"
    sent = fx.requests["/binance/fapi/v1/premiumIndex"]
    second = await collector.tick()
    await collector.aclose()
    # The pinned venue clock is 2025-11-24 16:00:00 UTC; the ban ends 120 s after it began.
    assert said(second)[Venue.BINANCE] == (
        "paused after IP banned (418) for 120s, next try at 16:02:00 UTC"
    )
    assert fx.requests["/binance/fapi/v1/premiumIndex"] == sent  # left alone while banned


async def test_bybit_403_means_ten_minutes_of_silence(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    fx.fail("/bybit/v5/market/tickers", "403")
    await collector.tick()
    bybit = next(f for f in collector.fetchers if f.venue is Venue.BYBIT)
    breaker = bybit.client.breaker
    await collector.aclose()
    assert breaker.state == "open"
    assert breaker.open_until - time.monotonic() > 590


async def test_unknown_symbol_drops_only_that_symbol(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    fx.hidden_symbols.add("ETHUSDT")
    tick = await collector.tick()
    await collector.aclose()
    binance = tick.results[Venue.BINANCE]
    assert not binance.degraded
    assert [s.symbol for s in binance.snapshots] == ["BTCUSDT"]
    assert "ETHUSDT: unknown to the venue" in (binance.note or "")


async def test_stale_venue_data_is_not_used(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    collector.clock = lambda: datetime.fromtimestamp(fx.now_ms / 1000, UTC) + timedelta(minutes=10)
    tick = await collector.tick()
    await collector.aclose()
    # Hyperliquid sends no time, so its data is as fresh as the answer.
    assert said(tick) == {
        v: "stale: the venue's data is 600s old" for v in (Venue.BINANCE, Venue.BYBIT, Venue.OKX)
    }


def test_breaker_half_opens_after_the_reset_and_closes_on_success() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_s=10, clock=lambda: now[0])
    breaker.failure()
    assert breaker.state == "closed"
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 11
    assert breaker.state == "half-open" and breaker.allow()
    breaker.failure()  # the trial failed: open again
    assert breaker.state == "open"
    now[0] = 22
    breaker.success()
    assert breaker.state == "closed"


def test_an_in_flight_success_does_not_close_an_open_breaker() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=5, reset_s=60, clock=lambda: now[0])
    breaker.hold(120, "IP banned (418)")
    breaker.success()  # a concurrent request that started before the ban answered fine
    assert breaker.state == "open"
    now[0] = 121
    breaker.success()
    assert breaker.state == "closed"


async def test_binance_coinm_is_fetched_in_the_same_units(fx: FakeExchange) -> None:
    fx.set("BTC", venues={"binance", "binance_coinm"})
    collector = collector_for(fx)
    collector.fetchers = make_fetchers(
        fx.endpoints, [Venue.BINANCE, Venue.BINANCE_COINM], retry=FAST, timeout_s=2.0
    )
    tick = await collector.tick()
    await collector.aclose()
    assert said(tick) == {}
    by_venue = {s.venue: s for s in tick.for_asset("BTC")}
    coinm = by_venue[Venue.BINANCE_COINM]
    assert coinm.inverse and coinm.oi_contracts == D(54000000)  # 5.4B USD / 100 USD
    assert (coinm.oi_usd, coinm.oi_coin) == (by_venue[Venue.BINANCE].oi_usd, D(90000))
    assert coinm.funding_interval_hours == 8  # fundingInfo answered null: nothing adjusted


async def test_bybit_inverse_is_fetched_in_the_same_units(fx: FakeExchange) -> None:
    fx.set("BTC", venues={"bybit", "bybit_inverse"})
    collector = collector_for(fx)
    collector.fetchers = make_fetchers(
        fx.endpoints, [Venue.BYBIT, Venue.BYBIT_INVERSE], retry=FAST, timeout_s=2.0
    )
    tick = await collector.tick()
    await collector.aclose()
    assert said(tick) == {}
    by_venue = {s.venue: s for s in tick.for_asset("BTC")}
    inverse = by_venue[Venue.BYBIT_INVERSE]
    assert (inverse.symbol, inverse.inverse) == ("BTCUSD", True)
    assert (inverse.oi_usd, inverse.oi_coin) == (D(5400000000), D(90000))
    assert inverse.oi_usd == by_venue[Venue.BYBIT].oi_usd
    assert (inverse.volume_24h_coin, inverse.volume_24h_usd) == (D(1000), D(60000000))


OKX_BULK = (
    "/okx/api/v5/public/open-interest",
    "/okx/api/v5/public/funding-rate",
    "/okx/api/v5/public/mark-price",
    "/okx/api/v5/market/tickers",
    "/okx/api/v5/market/index-tickers",
)


def on_clock(collector: Collector, now: list[float]) -> None:
    for fetcher in collector.fetchers:
        fetcher.client.breaker = CircuitBreaker(clock=lambda: now[0])


async def test_one_bad_poll_does_not_keep_okx_out_after_it_recovered(fx: FakeExchange) -> None:
    """OKX asks five endpoints a poll: all five failing once is one failed poll, not five."""
    now = [1000.0]
    collector = collector_for(fx)
    on_clock(collector, now)
    await collector.tick()
    for path in OKX_BULK:
        fx.fail(path, "500", times=3)  # every attempt of this poll
    bad = await collector.tick()
    assert said(bad) == {Venue.OKX: "server error 500"}
    now[0] = 1004.0
    recovered = await collector.tick()
    await collector.aclose()
    assert said(recovered) == {}
    assert len(recovered.results[Venue.OKX].snapshots) == 2


async def test_three_failed_polls_pause_a_venue_for_a_minute(fx: FakeExchange) -> None:
    now = [1000.0]
    collector = collector_for(fx)
    on_clock(collector, now)
    fx.fail("/okx/api/v5/public/open-interest", "500", times=9)  # three polls of 3 attempts
    for second in (1000.0, 1004.0, 1008.0):
        now[0] = second
        assert said(await collector.tick()) == {Venue.OKX: "server error 500"}
    asked = fx.requests["/okx/api/v5/public/open-interest"]
    # The breaker opened at 1008 for 60 s; the pinned venue clock reads 16:00:00 throughout.
    for second, resume in ((1012.0, "16:00:56"), (1067.9, "16:00:01")):
        now[0] = second
        paused = await collector.tick()
        assert said(paused) == {
            Venue.OKX: f"paused after 3 failed polls in a row, next try at {resume} UTC"
        }
    assert fx.requests["/okx/api/v5/public/open-interest"] == asked  # left alone meanwhile
    now[0] = 1068.0
    trial = await collector.tick()
    await collector.aclose()
    assert said(trial) == {}
    assert fx.requests["/okx/api/v5/public/open-interest"] == asked + 1


async def test_binance_near_its_weight_limit_is_not_counted_healthy(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    fx.binance_weight = 1900
    tick = await collector.tick()
    await collector.aclose()
    assert said(tick) == {
        Venue.BINANCE: "request weight near the limit (1900 of 2400 a minute used), "
        "open interest not asked for 2 symbols"
    }
    assert fx.requests["/binance/fapi/v1/openInterest"] == 0
    assert len(tick.snapshots()) == 6  # the other venues, whole


@pytest.mark.parametrize(
    ("path", "venue"),
    [
        ("/binance/fapi/v1/premiumIndex", Venue.BINANCE),
        ("/bybit/v5/market/tickers", Venue.BYBIT),
        ("/okx/api/v5/public/open-interest", Venue.OKX),
        ("/hyperliquid/info", Venue.HYPERLIQUID),
    ],
)
async def test_a_valid_empty_answer_is_not_healthy(
    fx: FakeExchange, path: str, venue: Venue
) -> None:
    collector = collector_for(fx)
    fx.fail(path, "empty")
    tick = await collector.tick()
    await collector.aclose()
    assert said(tick) == {venue: "answered with no markets"}
    assert tick.results[venue].snapshots == ()


async def test_frozen_hyperliquid_is_left_out_until_it_moves_again(fx: FakeExchange) -> None:
    """Hyperliquid's snapshots carry the bot's clock: only its numbers can tell it is stuck."""
    collector = collector_for(fx)
    await collector.tick()
    fx.freeze("hyperliquid")
    reasons = []
    for step in range(1, 5):
        fx.set("BTC", mark=60000 + step)
        reasons.append(said(await collector.tick()).get(Venue.HYPERLIQUID))
    frozen = "frozen: the same mark and open interest for {} polls while other venues moved"
    assert reasons == [None, None, frozen.format(3), frozen.format(4)]
    del fx.frozen["hyperliquid"]
    fx.set("BTC", mark=60010)
    thawed = await collector.tick()
    await collector.aclose()
    assert said(thawed) == {}
    assert {s.mark for s in thawed.for_asset("BTC")} == {D(60010)}


async def test_a_market_standing_still_is_not_called_frozen(fx: FakeExchange) -> None:
    collector = collector_for(fx)
    for _ in range(6):
        tick = await collector.tick()
    await collector.aclose()
    assert said(tick) == {}


async def test_a_hanging_venue_delays_only_itself(fx: FakeExchange) -> None:
    """The poll waits 0.3 s for any venue; Hyperliquid answers after 1 s. Its answer is not
    thrown away: the next poll takes it instead of asking again."""
    collector = collector_for(fx, timeout_s=5.0)
    collector.deadline_s = 0.3
    fx.fail("/hyperliquid/info", "timeout", delay_s=1.0)
    arrived: list[Venue] = []

    async def on_result(result: VenueResult) -> None:
        arrived.append(result.venue)

    started = time.perf_counter()
    first = await collector.tick(on_result)
    took = time.perf_counter() - started
    assert took < 0.9
    [slow] = said(first).values()
    assert set(said(first)) == {Venue.HYPERLIQUID} and slow.startswith("slow: no answer")
    assert len(first.snapshots()) == 6
    assert arrived[-1] == Venue.HYPERLIQUID and len(arrived) == 4  # the others came first
    await asyncio.sleep(1.2 - took)
    second = await collector.tick()
    await collector.aclose()
    assert said(second) == {}
    assert fx.requests["/hyperliquid/info"] == 1


async def test_a_venue_with_its_own_clock_goes_stale_by_it_not_by_repeats(
    fx: FakeExchange,
) -> None:
    collector = collector_for(fx)
    await collector.tick()
    fx.freeze("binance")
    for step in range(1, 5):
        fx.set("BTC", mark=60000 + step)
        tick = await collector.tick()
    await collector.aclose()
    assert said(tick) == {}


async def test_an_answer_cut_off_on_any_path_leaves_out_its_venue_alone(fx: FakeExchange) -> None:
    """Every path a poll asks, in turn cut off halfway on every attempt: that venue is left
    out as malformed JSON, the others are whole."""
    first = collector_for(fx)
    await first.tick()
    await first.aclose()
    paths = sorted(fx.requests)
    venue_of = {f"/{fake.prefix}": fake.venue for fake in FAKES.values() if not fake.query}
    for path in paths:
        venue = venue_of["/" + path.split("/")[1]]
        collector = collector_for(fx)  # a first poll: the metadata is asked again
        fx.fail(path, "truncated", times=9)  # every attempt, of every symbol
        tick = await collector.tick()
        await collector.aclose()
        fx.faults.clear()
        assert said(tick) == {venue: "malformed JSON"}, path
        assert {s.venue for s in tick.snapshots()} == set(DEFAULT_VENUES) - {venue}


async def test_a_failed_poll_leaves_no_request_behind_to_reopen_the_session(
    fx: FakeExchange,
) -> None:
    """One of OKX's five calls fails at once while another is still out: the poll ends with the
    failure, and the other is cancelled. Was: it went on retrying past the poll and past
    shutdown, opened the venue's closed session again and left it open ("Unclosed client
    session" at the end of `oiwatch ask`)."""
    collector = collector_for(fx)
    await collector.tick()  # the instruments are in: the next poll is the five calls
    tickers = "/okx/api/v5/market/tickers"
    fx.fail(tickers, "timeout", delay_s=0.3)
    fx.fail("/okx/api/v5/public/mark-price", "403")
    asked = fx.requests[tickers]
    tick = await collector.tick()
    assert said(tick) == {Venue.OKX: "HTTP 403"}
    await collector.aclose()
    await asyncio.sleep(0.5)
    assert fx.requests[tickers] - asked <= 1  # sent before the failure came back, or not
    okx = next(f for f in collector.fetchers if f.venue is Venue.OKX)
    assert okx.client._session is not None and okx.client._session.closed


async def test_the_other_requests_of_a_failed_poll_stop_with_it() -> None:
    answered: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.2)
        answered.append("slow")

    async def failing() -> None:
        raise VenueError(reason(HTTP_STATUS, status=403))

    with pytest.raises(VenueError):
        await together(slow(), failing())
    await asyncio.sleep(0.3)
    assert answered == []


async def test_a_closed_venue_client_opens_no_new_session() -> None:
    client = make_fetchers(MarketEndpoints(okx="http://127.0.0.1:9"), [Venue.OKX])[0].client
    await client.aclose()
    with pytest.raises(VenueError) as closed:
        await client.get("api/v5/public/instruments")
    assert str(closed.value.reason) == "closed: the bot is shutting down"
    assert client._session is None
