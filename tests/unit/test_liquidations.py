"""Liquidation sides per venue, from the recorded frames, and per-minute sums."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D

from bot.market.liquidations import LiquidationAggregator
from bot.market.models import Venue
from bot.market.venues.binance import parse_binance_force_order
from bot.market.venues.bybit import bybit_subscriptions, parse_bybit_all_liquidation
from bot.market.venues.okx import okx_contracts, parse_instruments, parse_okx_liquidation_orders
from bot.risk.side import Side
from tests.fakes.exchange import FIXTURES, fixture

# IOST-USDT-SWAP is not in the recorded instruments: assume OKX's 1,000 IOST per contract.
IOST = {"IOST-USDT-SWAP": ("IOST", D(1000), D(1))}


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


def test_scaled_contracts_are_liquidated_in_coins_at_the_price_of_one_coin() -> None:
    """1000PEPEUSDT quotes quantity in 1000 PEPE and the price of 1000 PEPE: the event holds
    PEPE and the PEPE price, as the snapshots and OKX do, and the USD is the venue's."""
    order = {"s": "1000PEPEUSDT", "S": "SELL", "q": "250", "z": "250", "p": "0.0123"}
    binance = parse_binance_force_order(
        {"e": "forceOrder", "E": 1764000001000, "o": dict(order, ap="0.0124", T=1764000001000)}
    )
    assert binance is not None
    assert (binance.asset, binance.qty_coin, binance.price, binance.usd) == (
        "PEPE",
        D(250000),
        D("0.0000124"),
        D("3.1"),  # 250 x 0.0124
    )
    frame = json.loads((FIXTURES / "bybit/ws_allLiquidation.json").read_text())
    item = dict(frame["data"][0], s="1000PEPEUSDT", v="400", p="0.01")
    [bybit] = parse_bybit_all_liquidation(dict(frame, data=[item]))
    assert (bybit.asset, bybit.qty_coin, bybit.price, bybit.usd) == (
        "PEPE",
        D(400000),
        D("0.00001"),
        D(4),
    )


def test_okx_short_side_liquidated_sized_in_contracts() -> None:
    frame = fixture("okx/ws_liquidation_orders.json")
    [event] = parse_okx_liquidation_orders(frame, IOST)
    assert (event.venue, event.symbol, event.asset, event.side_liquidated) == (
        Venue.OKX,
        "IOST-USDT-SWAP",
        "IOST",
        Side.SHORT,  # posSide "short"
    )
    # 13 contracts x 1,000 IOST at the bankruptcy price 0.007831
    assert (event.qty_coin, event.price, event.usd) == (D(13000), D("0.007831"), D("101.803"))
    assert event.ts == datetime(2023, 8, 17, 10, 0, 34, 10000, tzinfo=UTC)


def test_okx_net_mode_sell_means_a_long_was_liquidated() -> None:
    frame = fixture("okx/ws_liquidation_orders.json")
    detail = frame["data"][0]["details"][0]

    def side(pos_side: str, order_side: str) -> Side:
        changed = dict(detail, posSide=pos_side, side=order_side)
        item = dict(frame["data"][0], details=[changed])
        [event] = parse_okx_liquidation_orders(dict(frame, data=[item]), IOST)
        return event.side_liquidated

    assert side("net", "sell") is Side.LONG
    assert side("net", "buy") is Side.SHORT
    assert side("long", "sell") is Side.LONG


def test_okx_skips_unknown_instruments_and_other_frames() -> None:
    # The recorded instruments: BTC-USD-SWAP (USD-margined, ctVal in USD) and ETH-USDT-SWAP.
    contracts = okx_contracts(parse_instruments(fixture("okx/instruments_SWAP.json")))
    assert contracts == {"ETH-USDT-SWAP": ("ETH", D("0.1"), D(1))}
    frame = fixture("okx/ws_liquidation_orders.json")
    assert parse_okx_liquidation_orders(frame, contracts) == []
    inverse = dict(frame, data=[dict(frame["data"][0], instId="BTC-USD-SWAP")])
    assert parse_okx_liquidation_orders(inverse, contracts) == []
    subscribed = {"event": "subscribe", "arg": frame["arg"], "connId": "a4d3ae55"}
    assert parse_okx_liquidation_orders(subscribed, IOST) == []
    tickers = dict(frame, arg={"channel": "tickers", "instId": "IOST-USDT-SWAP"})
    assert parse_okx_liquidation_orders(tickers, IOST) == []


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
