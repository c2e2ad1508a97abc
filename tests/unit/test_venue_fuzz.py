"""Broken venue answers through the real fetchers and parsers: every venue's poll, backfill and
liquidation frames, built from the recorded fixtures, with one to three nodes deleted, nulled,
emptied, turned to text, NaN, negative, zero, absurd or the wrong type, rows dropped or
doubled. Whatever arrives, nothing but a venue left out comes of it: no exception escapes the
collector or a stream, no snapshot carries a price or OI that is not a positive finite number,
no field reads 0 where the venue did not say 0, and the markets the breakage did not touch
come out exactly as without it. Fixed seed (derandomize) and bounded example counts, so the
run is the same every time and takes seconds."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.market.collector import CLOCKLESS, Collector
from bot.market.history import backfill_venue
from bot.market.klines import KlineMinute
from bot.market.models import Snapshot, Venue
from bot.market.streams import StreamConsumer
from bot.market.venues import okx
from bot.market.venues.binance import binance_kline_stream, binance_stream
from bot.market.venues.bybit import bybit_stream
from bot.market.venues.okx import okx_stream
from tests.fakes.exchange import FIXTURES
from tests.fakes.mutate import FIELD_OPS, ROW_OPS, Mutation, Path, fields, rows
from tests.fakes.replay import ASSETS, NOW_MS, Answers, Key, fresh, record, replaying

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = datetime.fromtimestamp(NOW_MS / 1000, UTC)
AHEAD = timedelta(minutes=5)
PRICES = ("mark", "index", "last")
OPEN_INTEREST = ("oi_contracts", "oi_coin", "oi_usd")
VOLUMES = ("volume_24h_coin", "volume_24h_usd")
NUMBERS = (*PRICES, *OPEN_INTEREST, *VOLUMES, "funding_rate", "funding_interval_hours")


@cache
def polls() -> dict[Venue, Answers]:
    return record(lambda fetcher: fetcher.tick(None))


def mentions(node: Any, names: frozenset[str]) -> frozenset[str]:
    """The markets whose name appears in a node's strings."""
    if isinstance(node, str):
        return frozenset(n for n in names if n in node)
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    return frozenset().union(*(mentions(child, names) for child in children))


def touched(body: Any, path: Path, names: frozenset[str]) -> frozenset[str]:
    """The markets a change at `path` may affect: those named by the nearest enclosing node
    that names only some; a nameless row of a list pairs by position with the rows of
    another list as long (Hyperliquid's universe and contexts); otherwise all."""
    node: Any = body
    named = mentions(node, names)
    if named and named != names:
        return named
    for step in path:
        try:
            parent, node = node, node[step]
        except (KeyError, IndexError, TypeError):
            return names  # an earlier change took the path away: this one changes nothing
        named = mentions(node, names)
        if named and named != names:
            return named
        if not named and isinstance(parent, list):
            paired = frozenset().union(
                *(
                    mentions(other[step], names)
                    for other in lists(body)
                    if other is not parent and len(other) == len(parent)
                )
            )
            if paired:
                return paired
    return names


def lists(node: Any) -> list[list[Any]]:
    found = [node] if isinstance(node, list) else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        found += lists(child)
    return found


def reads_zero(value: Any) -> bool:
    return value is not None and float(value) == 0


def broken(snap: Snapshot) -> list[str]:
    """The fields of a snapshot no market can have, as stored (floats) and as computed."""
    bad = []
    for name in NUMBERS:
        value = getattr(snap, name)
        if value is None:
            if name == "mark" or name in OPEN_INTEREST:
                bad.append(name)
            continue
        number = float(value)
        if not (isinstance(value, Decimal | int) and number == number and abs(number) < 1e300):
            bad.append(name)
        elif name in PRICES or name in OPEN_INTEREST or name == "funding_interval_hours":
            if number <= 0:
                bad.append(name)
        elif name in VOLUMES and number < 0:
            bad.append(name)
    return bad


def mutations(answers: Answers) -> st.SearchStrategy[list[tuple[Key, Mutation]]]:
    """One to three changes, each in one of the venue's answers."""
    one = st.one_of(
        *(
            st.tuples(
                st.just(call), st.builds(Mutation, st.sampled_from(paths), st.sampled_from(ops))
            )
            for call in sorted(answers)
            for paths, ops in ((fields(answers[call]), FIELD_OPS), (rows(answers[call]), ROW_OPS))
            if paths
        )
    )
    return st.lists(one, min_size=1, max_size=3)


@cache
def poll_mutations(venue: Venue) -> st.SearchStrategy[list[tuple[Key, Mutation]]]:
    return mutations(polls()[venue])


def changed(
    answers: Answers, changes: list[tuple[Key, Mutation]], names: frozenset[str]
) -> tuple[Answers, frozenset[str]]:
    """The answers changed, and the markets the changes may affect (each change read where
    the ones before it left the answer)."""
    out, hit = dict(answers), frozenset[str]()
    for call, mutation in changes:
        hit |= touched(out[call], mutation.path, names)
        out[call] = mutation.apply(out[call])
    return out, hit


