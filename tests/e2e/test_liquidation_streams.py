"""The websocket consumers against the fake venues: bursts, reconnects, silent stalls."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.feed.market_feed import MarketFeed
from bot.market.collector import Collector
from bot.market.klines import KlineBook, KlineMinute
from bot.market.liquidations import LiquidationAggregator
from bot.market.models import LiquidationEvent, Venue
from bot.market.streams import StreamConsumer
from bot.market.venues.binance import BinanceFetcher, binance_kline_stream, binance_stream
from bot.market.venues.bybit import BybitFetcher, bybit_stream
from bot.market.venues.okx import OKX_SUBSCRIBE, OkxFetcher, okx_stream
from bot.market.venues.registry import MarketEndpoints, make_fetchers
from bot.risk.side import Side
from storage.db import make_engine, make_session_factory
from storage.repositories.snapshots import SnapshotRepository
from tests.fakes.exchange import FakeExchange, fixture


def _order(i: int, side: str) -> dict:
    order = {
        "s": "BTCUSDT",
        "S": side,
        "q": "0.5",
        "z": "0.5",
        "p": "60000",
        "ap": "60000",
        "T": 1764000000000 + i,
    }
    return {"e": "forceOrder", "E": 1764000000000 + i, "o": order}


async def _until(predicate, timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_binance_burst_is_summed_per_side() -> None:
    async with FakeExchange() as fx:
        events: list[LiquidationEvent] = []
        consumer = StreamConsumer(binance_stream(), fx.endpoints.binance_ws, events.append)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        for i in range(50):
            fx.push_ws("binance", _order(i, "SELL" if i % 5 else "BUY"))
        await _until(lambda: len(events) == 50)
        stop.set()
        fx.push_ws("binance", {"e": "noise"})
        await asyncio.wait_for(task, 3)
    agg = LiquidationAggregator()
    for event in events:
        agg.add(event)
    [flow] = agg.drain()
    assert (flow.long_usd, flow.short_usd, flow.events) == (40 * 30000, 10 * 30000, 50)
    assert sum(e.side_liquidated is Side.LONG for e in events) == 40


async def test_bybit_subscribes_pings_and_reconnects_after_a_stall() -> None:
    async with FakeExchange() as fx:
        events: list[LiquidationEvent] = []
        consumer = StreamConsumer(
            bybit_stream(["BTCUSDT", "ETHUSDT"], ping_s=0.1),
            fx.endpoints.bybit_ws,
            events.append,
            stall_s=0.3,
            backoff_s=0.05,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await _until(lambda: consumer.connects == 1 and fx.ws_received)
        subscribe = json.loads(fx.ws_received[0])
        assert subscribe == {
            "op": "subscribe",
            "args": ["allLiquidation.BTCUSDT", "allLiquidation.ETHUSDT"],
        }
        await _until(lambda: '{"op":"ping"}' in fx.ws_received)
        # Nothing arrives for longer than stall_s: the consumer drops and reconnects.
        await _until(lambda: consumer.connects >= 2 and consumer.stalls >= 1)
        frame = {
            "topic": "allLiquidation.BTCUSDT",
            "type": "snapshot",
            "ts": 1764000000000,
            "data": [{"T": 1764000000000, "s": "BTCUSDT", "S": "Buy", "v": "2", "p": "60000"}],
        }
        fx.push_ws("bybit", frame)
        await _until(lambda: len(events) == 1)
        stop.set()
        await asyncio.wait_for(task, 3)
    assert events[0].side_liquidated is Side.LONG and events[0].usd == 120000


async def test_bybit_listens_to_scaled_symbols_and_counts_their_coins() -> None:
    """PEPE trades as 1000PEPEUSDT on Bybit: its topic is that symbol's, and a liquidation of
    400 contracts at 0.0123 is 400,000 PEPE at 0.0000123, 4.92 USD."""
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000)
        fx.set("PEPE", mark="0.0000123")
        fx.set("ETH", mark=3000)  # listed, not asked for
        fetcher = BybitFetcher.create(fx.endpoints.bybit)
        feed = fetcher.liquidations(["BTC", "PEPE"])
        events: list[LiquidationEvent] = []
        consumer = StreamConsumer(feed.stream, fx.endpoints.bybit_ws, events.append)
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await _until(lambda: consumer.connects == 1 and fx.ws_received)
        assert json.loads(fx.ws_received[0]) == {
            "op": "subscribe",
            "args": ["allLiquidation.1000PEPEUSDT", "allLiquidation.BTCUSDT"],
        }
        item = {"T": 1764000000000, "s": "1000PEPEUSDT", "S": "Sell", "v": "400", "p": "0.0123"}
        fx.push_ws(
            "bybit",
            {"topic": "allLiquidation.1000PEPEUSDT", "ts": 1764000000000, "data": [item]},
        )
        await _until(lambda: len(events) == 1)
        stop.set()
        await asyncio.wait_for(task, 3)
        await fetcher.aclose()
    [pepe] = events
    assert (pepe.asset, pepe.side_liquidated) == ("PEPE", Side.SHORT)
    assert (pepe.qty_coin, pepe.price, pepe.usd) == (
        Decimal(400000),
        Decimal("0.0000123"),
        Decimal("4.92"),
    )


async def test_a_closed_connection_is_reopened() -> None:
    async with FakeExchange() as fx:
        events: list[LiquidationEvent] = []
        consumer = StreamConsumer(
            binance_stream(), fx.endpoints.binance_ws, events.append, backoff_s=0.05
        )
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await _until(lambda: consumer.connects == 1)
        fx.ws_frames["binance"].put_nowait("__close__")
        await _until(lambda: consumer.connects == 2)
        fx.push_ws("binance", _order(1, "BUY"))
        await _until(lambda: len(events) == 1)
        stop.set()
        fx.push_ws("binance", {"e": "noise"})
        await asyncio.wait_for(task, 3)
    assert events[0].side_liquidated is Side.SHORT


async def test_okx_subscribes_pings_and_sizes_contracts_from_the_instruments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.market.liquidations")
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000)  # the fake lists BTC-USDT-SWAP at 0.01 BTC a contract
        fetcher = OkxFetcher.create(fx.endpoints.okx)
        events: list[LiquidationEvent] = []
        consumer = StreamConsumer(
            okx_stream(fetcher, ping_s=0.05), fx.endpoints.okx_ws, events.append
        )
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await _until(lambda: consumer.connects == 1 and fx.ws_received)
        # The instruments were loaded before connecting: nothing polled OKX yet.
        assert fx.requests["/okx/api/v5/public/instruments"] == 1
        assert json.loads(fx.ws_received[0]) == OKX_SUBSCRIBE
        await _until(lambda: fx.ws_received.count("ping") >= 2)  # each answered with `pong`
        frame = fixture("okx/ws_liquidation_orders.json")
        detail = dict(frame["data"][0]["details"][0], posSide="net", side="sell", sz="50")
        item = dict(frame["data"][0], instId="BTC-USDT-SWAP", details=[dict(detail, bkPx="59000")])
        fx.push_ws("okx", dict(frame, data=[item]))
        await _until(lambda: len(events) == 1)
        stop.set()
        await asyncio.wait_for(task, 3)
        await fetcher.aclose()
    [event] = events
    # net mode, sell: a long; 50 contracts x 0.01 BTC at 59,000
    assert (event.asset, event.side_liquidated, event.usd) == ("BTC", Side.LONG, 29500)
    assert "unreadable" not in caplog.text  # the `pong` answers were not parsed as frames


@pytest.mark.parametrize(
    ("venues", "streamed"),
    [
        ([Venue.OKX], ["okx liquidation"]),
        ([Venue.BINANCE_COINM, Venue.HYPERLIQUID], []),  # neither has a stream here
        (
            [Venue.BINANCE, Venue.BYBIT, Venue.OKX, Venue.HYPERLIQUID],
            ["binance liquidation", "binance kline", "bybit liquidation", "okx liquidation"],
        ),
    ],
)
async def test_only_polled_venues_are_streamed(venues: list[Venue], streamed: list[str]) -> None:
    collector = Collector(make_fetchers(MarketEndpoints(), venues), ["BTC"])
    engine = make_engine("sqlite+aiosqlite://")  # never queried: streams() reads no history
    try:
        market = MarketFeed(SnapshotRepository(make_session_factory(engine)), collector, {"BTC"})
        consumers = market.streams()
        assert [f"{c.venue} {c.stream.name}" for c in consumers] == streamed
    finally:
        await collector.aclose()
        await engine.dispose()


async def test_binance_klines_subscribe_once_and_keep_the_newest_state_of_each_minute() -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000)
        fx.set("PEPE", mark="0.00001")
        fx.set("ETH", mark=3000)  # listed, not polled: not subscribed
        fetcher = BinanceFetcher.create(fx.endpoints.binance)
        klines: list[KlineMinute] = []
        consumer = StreamConsumer(
            binance_kline_stream(fetcher, lambda: {"BTC", "PEPE"}),
            fx.endpoints.binance_kline_ws,
            klines.append,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        await _until(lambda: consumer.connects == 1 and fx.ws_received)
        # The instruments were loaded first: PEPE trades as 1000PEPEUSDT on Binance.
        assert fx.requests["/binance/fapi/v1/exchangeInfo"] == 1
        assert json.loads(fx.ws_received[0]) == {
            "method": "SUBSCRIBE",
            "params": ["1000pepeusdt@kline_1m", "btcusdt@kline_1m"],
            "id": 1,
        }
        minute = 1764000000000
        for close, low, volume, sold in ((59000, 59000, 40, 30), (58200, 58100, 95, 80)):
            fx.push_kline(
                "BTC",
                minute,
                open=60000,
                high=60050,
                low=low,
                close=close,
                volume=volume,
                taker_buy=volume - sold,
            )
        # As 1000PEPEUSDT trades: the price of 1000 PEPE, volumes in 1000 PEPE.
        fx.push_kline(
            "PEPE",
            minute,
            open="0.0100",
            high="0.0110",
            low="0.0090",
            close="0.0105",
            volume=5,
            taker_buy=2,
            closed=True,
        )
        await _until(lambda: len(klines) == 3)  # the subscription answer is no kline
        stop.set()
        fx.push_ws("binance-kline", {"e": "noise"})
        await asyncio.wait_for(task, 3)
        await fetcher.aclose()
    book = KlineBook()
    for kline in klines:
        book.add(kline)
    btc, pepe = book.drain()
    assert (btc.asset, btc.low, btc.close, btc.volume, btc.taker_buy) == (
        "BTC",
        58100,
        58200,
        95,
        15,
    )
    assert btc.minute == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    # 1000PEPEUSDT: prices and volumes of one PEPE, as the snapshots and the other venues.
    assert (pepe.asset, pepe.volume, pepe.taker_buy) == ("PEPE", 5000, 2000)
    assert (pepe.open, pepe.high, pepe.low, pepe.close) == (0.00001, 0.000011, 0.000009, 0.0000105)
