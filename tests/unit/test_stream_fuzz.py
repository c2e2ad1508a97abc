"""Broken websocket frames through the real stream consumer: the recorded liquidation and kline
frames with one to three nodes broken, and cut short. Whatever arrives, the frame is skipped
or handed on whole: nothing raises out of the frame handler (which would drop the connection),
and no event carries a quantity or price that is not a positive finite number."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.market.klines import KlineMinute
from bot.market.models import Venue
from bot.market.streams import StreamConsumer
from bot.market.venues import okx
from bot.market.venues.binance import binance_kline_stream, binance_stream
from bot.market.venues.bybit import bybit_stream
from bot.market.venues.okx import okx_stream
from tests.fakes.exchange import FIXTURES
from tests.fakes.fuzzing import FLOAT_MAX, FUZZ, changes
from tests.fakes.mutate import Mutation
from tests.fakes.replay import fresh

IOST = okx.Instrument("IOST-USDT-SWAP", "IOST", Decimal(10), Decimal(1))


def okx_with(instrument: okx.Instrument) -> okx.OkxFetcher:
    fetcher = fresh(Venue.OKX)
    assert isinstance(fetcher, okx.OkxFetcher)
    fetcher._instruments = {instrument.inst_id: instrument}
    return fetcher


# Binance's docs example of a kline has placeholder prices: its low (0.0015) is above its open
# (0.0010), a bar no market trades, so the stream refuses it as recorded. The tests below break
# and read it with the low at the open.
KLINES = "binance_usdm/ws_kline_1m.json"
PLACEHOLDER_LOW = Mutation(("data", "k", "l"), "0.0010")


FRAMES = {
    "binance_usdm/ws_forceOrder_arr.jsonl": lambda: binance_stream(),
    KLINES: lambda: binance_kline_stream(fresh(Venue.BINANCE), list),
    "bybit/ws_allLiquidation.json": lambda: bybit_stream(["ROSEUSDT"]),
    "okx/ws_liquidation_orders.json": lambda: okx_stream(okx_with(IOST)),
}


def frames(name: str) -> list[Any]:
    text = (FIXTURES / name).read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def whole(name: str) -> list[Any]:
    """The recorded frames, each one a market could send."""
    return [PLACEHOLDER_LOW.apply(f) if name == KLINES else f for f in frames(name)]


def handled(name: str, raw: str) -> list[Any]:
    """What the stream hands on for one text frame; nothing may raise."""
    events: list[Any] = []
    StreamConsumer(FRAMES[name](), "", events.append)._handle(raw)
    return events


def wrong(event: Any) -> list[str]:
    if isinstance(event, KlineMinute):
        values = {k: getattr(event, k) for k in ("open", "high", "low", "close")}
        amounts = {"volume": event.volume, "taker_buy": event.taker_buy}
    else:
        values = {"qty": event.qty_coin, "price": event.price, "usd": event.usd}
        amounts = {}
    bad = [k for k, v in values.items() if not 0 < float(v) < FLOAT_MAX]
    return bad + [k for k, v in amounts.items() if not 0 <= float(v) < FLOAT_MAX]


@pytest.mark.parametrize("name", sorted(FRAMES))
@FUZZ
@given(data=st.data())
def test_a_broken_frame_is_skipped_never_a_wrong_event(name: str, data: st.DataObject) -> None:
    frame = data.draw(st.sampled_from(whole(name)))
    for mutation in data.draw(st.lists(changes(frame), min_size=1, max_size=3)):
        frame = mutation.apply(frame)
    raw = json.dumps(frame)
    cut = data.draw(st.sampled_from([len(raw), len(raw) // 2, 1]))
    for event in handled(name, raw[:cut]):
        assert wrong(event) == [], event


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_every_recorded_frame_is_handed_on_whole(name: str) -> None:
    for frame in whole(name):
        events = handled(name, json.dumps(frame))
        assert len(events) == 1 and wrong(events[0]) == []


def test_a_frame_of_null_data_is_skipped_not_the_end_of_the_connection() -> None:
    # Was: AttributeError out of the frame handler, which dropped the connection and
    # restarted the stream task.
    assert handled("binance_usdm/ws_forceOrder_arr.jsonl", '{"stream": "x", "data": null}') == []
    assert handled("okx/ws_liquidation_orders.json", '{"arg": null}') == []


def test_a_liquidation_or_kline_of_a_negative_amount_is_skipped() -> None:
    # Was: a liquidation of -0.04499 USD, which took from the minute's flow, and a kline
    # opening at -1.
    frame = frames("bybit/ws_allLiquidation.json")[0]
    negative = Mutation(("data", 0, "v"), "-1").apply(frame)
    assert handled("bybit/ws_allLiquidation.json", json.dumps(negative)) == []
    kline = Mutation(("data", "k", "o"), "-1").apply(whole(KLINES)[0])
    assert handled(KLINES, json.dumps(kline)) == []


def test_a_kline_whose_low_and_high_do_not_hold_its_open_and_close_is_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Was: Binance's docs example handed on as a bar whose low (0.0015) is above its open.
    assert handled(KLINES, json.dumps(frames(KLINES)[0])) == []
    high_below_close = Mutation(("data", "k", "h"), "0.0019").apply(whole(KLINES)[0])
    assert handled(KLINES, json.dumps(high_below_close)) == []
    low_above_high = Mutation(("data", "k", "l"), "0.0030").apply(whole(KLINES)[0])
    assert handled(KLINES, json.dumps(low_above_high)) == []
    assert caplog.messages == [
        "binance: unreadable kline frame (kline low 0.0015 and high 0.0025 do not hold open "
        "0.0010 and close 0.0020)",
        "binance: unreadable kline frame (kline low 0.0010 and high 0.0019 do not hold open "
        "0.0010 and close 0.0020)",
        "binance: unreadable kline frame (kline low 0.0030 and high 0.0025 do not hold open "
        "0.0010 and close 0.0020)",
    ]