def poll(venue: Venue, answers: Answers) -> list[Snapshot] | None:
    """One collector poll of the venue: its snapshots, or None when it is left out."""

    async def run() -> list[Snapshot] | None:
        collector = Collector([replaying(fresh(venue), answers)], None, clock=lambda: NOW)
        result = (await collector.tick()).results[venue]
        return None if result.degraded else list(result.snapshots)

    return asyncio.run(run())


def by_symbol(venue: Venue, snapshots: list[Snapshot]) -> dict[str, Snapshot]:
    # The clockless venue stamps its snapshots with the bot's clock: compare the rest.
    return {
        s.symbol: dataclasses.replace(s, ts=NOW) if venue in CLOCKLESS else s for s in snapshots
    }


@cache
def baseline(venue: Venue) -> dict[str, Snapshot]:
    snapshots = poll(venue, polls()[venue])
    assert snapshots is not None
    found = by_symbol(venue, snapshots)
    assert {s.asset for s in found.values()} == set(ASSETS)
    return found


@pytest.mark.parametrize("venue", list(Venue))
@FUZZ
@given(data=st.data())
def test_a_broken_poll_leaves_out_the_venue_or_the_market_never_a_wrong_number(
    venue: Venue, data: st.DataObject
) -> None:
    answers = polls()[venue]
    changes = data.draw(poll_mutations(venue))
    answers, hit = changed(answers, changes, frozenset(ASSETS))
    snapshots = poll(venue, answers)  # nothing may raise
    if snapshots is None:
        return
    before = baseline(venue)
    zero_written = any(m.writes_zero for _, m in changes)
    after = by_symbol(venue, snapshots)
    assert len(after) == len(snapshots), "one market, two snapshots"
    for symbol, snap in after.items():
        assert broken(snap) == [], snap
        # A time ahead would stay the market's newest snapshot, shown in place of fresh ones.
        assert snap.ts <= NOW + AHEAD, snap
        if symbol not in before:
            continue  # renamed by a change: what the venue said, checked as a number above
        if before[symbol].asset not in hit:
            assert snap == before[symbol]
        elif not zero_written:
            silent = [n for n in NUMBERS if reads_zero(getattr(snap, n))]
            assert silent == [n for n in NUMBERS if reads_zero(getattr(before[symbol], n))]
    for symbol, snap in before.items():
        if snap.asset not in hit:
            assert symbol in after, f"{symbol} lost to a change of another market"


# The cases the fuzz found, each as it came, with the answer expected now.


def change(venue: Venue, path: str, *mutations: Mutation) -> list[Snapshot] | None:
    answers = polls()[venue]
    call = next(c for c in sorted(answers) if c[0] == path)
    return poll(venue, changed(answers, [(call, m) for m in mutations], frozenset())[0])


def test_an_absurd_exponent_leaves_the_venue_out_instead_of_crashing_the_poll() -> None:
    # Was: decimal.Overflow out of OI x mark, through the collector: the whole poll of every
    # venue failed.
    assert (
        change(Venue.OKX, "api/v5/public/open-interest", Mutation(("data", 2, "oi"), "1e999999"))
        is None
    )
    # Was: a volume of 1e999999 USD, stored as an infinite float.
    assert change(Venue.HYPERLIQUID, "info", Mutation((1, 0, "dayNtlVlm"), "1e999999")) is None


def test_a_negative_open_interest_or_price_leaves_the_venue_out() -> None:
    # Was: a snapshot with -1 contracts open (-10 USD of OI), and one with a last price of -1.
    oi = Mutation(("openInterest",), "-1")
    assert change(Venue.BINANCE, "fapi/v1/openInterest", oi) is None
    last = Mutation(("result", "list", 0, "lastPrice"), "-1")
    assert change(Venue.BYBIT_INVERSE, "v5/market/tickers", last) is None


def test_a_venue_time_far_ahead_leaves_the_venue_out() -> None:
    # Was: BTCUSDT stamped 2100-01-01, which would have stayed its newest snapshot until then.
    ahead = Mutation((0, "time"), 4_102_444_800_000)
    assert change(Venue.BINANCE, "fapi/v1/premiumIndex", ahead) is None


def test_a_funding_interval_of_zero_is_unknown_and_a_negative_one_leaves_the_venue_out() -> None:
    # Was: funding every 0 hours, and every -8 hours.
    at = ("result", "list", 0, "fundingIntervalHour")
    snapshots = change(Venue.BYBIT, "v5/market/tickers", Mutation(at, "0"))
    assert snapshots is not None
    assert {s.symbol: s.funding_interval_hours for s in snapshots} == {
        "BTCUSDT": None,
        "ETHUSDT": 4,
        "1000PEPEUSDT": 8,
    }
    assert change(Venue.BYBIT, "v5/market/tickers", Mutation(at, "-8")) is None


