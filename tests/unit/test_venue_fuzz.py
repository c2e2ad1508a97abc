"""Broken venue answers through the real fetchers and parsers: every venue's poll and backfill,
built by the fake exchange from the recorded fixtures, with one to three nodes deleted, nulled,
emptied, turned to text, NaN, negative, zero, absurd, far ahead in time or the wrong type, rows
dropped or doubled. Whatever arrives, nothing but a venue (or a market) left out comes of it:
no exception escapes the collector or the backfill, no snapshot carries a price or OI that is
not a positive finite number or a time ahead of ours, no field reads 0 where the venue did not
say 0, and the markets the breakage did not touch come out exactly as without it."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.market.collector import CLOCKLESS, Collector
from bot.market.history import backfill_venue
from bot.market.models import Snapshot, Venue, VenueResult
from tests.fakes.fuzzing import FUZZ, NUMBERS, broken, changes, reads_zero
from tests.fakes.mutate import DUPLICATE, Mutation, Path
from tests.fakes.replay import ASSETS, NOW_MS, Answers, Key, fresh, record, replaying

NOW = datetime.fromtimestamp(NOW_MS / 1000, UTC)
AHEAD = timedelta(minutes=5)


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


def mutations(answers: Answers) -> st.SearchStrategy[list[tuple[Key, Mutation]]]:
    """One to three changes, each in one of the venue's answers."""
    one = st.one_of(*(st.tuples(st.just(call), changes(answers[call])) for call in sorted(answers)))
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


def polled(venue: Venue, answers: Answers) -> VenueResult:
    """One collector poll of the venue."""

    async def run() -> VenueResult:
        collector = Collector([replaying(fresh(venue), answers)], None, clock=lambda: NOW)
        return (await collector.tick()).results[venue]

    return asyncio.run(run())


def poll(venue: Venue, answers: Answers) -> list[Snapshot] | None:
    """One collector poll of the venue: its snapshots, or None when it is left out."""
    result = polled(venue, answers)
    return None if result.degraded else list(result.snapshots)


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


def with_changes(venue: Venue, path: str, *mutations: Mutation) -> Answers:
    answers = polls()[venue]
    call = next(c for c in sorted(answers) if c[0] == path)
    return changed(answers, [(call, m) for m in mutations], frozenset())[0]


def change(venue: Venue, path: str, *mutations: Mutation) -> list[Snapshot] | None:
    return poll(venue, with_changes(venue, path, *mutations))


def left_out(venue: Venue, path: str, *mutations: Mutation) -> str | None:
    """Why the venue is out of the poll after the changes, as the operator and /oi read it."""
    why = polled(venue, with_changes(venue, path, *mutations)).reason
    return None if why is None else str(why)


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


def test_an_adjusted_funding_interval_of_zero_is_unknown_not_8_hours() -> None:
    # Was: ETHUSDT funded every 0 hours; the symbol is listed as adjusted, so not 8 h either.
    zero = Mutation((0, "fundingIntervalHours"), 0)
    snapshots = change(Venue.BINANCE, "fapi/v1/fundingInfo", zero)
    assert snapshots is not None
    assert {s.symbol: s.funding_interval_hours for s in snapshots} == {
        "BTCUSDT": 8,
        "ETHUSDT": None,
        "1000PEPEUSDT": 8,
    }


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


# Where each venue's poll says a market's funding rate.
FUNDING = {
    Venue.BINANCE: ("fapi/v1/premiumIndex", (0, "lastFundingRate")),
    Venue.BINANCE_COINM: ("dapi/v1/premiumIndex", (0, "lastFundingRate")),
    Venue.BYBIT: ("v5/market/tickers", ("result", "list", 0, "fundingRate")),
    Venue.BYBIT_INVERSE: ("v5/market/tickers", ("result", "list", 0, "fundingRate")),
    Venue.OKX: ("api/v5/public/funding-rate", ("data", 0, "fundingRate")),
    Venue.HYPERLIQUID: ("info", (1, 0, "funding")),
}


@pytest.mark.parametrize("venue", list(Venue))
def test_a_funding_rate_beyond_every_venues_cap_leaves_the_venue_out(
    venue: Venue, caplog: pytest.LogCaptureFixture
) -> None:
    # Was: BTC paying -100 % a period, stored and read by every funding rule and reading.
    path, at = FUNDING[venue]
    assert left_out(venue, path, Mutation(at, "-1")) == "answered in an unexpected format"
    assert f"{at[-1]} is beyond any venue's funding cap: -1" in caplog.text
    assert left_out(venue, path, Mutation(at, "0.1")) == "answered in an unexpected format"
    # Just inside the bound is still a market's rate (Hyperliquid's own cap is 0.04 an hour).
    snapshots = change(venue, path, Mutation(at, "-0.0999"))
    assert snapshots is not None
    assert min(s.funding_rate or 0 for s in snapshots) == Decimal("-0.0999")


