"""Bybit and OKX history -> Snapshot with exact numbers from the fixture rows (the docs'
examples, so only the shapes are real; timestamps are moved where two endpoints must meet)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any, cast

import pytest

from bot.market.history import Funding, Market, backfill_venue, each_market
from bot.market.http import VenueClient, VenueError
from bot.market.models import Snapshot, Venue
from bot.market.venues.bybit import BybitFetcher, bybit_snapshots
from bot.market.venues.okx import OkxFetcher, okx_snapshots
from tests.fakes.exchange import fixture

BYBIT_BTC = Market(Venue.BYBIT, "BTCUSDT", "BTC", D(1))
OKX_BTC = Market(Venue.OKX, "BTC-USDT-SWAP", "BTC", D(1))
DAY0 = 1780963200000  # the newest row of the Bybit OI fixture (2026-06-09 00:00 UTC)
HOUR = 3_600_000


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _bybit_rows() -> tuple[list[dict[str, Any]], list[list[str]]]:
    oi = fixture("bybit/open_interest_inverse_BTCUSD_1d.json")["result"]["list"]
    klines = fixture("bybit/kline_inverse_BTCUSD.json")["result"]["list"]
    # The three kline rows moved onto the three newest OI bars; the older two get no price.
    return oi, [[row["timestamp"], *k[1:]] for row, k in zip(oi, klines, strict=False)]


def test_bybit_bar_takes_its_kline_open_and_one_side_of_oi() -> None:
    oi, klines = _bybit_rows()
    template = fixture("bybit/funding_history.json")["result"]["list"][0]
    funding = Funding.settled(
        [
            (DAY0 - 4 * HOUR, template["fundingRate"]),  # 0.0001
            (DAY0 - 12 * HOUR, "-0.00005"),
        ]
    )
    snaps = bybit_snapshots(BYBIT_BTC, oi, klines, funding)

    assert [s.ts for s in snaps] == [_at(int(row["timestamp"])) for row in oi[:3]]
    newest = snaps[0]
    # singleOpenInterest 31,955,346 (half of openInterest 63,910,691); open 17,071.
    assert (newest.oi_contracts, newest.oi_coin, newest.mark) == (
        D(31955346),
        D(31955346),
        D(17071),
    )
    assert newest.oi_usd == D(545509711566)  # 31,955,346 x 17,071
    assert (newest.funding_rate, newest.funding_interval_hours) == (D("0.0001"), 8)
    assert newest.next_funding_time == _at(DAY0 + 4 * HOUR)  # settled 04h earlier, + 8 h
    assert snaps[1].mark == D("17071.5") and snaps[2].mark == D("17086.5")
    assert snaps[1].funding_rate is None and snaps[1].next_funding_time is None  # before both
    assert (newest.venue, newest.symbol, newest.asset, newest.inverse) == (
        Venue.BYBIT,
        "BTCUSDT",
        "BTC",
        False,
    )


def test_bybit_rows_before_single_oi_and_scaled_symbols() -> None:
    oi, klines = _bybit_rows()
    older = [{k: v for k, v in oi[0].items() if k != "singleOpenInterest"}]
    pepe = Market(Venue.BYBIT, "1000PEPEUSDT", "PEPE", D(1000))
    (snap,) = bybit_snapshots(pepe, older, klines, Funding.settled([]))
    # Without singleOpenInterest the row is taken as it is, as the live tickers do.
    assert snap.oi_contracts == D(63910691)
    assert snap.oi_coin == D(63910691000)  # 1000PEPE contracts x 1,000
    assert snap.oi_usd == D(63910691) * D(17071)  # the kline's 17,071 is per 1000PEPE
    assert snap.mark == D("17.071")  # per PEPE, as OKX quotes it
    assert snap.funding_rate is None and snap.funding_interval_hours is None


def test_okx_rows_state_contracts_coin_and_usd() -> None:
    rows = fixture("okx/rubik_contracts_open_interest_history.json")["data"]
    funding_rows = fixture("okx/funding_rate_history.json")["data"]
    funding = Funding.settled((r["fundingTime"], r["fundingRate"]) for r in funding_rows)
    snaps = okx_snapshots(OKX_BTC, rows, funding)

    assert [s.ts for s in snaps] == [_at(1701417600000), _at(1701417500000)]
    snap = snaps[0]
    assert (snap.oi_contracts, snap.oi_coin, snap.oi_usd) == (
        D("731377.57500501"),
        D(111),
        D(8888888),
    )
    # USD / coin: 8,888,888 / 111 = 80,080 + 8 / 111 = 80,080.0720...
    assert snap.mark.quantize(D("0.0001")) == D("80080.0721")
    assert funding.interval_hours == 8  # settlements 2023-12-31 16:00 and 2024-01-01 00:00
    assert snap.funding_rate is None  # 2023-12-01: before the first settled rate listed


def test_okx_funding_joins_the_bar_and_rows_without_oi_are_left_out() -> None:
    template = fixture("okx/rubik_contracts_open_interest_history.json")["data"][0]
    funding_rows = fixture("okx/funding_rate_history.json")["data"]
    funding = Funding.settled((r["fundingTime"], r["fundingRate"]) for r in funding_rows)
    settled_last = 1704067200000  # 2024-01-01 00:00, rate 0.0001515032
    rows = [
        [str(settled_last + 300_000), *template[1:]],
        [str(settled_last - 4 * HOUR), *template[1:]],  # 20:00, after the 16:00 settlement
        [str(settled_last - 4 * HOUR - 300_000), template[1], "0", "0"],
    ]
    after, between = okx_snapshots(OKX_BTC, rows, funding)
    assert (after.funding_rate, after.next_funding_time) == (
        D("0.0001515032"),
        _at(settled_last + 8 * HOUR),
    )
    # The next funding time of the earlier bar is the settlement the history lists next.
    assert (between.funding_rate, between.next_funding_time) == (
        D("-0.0000236017"),
        _at(settled_last),
    )


class StubClient:
    """Answers the fetchers' `get` from a script (path -> params -> body), and records calls."""

    def __init__(self, answers: dict[str, Callable[[dict[str, str]], Any]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, str]]] = []

    async def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        self.calls.append((path, dict(params or {})))
        return self.answers[path](params or {})

    @property
    def venue_client(self) -> VenueClient:
        return cast(VenueClient, self)  # the fetchers only call get()


