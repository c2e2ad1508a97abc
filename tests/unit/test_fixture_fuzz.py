"""Every recorded venue answer in tests/data/exchanges, as recorded (not as the fake exchange
rebuilds it), through the parser that reads it, with one to three nodes broken. The parser
either raises what its caller turns into "left out" (NOT_AS_DOCUMENTED, VenueError) or gives
numbers a market can have. The tier tables go through the tier refresh itself, which must not
raise at all. Each fixture is read by something here, or said to be read by nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.market.history import Funding, Market
from bot.market.http import VenueError
from bot.market.models import Snapshot, Venue
from bot.market.values import NOT_AS_DOCUMENTED, BadPayload
from bot.market.venues import binance, bybit, hyperliquid, okx
from bot.risk.tiers import TierTable
from tests.fakes.exchange import FIXTURES, fixture
from tests.fakes.fuzzing import FUZZ, broken, changes
from tests.fakes.replay import ReplayClient, key
from tests.unit.test_stream_fuzz import FRAMES

NOW = datetime(2026, 11, 24, tzinfo=UTC)
BTCUSDT = binance.Instrument("BTCUSDT", "BTC", Decimal(1))
BTCUSD_PERP = binance.Instrument("BTCUSD_PERP", "BTC", Decimal(1), Decimal(100))
BTC_SWAP = okx.Instrument("BTC-USDT-SWAP", "BTC", Decimal("0.01"), Decimal(1))
Reader = Callable[[Any], list[Any]]


def first(doc: Any) -> Any:
    return doc[0] if isinstance(doc, list) else doc


def usdm(premium: Any = None, ticker: Any = None, oi: Any = None) -> list[Any]:
    """A Binance USDⓈ-M snapshot of the recorded BTCUSDT answers, one of them replaced."""
    return [
        binance.build_snapshot(
            BTCUSDT,
            premium or fixture("binance_usdm/premiumIndex_BTCUSDT.json"),
            ticker or fixture("binance_usdm/ticker_24hr_BTCUSDT.json"),
            oi or fixture("binance_usdm/openInterest_BTCUSDT.json"),
            8,
        )
    ]


def coinm(premium: Any = None, ticker: Any = None, oi: Any = None) -> list[Any]:
    return [
        binance.build_snapshot(
            BTCUSD_PERP,
            first(premium or fixture("binance_coinm/premiumIndex_BTCUSD_PERP.json")),
            first(ticker or fixture("binance_coinm/ticker_24hr_BTCUSD_PERP.json")),
            oi or fixture("binance_coinm/openInterest_BTCUSD_PERP.json"),
            8,
        )
    ]


def okx_poll(**answers: Any) -> list[Any]:
    """An OKX snapshot of the recorded BTC-USDT-SWAP rows, one answer replaced."""
    names = {
        "oi": "okx/open_interest_SWAP.json",
        "funding": "okx/funding_rate_BTC-USDT-SWAP.json",
        "mark_row": "okx/mark_price_BTC-USDT-SWAP.json",
        "ticker": "okx/tickers_SWAP.json",
        "index": "okx/index_tickers_BTC-USDT.json",
    }
    rows = {k: (answers.get(k) or fixture(name))["data"][0] for k, name in names.items()}
    return [okx.build_snapshot(BTC_SWAP, **rows)]


def binance_history(oi: Any = None, funding: Any = None) -> list[Any]:
    settled = Funding.settled(
        (row["fundingTime"], row["fundingRate"])
        for row in funding or fixture("binance_usdm/fundingRate_BTCUSDT.json")
    )
    market = Market(Venue.BINANCE, "BTCUSDT", "BTC", Decimal(1))
    return binance.binance_snapshots(
        market, oi or fixture("binance_usdm/openInterestHist_BTCUSDT_5m.json"), settled
    )


def bybit_history(oi: Any = None, klines: Any = None, funding: Any = None) -> list[Any]:
    rates = (funding or fixture("bybit/funding_history.json"))["result"]["list"]
    settled = Funding.settled((r["fundingRateTimestamp"], r["fundingRate"]) for r in rates)
    market = Market(Venue.BYBIT, "BTCUSD", "BTC", Decimal(1))
    return bybit.bybit_snapshots(
        market,
        (oi or fixture("bybit/open_interest_inverse_BTCUSD_1d.json"))["result"]["list"],
        (klines or fixture("bybit/kline_inverse_BTCUSD.json"))["result"]["list"],
        settled,
    )


def okx_history(oi: Any = None, funding: Any = None) -> list[Any]:
    rates = (funding or fixture("okx/funding_rate_history.json"))["data"]
    settled = Funding.settled((r["fundingTime"], r["fundingRate"]) for r in rates)
    market = Market(Venue.OKX, "BTC-USDT-SWAP", "BTC", Decimal(1))
    return okx.okx_snapshots(
        market,
        (oi or fixture("okx/rubik_contracts_open_interest_history.json"))["data"],
        settled,
    )


def bybit_tiers(doc: Any) -> list[Any]:
    """The tier refresh with the recorded risk-limit answer: it must never raise."""
    client = ReplayClient("bybit", "", bybit.check_bybit)
    client.answers[
        key("v5/market/risk-limit", {"params": {"category": "inverse", "symbol": "BTCUSD"}})
    ] = doc
    return asyncio.run(bybit.bybit_tiers(client, {"BTCUSD": "BTCUSD"}))


def checked(check: Callable[[int, Any], None], status: int) -> Reader:
    def read(doc: Any) -> list[Any]:
        check(status, doc)
        return []

    return read


READERS: dict[str, Reader] = {
    "binance_usdm/exchangeInfo.json": lambda doc: list(binance.parse_instruments(doc).values()),
    "binance_coinm/exchangeInfo.json": lambda doc: list(binance.parse_instruments(doc).values()),
    "binance_usdm/fundingInfo.json": lambda doc: list(
        binance.parse_funding_intervals(doc).values()
    ),
    "binance_usdm/premiumIndex_BTCUSDT.json": lambda doc: usdm(premium=doc),
    "binance_usdm/premiumIndex_all.json": lambda doc: usdm(premium=first(doc)),
    "binance_usdm/ticker_24hr_BTCUSDT.json": lambda doc: usdm(ticker=doc),
    "binance_usdm/ticker_24hr_all.json": lambda doc: usdm(ticker=first(doc)),
    "binance_usdm/openInterest_BTCUSDT.json": lambda doc: usdm(oi=doc),
    "binance_coinm/premiumIndex_BTCUSD_PERP.json": lambda doc: coinm(premium=doc),
    "binance_coinm/premiumIndex_pair_BTCUSD.json": lambda doc: coinm(premium=doc),
    "binance_coinm/ticker_24hr_BTCUSD_PERP.json": lambda doc: coinm(ticker=doc),
    "binance_coinm/openInterest_BTCUSD_PERP.json": lambda doc: coinm(oi=doc),
    "binance_usdm/openInterestHist_BTCUSDT_5m.json": lambda doc: binance_history(oi=doc),
    "binance_usdm/openInterestHist_LTCUSDT_1d.json": lambda doc: binance_history(oi=doc),
    "binance_coinm/openInterestHist_BTCUSD_CURRENT_QUARTER_5m.json": lambda doc: binance_history(
        oi=doc
    ),
    "binance_usdm/fundingRate_BTCUSDT.json": lambda doc: binance_history(funding=doc),
    "binance_coinm/fundingRate_BTCUSD_PERP.json": lambda doc: binance_history(funding=doc),
    "binance_usdm/error_-1121_invalid_symbol.json": checked(binance.check_binance, 400),
    "binance_usdm/error_-1003_too_many_requests.CONSTRUCTED.json": checked(
        binance.check_binance, 429
    ),
    "bybit/instruments_info_linear.json": lambda doc: list(bybit.parse_instruments(doc).values()),
    "bybit/tickers_inverse_BTCUSD.json": lambda doc: [
        bybit.build_snapshot(row, "BTC", doc.get("time"), inverse=True)
        for row in doc["result"]["list"]
    ],
    "bybit/open_interest_inverse_BTCUSD_1d.json": lambda doc: bybit_history(oi=doc),
    "bybit/kline_inverse_BTCUSD.json": lambda doc: bybit_history(klines=doc),
    "bybit/funding_history.json": lambda doc: bybit_history(funding=doc),
    "bybit/risk_limit_inverse_BTCUSD.json": bybit_tiers,
    "bybit/error_10001_not_supported_symbols.CONSTRUCTED.json": checked(bybit.check_bybit, 200),
    "bybit/error_10006_rate_limit.CONSTRUCTED.json": checked(bybit.check_bybit, 200),
    "okx/instruments_SWAP.json": lambda doc: list(okx.parse_instruments(doc).values()),
    "okx/instruments_SWAP_2022.json": lambda doc: list(okx.parse_instruments(doc).values()),
    "okx/open_interest_SWAP.json": lambda doc: okx_poll(oi=doc),
    "okx/funding_rate_BTC-USDT-SWAP.json": lambda doc: okx_poll(funding=doc),
    "okx/mark_price_BTC-USDT-SWAP.json": lambda doc: okx_poll(mark_row=doc),
    "okx/tickers_SWAP.json": lambda doc: okx_poll(ticker=doc),
    "okx/index_tickers_BTC-USDT.json": lambda doc: okx_poll(index=doc),
    "okx/rubik_contracts_open_interest_history.json": lambda doc: okx_history(oi=doc),
    "okx/funding_rate_history.json": lambda doc: okx_history(funding=doc),
    "okx/error_50011_rate_limit.CONSTRUCTED.json": checked(okx.check_okx, 200),
    "okx/error_51001_instrument_not_found.CONSTRUCTED.json": checked(okx.check_okx, 200),
    "hyperliquid/metaAndAssetCtxs.json": lambda doc: hyperliquid.parse_meta_and_ctxs(doc, NOW),
}
# Recorded for the reference, read by no code of the bot: nothing to fuzz.
UNREAD = {
    "binance_usdm/klines_BTCUSDT_1d.json": "REST klines: the bot takes klines from the websocket",
    "binance_usdm/ws_markPrice_arr.json": "the mark comes from the poll",
    "bybit/ws_tickers_linear_inverse.jsonl": "tickers come from the poll",
    "okx/candles.json": "no OKX klines",
    "okx/ws_tickers_UNI-USD-SWAP.json": "tickers come from the poll",
    "okx/rubik_contracts_open_interest_volume_BTC.json": "the history uses contracts/open-interest",
    "hyperliquid/allMids_2023.json": "the mids come with metaAndAssetCtxs",
    "hyperliquid/meta_2023.json": "the universe comes with metaAndAssetCtxs",
    "hyperliquid/candleSnapshot_kPEPE_1h.json": "no Hyperliquid klines",
    "hyperliquid/fundingHistory_BTC_2023.json": "no Hyperliquid history (has.history is off)",
    "hyperliquid/fundingHistory_BTC_2026.json": "no Hyperliquid history (has.history is off)",
    "hyperliquid/ws_allDexsAssetCtxs.json": "no Hyperliquid stream",
    "hyperliquid/ws_userFills_liquidation.json": "no Hyperliquid stream",
    "deribit/get_instruments_BTC_perpetual_2021.json": "Deribit is not a venue of the bot",
    "deribit/ws_ticker_BTC-PERPETUAL.json": "Deribit is not a venue of the bot",
}


def wrong(item: Any) -> list[str]:
    """What no market can have, in whatever a reader gives."""
    if isinstance(item, Snapshot):
        return broken(item)
    if isinstance(item, binance.Instrument):
        face_ok = item.face_usd is None or item.face_usd > 0
        return [] if item.asset and item.multiplier > 0 and face_ok else [repr(item)]
    if isinstance(item, okx.Instrument):
        return [] if item.asset and item.ct_val > 0 and item.multiplier > 0 else [repr(item)]
    if isinstance(item, TierTable):
        return [
            f"tier {t.number}"
            for t in item.tiers
            if not (0 <= t.floor < t.cap and 0 <= t.mmr < 1 and t.max_leverage > 0)
        ]
    if isinstance(item, int):
        return [] if item > 0 else [f"interval {item}"]
    return [] if item is None or isinstance(item, str) else [f"unexpected {item!r}"]


def test_every_fixture_is_read_or_said_to_be_unread() -> None:
    on_disk = {str(p.relative_to(FIXTURES)) for p in FIXTURES.glob("*/*.json*")}
    assert on_disk == set(READERS) | set(UNREAD) | set(FRAMES)


@pytest.mark.parametrize("name", sorted(READERS))
def test_every_fixture_reads_as_recorded(name: str) -> None:
    try:
        items = READERS[name](fixture(name))
    except VenueError:
        assert "error" in name  # the error bodies say so
        return
    assert [problem for item in items for problem in wrong(item)] == []


@pytest.mark.parametrize("name", sorted(READERS))
@settings(FUZZ, max_examples=60)  # x 39 fixtures: about 6 s
@given(data=st.data())
def test_a_broken_fixture_is_refused_or_read_right(name: str, data: st.DataObject) -> None:
    doc = fixture(name)
    for mutation in data.draw(st.lists(changes(doc), min_size=1, max_size=3)):
        doc = mutation.apply(doc)
    try:
        items = READERS[name](doc)
    except (VenueError, *NOT_AS_DOCUMENTED):
        return
    assert [problem for item in items for problem in wrong(item)] == []


# The cases the fuzz found, each as it came, with the answer expected now.


def test_a_tier_of_negative_infinite_leverage_is_no_table() -> None:
    # Was: a Bybit table whose first tier allowed -Infinity leverage.
    doc = fixture("bybit/risk_limit_inverse_BTCUSD.json")
    doc["result"]["list"][0]["maxLeverage"] = "-Infinity"
    assert bybit_tiers(doc) == []


def test_a_risk_limit_answer_of_null_result_is_no_table_not_a_failed_refresh() -> None:
    # Was: AttributeError out of the tier refresh, which lost every venue's tables that day.
    doc = fixture("bybit/risk_limit_inverse_BTCUSD.json")
    doc["result"] = None
    assert bybit_tiers(doc) == []


def test_a_history_bar_of_zero_usd_is_refused_not_a_mark_of_zero() -> None:
    # Was: an OKX bar of 0 USD over 111 BTC read as a mark price of 0.
    doc = fixture("okx/rubik_contracts_open_interest_history.json")
    doc["data"][0][3] = 0
    with pytest.raises(BadPayload):
        okx_history(oi=doc)


def test_a_history_kline_whose_high_is_below_its_open_is_refused() -> None:
    # Was: the bar's open taken for the mark without a look at the rest of the bar.
    doc = fixture("bybit/kline_inverse_BTCUSD.json")
    doc["result"]["list"][0][2] = "17050"  # [start, open 17071, high, low 17027, close 17055.5]
    with pytest.raises(BadPayload) as refused:
        bybit_history(klines=doc)
    assert str(refused.value) == (
        "kline low 17027 and high 17050 do not hold open 17071 and close 17055.5"
    )


def test_a_settled_funding_rate_sent_twice_is_one_and_two_of_one_time_are_refused() -> None:
    # Was: the newest settlement twice read as settlements 0 hours apart (the interval lost),
    # and two rates of one settlement both kept, the one sorted last taken as the rate.
    doc = fixture("okx/funding_rate_history.json")
    rows = doc["data"]  # newest first, 8 hours apart
    assert {s.funding_interval_hours for s in okx_history(funding=doc)} == {8}
    assert okx_history(funding={**doc, "data": [rows[0], *rows]}) == okx_history(funding=doc)
    other = {**rows[0], "fundingRate": "0.0002"}
    with pytest.raises(BadPayload) as refused:
        okx_history(funding={**doc, "data": [other, *rows]})
    assert str(refused.value) == "two different history rows at 2024-01-01 00:00:00 UTC"


def test_a_settled_funding_rate_beyond_every_venues_cap_is_refused() -> None:
    # Was: a settled rate of -100 % carried by every history bar after it.
    doc = fixture("okx/funding_rate_history.json")
    doc["data"][0]["fundingRate"] = "-1"
    with pytest.raises(BadPayload) as refused:
        okx_history(funding=doc)
    assert str(refused.value) == "fundingRate is beyond any venue's funding cap: -1"