@pytest.mark.parametrize(
    ("venue", "path", "code", "sent", "why"),
    [
        (Venue.BYBIT, "v5/market/tickers", "retCode", None, "retCode is null"),
        (Venue.BYBIT, "v5/market/tickers", "retCode", "0", 'retCode is "0"'),
        (Venue.BYBIT, "v5/market/tickers", "retCode", False, "retCode is false"),
        (Venue.OKX, "api/v5/public/mark-price", "code", None, "code is null"),
        (Venue.OKX, "api/v5/public/mark-price", "code", 0, "code is 0"),
    ],
)
def test_an_envelope_code_not_as_documented_says_so(
    venue: Venue, path: str, code: str, sent: object, why: str
) -> None:
    # Was: "error None: OK" for a Bybit answer of retCode null (OKX: "error None: "), and a
    # retCode of false taken for 0, a success.
    assert left_out(venue, path, Mutation((code,), sent)) == f"answer not as documented: {why}"


# History to backfill from: a broken answer costs that market its head start, nothing more.

HISTORY = [venue for venue in Venue if fresh(venue).has.history]


@cache
def histories() -> dict[Venue, Answers]:
    return record(lambda fetcher: backfill_venue(fetcher, ASSETS, 1))


@cache
def history_mutations(venue: Venue) -> st.SearchStrategy[list[tuple[Key, Mutation]]]:
    return mutations(histories()[venue])


def backfill(venue: Venue, answers: Answers) -> list[Snapshot]:
    return asyncio.run(backfill_venue(replaying(fresh(venue), answers), ASSETS, 1))


@pytest.mark.parametrize("venue", HISTORY)
@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_a_broken_history_costs_the_head_start_never_a_wrong_number(
    venue: Venue, data: st.DataObject
) -> None:
    answers, _ = changed(histories()[venue], data.draw(history_mutations(venue)), frozenset())
    for snap in backfill(venue, answers):  # nothing may raise
        assert broken(snap) == [], snap


def test_a_history_bar_of_no_contracts_costs_that_market_its_history() -> None:
    # Was: an OKX bar of 0 contracts but 1000 BTC open, kept as an OI of 0 contracts.
    answers = histories()[Venue.OKX]
    call = next(c for c in sorted(answers) if "open-interest-history" in c[0] and "BTC" in c[1])
    answers, _ = changed(answers, [(call, Mutation(("data", 0, 1), "0"))], frozenset())
    assert {s.asset for s in backfill(Venue.OKX, answers)} == {"ETH", "PEPE"}


# Where each venue's OI history has BTC's first row, one value of that row, and its time.
FIRST_ROW = {
    Venue.BINANCE: ("openInterestHist", (0,), (0, "sumOpenInterest"), "2025-11-24 15:00:00"),
    Venue.BYBIT: (
        "open-interest",
        ("result", "list", 0),
        ("result", "list", 0, "singleOpenInterest"),
        "2025-11-24 16:00:00",
    ),
    Venue.OKX: ("open-interest-history", ("data", 0), ("data", 0, 1), "2025-11-24 16:00:00"),
}


@pytest.mark.parametrize("venue", HISTORY)
def test_a_history_row_sent_twice_is_one_bar_two_different_ones_cost_the_history(
    venue: Venue, caplog: pytest.LogCaptureFixture
) -> None:
    # Was: Binance's row sent twice read as two bars of one time, and two different rows of one
    # time both kept, whichever the readings met first taken for the market's OI.
    answers = histories()[venue]
    path, row, value, at = FIRST_ROW[venue]
    call = next(c for c in sorted(answers) if c[0].endswith(path) and "BTC" in c[1])
    twice = changed(answers, [(call, Mutation(row, DUPLICATE))], frozenset())[0]
    assert backfill(venue, twice) == backfill(venue, answers)
    # The row twice, the first of the two with another value.
    two = changed(
        answers, [(call, Mutation(row, DUPLICATE)), (call, Mutation(value, "999"))], frozenset()
    )[0]
    assert {s.asset for s in backfill(venue, two)} == {"ETH", "PEPE"}
    symbol = "BTC-USDT-SWAP" if venue is Venue.OKX else "BTCUSDT"
    assert f"no {venue} backfill for {symbol}: two different history rows at {at} UTC" in (
        caplog.messages
    )