def _unknown(params: dict[str, str]) -> Any:
    raise VenueError(f"okx: unknown {params.get('instId')}", unknown_symbol=True)


async def test_okx_symbol_that_fails_is_skipped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rubik = fixture("okx/rubik_contracts_open_interest_history.json")
    drained = {**rubik, "data": []}  # nothing older: the venue's history ends
    client = StubClient(
        {
            "api/v5/public/instruments": lambda _: fixture("okx/instruments_SWAP_2022.json"),
            "api/v5/rubik/stat/contracts/open-interest-history": lambda p: (
                _unknown(p) if p["instId"] == "BTC-USDT-SWAP" else drained if "end" in p else rubik
            ),
            "api/v5/public/funding-rate-history": lambda _: fixture(
                "okx/funding_rate_history.json"
            ),
        }
    )
    with caplog.at_level(logging.WARNING):
        snaps = await backfill_venue(OkxFetcher(client.venue_client), ["BTC", "ETH"], hours=1)
    assert [(s.symbol, s.oi_coin) for s in snaps] == [("ETH-USDT-SWAP", D(111))] * 2
    assert "no okx backfill for BTC-USDT-SWAP: okx: unknown BTC-USDT-SWAP" in caplog.text
    # 13 bars for an hour: 2 came, so the next page asks for 11 older than the last row.
    pages = [p for path, p in client.calls if path.endswith("open-interest-history")]
    assert [(p["instId"], p["limit"], p.get("end")) for p in pages] == [
        ("BTC-USDT-SWAP", "13", None),
        ("ETH-USDT-SWAP", "13", None),
        ("ETH-USDT-SWAP", "11", "1701417500000"),
    ]


async def test_bybit_pages_by_cursor_and_a_failing_venue_gives_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = fixture("bybit/open_interest_inverse_BTCUSD_1d.json")
    last = {**first, "result": {**first["result"], "list": [], "nextPageCursor": ""}}
    client = StubClient(
        {
            "v5/market/instruments-info": lambda _: fixture("bybit/instruments_info_linear.json"),
            "v5/market/open-interest": lambda p: last if "cursor" in p else first,
            "v5/market/kline": lambda _: fixture("bybit/kline_inverse_BTCUSD.json"),
            "v5/market/funding/history": lambda _: fixture("bybit/funding_history.json"),
        }
    )
    await backfill_venue(BybitFetcher(client.venue_client), ["BTC"])
    pages = [p for path, p in client.calls if path == "v5/market/open-interest"]
    assert [(p["limit"], p.get("cursor")) for p in pages] == [
        ("200", None),
        ("200", first["result"]["nextPageCursor"]),  # 289 bars wanted, 5 came
    ]

    def down(_: dict[str, str]) -> Any:
        raise VenueError("bybit: server error 503", retryable=True)

    broken = StubClient({"v5/market/instruments-info": down})
    with caplog.at_level(logging.WARNING):
        assert await backfill_venue(BybitFetcher(broken.venue_client), ["BTC"]) == []
    assert "no bybit backfill: bybit: server error 503" in caplog.text


@dataclass
class Listed:
    """A venue whose instrument list is built anew on each ask, as the fetchers build it."""

    listing: list[Market]
    listed: list[Market] = field(default_factory=list)
    asks: int = 0

    def markets(self) -> list[Market]:
        self.asks += 1
        return list(self.listed)

    async def refresh_metadata(self) -> None:
        self.listed = self.listing


@pytest.mark.parametrize(("loaded", "asks"), [(True, 1), (False, 2)])
async def test_a_backfill_reads_the_instrument_list_once_it_is_loaded(
    loaded: bool, asks: int
) -> None:
    """Loaded by a tick, the list is read once; not yet, it is loaded and read after."""
    pepe = Market(Venue.BYBIT, "1000PEPEUSDT", "PEPE", D(1000))
    listing = [BYBIT_BTC, Market(Venue.BYBIT, "ETHUSDT", "ETH", D(1)), pepe]
    venue = Listed(listing, listing if loaded else [])
    loaded_markets: list[str] = []

    async def load(market: Market) -> list[Snapshot]:
        loaded_markets.append(market.symbol)
        return []

    assert await each_market(venue, ["PEPE", "BTC"], load) == []
    assert (loaded_markets, venue.asks) == (["BTCUSDT", "1000PEPEUSDT"], asks)