def test_a_market_without_open_interest_is_left_out_the_others_kept() -> None:
    # Was: OKX's PEPE with 0 OI, a market read as empty rather than unknown.
    snapshots = change(Venue.OKX, "api/v5/public/open-interest", Mutation(("data", 2, "oi"), "0"))
    assert snapshots is not None
    assert sorted(s.symbol for s in snapshots) == ["BTC-USDT-SWAP", "ETH-USDT-SWAP"]


def test_a_market_listed_twice_leaves_the_venue_out() -> None:
    # Was: two BTCUSDT snapshots in one poll, its OI counted twice.
    twice = Mutation(("result", "list", 0), "duplicate")
    assert change(Venue.BYBIT, "v5/market/tickers", twice) is None


def test_a_market_without_a_base_coin_leaves_the_venue_out() -> None:
    # Was: ETHUSDT polled as the asset "".
    nameless = Mutation(("result", "list", 1, "baseCoin"), "")
    assert change(Venue.BYBIT, "v5/market/instruments-info", nameless) is None


# Websocket frames: the recorded ones, through the consumer's own frame handling.

FRAMES = {
    "binance_usdm/ws_forceOrder_arr.jsonl": lambda: binance_stream(),
    "binance_usdm/ws_kline_1m.json": lambda: binance_kline_stream(fresh(Venue.BINANCE), list),
    "bybit/ws_allLiquidation.json": lambda: bybit_stream(["ROSEUSDT"]),
    "okx/ws_liquidation_orders.json": lambda: okx_stream(okx_with(IOST)),
}
IOST = okx.Instrument("IOST-USDT-SWAP", "IOST", Decimal(10), Decimal(1))


def okx_with(instrument: okx.Instrument) -> okx.OkxFetcher:
    fetcher = fresh(Venue.OKX)
    assert isinstance(fetcher, okx.OkxFetcher)
    fetcher._instruments = {instrument.inst_id: instrument}
    return fetcher


def frames(name: str) -> list[Any]:
    text = (FIXTURES / name).read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


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
    bad = [k for k, v in values.items() if not 0 < float(v) < 1e300]
    return bad + [k for k, v in amounts.items() if not 0 <= float(v) < 1e300]


@pytest.mark.parametrize("name", sorted(FRAMES))
@FUZZ
@given(data=st.data())
def test_a_broken_frame_is_skipped_never_a_wrong_event(name: str, data: st.DataObject) -> None:
    frame = data.draw(st.sampled_from(frames(name)))
    changes = data.draw(
        st.lists(
            st.one_of(
                st.builds(Mutation, st.sampled_from(fields(frame)), st.sampled_from(FIELD_OPS)),
                st.builds(
                    Mutation,
                    st.sampled_from(rows(frame) or fields(frame)),
                    st.sampled_from(ROW_OPS),
                ),
            ),
            min_size=1,
            max_size=3,
        )
    )
    for mutation in changes:
        frame = mutation.apply(frame)
    raw = json.dumps(frame)
    cut = data.draw(st.sampled_from([len(raw), len(raw) // 2, 1]))
    for event in handled(name, raw[:cut]):
        assert wrong(event) == [], event


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_every_recorded_frame_is_handed_on_whole(name: str) -> None:
    for frame in frames(name):
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
    kline = Mutation(("data", "k", "o"), "-1").apply(frames("binance_usdm/ws_kline_1m.json")[0])
    assert handled("binance_usdm/ws_kline_1m.json", json.dumps(kline)) == []


# History to backfill from: a broken answer costs that market its head start, nothing more.

HISTORY = [venue for venue in Venue if fresh(venue).has.history]


@cache
def histories() -> dict[Venue, Answers]:
    return record(lambda fetcher: backfill_venue(fetcher, ASSETS, 1))


@cache
def history_mutations(venue: Venue) -> st.SearchStrategy[list[tuple[Key, Mutation]]]:
    return mutations(histories()[venue])


@pytest.mark.parametrize("venue", HISTORY)
@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_a_broken_history_costs_the_head_start_never_a_wrong_number(
    venue: Venue, data: st.DataObject
) -> None:
    answers, _ = changed(histories()[venue], data.draw(history_mutations(venue)), frozenset())
    fetcher = replaying(fresh(venue), answers)
    for snap in asyncio.run(backfill_venue(fetcher, ASSETS, 1)):  # nothing may raise
        assert broken(snap) == [], snap


def test_a_history_bar_of_no_contracts_costs_that_market_its_history() -> None:
    # Was: an OKX bar of 0 contracts but 1000 BTC open, kept as an OI of 0 contracts.
    answers = histories()[Venue.OKX]
    call = next(c for c in sorted(answers) if "open-interest-history" in c[0] and "BTC" in c[1])
    answers, _ = changed(answers, [(call, Mutation(("data", 0, 1), "0"))], frozenset())
    snapshots = asyncio.run(backfill_venue(replaying(fresh(Venue.OKX), answers), ASSETS, 1))
    assert {s.asset for s in snapshots} == {"ETH", "PEPE"}
