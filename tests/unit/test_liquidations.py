"""Liquidation sides per venue, from the recorded frames, and per-minute sums."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D

from bot.market.liquidations import (
    LiquidationAggregator,
    bybit_subscriptions,
    parse_binance_force_order,
    parse_bybit_all_liquidation,
)
from bot.market.models import Venue
from bot.side import Side
from tests.fakes.exchange import FIXTURES


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line]


def test_binance_sell_means_a_long_was_liquidated_raw_and_wrapped() -> None:
    raw, wrapped = _jsonl("binance_usdm/ws_forceOrder_arr.jsonl")[:2]
    first = parse_binance_force_order(raw)
    assert first is not None
    assert (first.asset, first.side_liquidated, first.qty_coin, first.usd) == (
        "BTC",
        Side.LONG,
        D("0.014"),
        D("0.014") * D(9910),
    )
    second = parse_binance_force_order(wrapped)
    assert second is not None
    assert (second.asset, second.side_liquidated) == ("IOTX", Side.LONG)
    assert second.usd == D(3661) * D("0.06669")  # filled quantity x average price


def test_bybit_sell_means_a_short_was_liquidated() -> None:
    frame = json.loads((FIXTURES / "bybit/ws_allLiquidation.json").read_text())
    [event] = parse_bybit_all_liquidation(frame)
    assert (event.venue, event.asset, event.side_liquidated) == (Venue.BYBIT, "ROSE", Side.SHORT)
    assert event.usd == D(20000) * D("0.04499")
    buy = dict(frame, data=[dict(frame["data"][0], S="Buy")])
    assert parse_bybit_all_liquidation(buy)[0].side_liquidated is Side.LONG


def test_minutes_sum_each_side() -> None:
    agg = LiquidationAggregator()
    base = {"e": "forceOrder", "E": 0}
    for ms, side, qty in (
        (1764000001000, "SELL", "1"),
        (1764000030000, "SELL", "2"),
        (1764000050000, "BUY", "1"),
        (1764000061000, "SELL", "1"),
    ):
        order = {"s": "BTCUSDT", "S": side, "q": qty, "z": qty, "p": "100", "ap": "100", "T": ms}
        event = parse_binance_force_order({**base, "o": order})
        assert event is not None
        agg.add(event)
    flows = sorted(agg.drain(), key=lambda f: f.minute)
    assert [(f.long_usd, f.short_usd, f.events) for f in flows] == [
        (D(300), D(100), 3),
        (D(100), D(0), 1),
    ]
    assert flows[0].minute == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    assert agg.drain() == []


def test_bybit_subscriptions_stay_under_the_args_limit() -> None:
    symbols = [f"COIN{i}USDT" for i in range(1500)]
    batches = bybit_subscriptions(symbols)
    assert sum(len(b) for b in batches) == 1500
    assert all(len(json.dumps(b)) <= 21_000 for b in batches)
    assert len(batches) == 3  # about 43,500 characters of topics
