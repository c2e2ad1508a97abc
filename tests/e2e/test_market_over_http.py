"""The bot polls the fake venues on its schedule, stores snapshots and answers from them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningBot, start_bot
from tests.fakes.exchange import FakeExchange


@contextlib.asynccontextmanager
async def market_bot(
    tmp_path: Path,
    fx: FakeExchange,
    poll_seconds: float = 0.5,
    symbols: str = "BTC,ETH",
    **overrides: object,
) -> AsyncIterator[RunningBot]:
    e = fx.endpoints
    async with start_bot(
        tmp_path,
        venues="binance,bybit,okx,hyperliquid",
        symbols=symbols,
        poll_seconds=poll_seconds,
        binance_url=e.binance,
        bybit_url=e.bybit,
        okx_url=e.okx,
        hyperliquid_url=e.hyperliquid,
        binance_ws_url=e.binance_ws,
        binance_kline_ws_url=e.binance_kline_ws,
        bybit_ws_url=e.bybit_ws,
        okx_ws_url=e.okx_ws,
        **overrides,
    ) as bot:
        yield bot


@contextlib.asynccontextmanager
async def btc_on_four_venues(tmp_path: Path) -> AsyncIterator[tuple[FakeExchange, RunningBot]]:
    """A bot whose /oi BTC already shows all four venues."""
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        async with market_bot(tmp_path, fx) as bot:
            await _ask_until(bot, "/oi BTC", "4 venues")
            yield fx, bot


def only_named(table: str, venue: str, reason: str) -> None:
    """Three venues in the rows and ALL; `venue` only in the last line, with since when and
    `reason` (a regular expression)."""
    rows, _ = table.split("Left out")
    assert "3 venues" in rows and venue[:8] + " " not in rows, table
    assert re.search(rf"\nLeft out: {venue} since \d\d:\d\d UTC \({reason}\)$", table), table


async def _ask_until(bot: RunningBot, text: str, *wanted: str, tries: int = 40) -> str:
    """Asks until the reply holds every `wanted` (a plain string or a regular expression)."""
    reply = ""
    for _ in range(tries):
        reply = await bot.ask(text)
        if all(re.search(pattern, reply) for pattern in wanted):
            return reply
        await asyncio.sleep(0.1)
    raise AssertionError(f"{wanted!r} never appeared; last reply:\n{reply}")


async def test_oi_live_liq_and_funding_from_polled_venues(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=59940, oi_coin=90000, funding="0.0001")
        fx.set("ETH", mark=3000, index=3000, oi_coin=2000000, funding="0.0002", interval_h=4)
        async with market_bot(tmp_path, fx) as bot:
            table = await _ask_until(bot, "/oi BTC", "4 venues")
            for fragment in (
                "binance     60,000    90k   5.4B",
                "ALL         60,000   360k  21.6B",
                "binance   +0.0100/8h  +0.10",
                "hyperliq +0.00125/1h  +0.10",
                "funding +11.0% a year",
                "1h: price +0.00%, OI +0.00% (contracts) → positions unchanged",
            ):
                assert fragment in table, table
            assert "Left out" not in table
            assert "Unknown symbol BTX. Did you mean BTC" in await bot.ask("/oi BTX")

            liq = await bot.ask("/liq BTC 20x long binance")
            # Binance tier 1: (3,000 - 60,000) / (0.004 - 1) = 57,228.92
            assert "BTCUSDT long 20x: liquidation at 57,228.92" in liq
            assert "Entry = live mark on binance" in liq

            funding = await bot.ask("/funding ETH 10000 long 3d")
            assert "binance +0.0200%/4h: you pay <b>36.00 USDT</b> (18 × 2.00)" in funding
            assert "hyperliquid +0.0050%/1h: you pay <b>36.00 USDT</b> (72 × 0.50)" in funding
            # Hyperliquid's 1h rate as /oi shows it: 0.00125 %, not rounded to 0.0013 %.
            btc = await bot.ask("/funding BTC 10000 long 3d")
            assert "hyperliquid +0.00125%/1h: you pay <b>9.00 USDT</b> (72 × 0.1250)" in btc
            assert "hyperliq +0.00125/1h" in table


async def test_a_failing_venue_is_named_and_left_out(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        fx.fail("/okx/api/v5/public/open-interest", "500", times=10_000)
        async with market_bot(tmp_path, fx) as bot:
            table = await _ask_until(bot, "/oi BTC", "server error 500")
            # Retried with backoff, OKX's poll outlasts some polls of the others: it is then
            # named as slow, with what it is retrying.
            slow = r"(slow: no answer after [\d.]+s, retrying after )?"
            left_out = rf"Left out: okx since \d\d:\d\d UTC \({slow}server error 500\)$"
            assert re.search(left_out, table), table
            assert "okx " not in table.split("Left out")[0]
            assert "3 venues" in table

            # /liq on OKX's formula takes another venue's mark, and says why not OKX's.
            liq = await bot.ask("/liq BTC 20x long okx mmr=0.4%")
            # OKX with its 0.05 % taker fee: (3,000 - 60,000) / (0.004 + 0.0005 - 1) = 57,257.66
            assert "BTCUSDT long 20x: liquidation at 57,257.66" in liq
            assert re.search(r"Entry = live mark on \w+, \d+s old\.\n" + left_out, liq), liq


async def test_no_fresh_data_says_which_venues_failed(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        for path in (
            "/binance/fapi/v1/exchangeInfo",
            "/bybit/v5/market/instruments-info",
            "/okx/api/v5/public/instruments",
            "/hyperliquid/info",
        ):
            fx.fail(path, "503", times=10_000)
        async with market_bot(tmp_path, fx) as bot:
            venues = ("binance", "bybit", "hyperliquid", "okx")
            failing = [rf"{v} since \d\d:\d\d UTC \([^)]*server error 503\)" for v in venues]
            reply = await _ask_until(bot, "/oi BTC", *failing)
            assert reply.startswith("No fresh data for BTC. Left out: binance since ")
            # After failed polls it no longer says the first poll may still be running.
            assert "first poll" not in reply and "binance: binance" not in reply
            # Live /liq and /funding say the same, without a usage line: nothing was mistyped.
            for command in ("/liq BTC 20x long", "/funding BTC 10000 long 3d"):
                live = await bot.ask(command)
                assert live.startswith("No fresh data for BTC. Left out: binance since "), live
                assert "Usage:" not in live


async def test_a_venue_failing_after_good_data_leaves_the_table_and_total_at_once(
    tmp_path: Path,
) -> None:
    async with btc_on_four_venues(tmp_path) as (fx, bot):
        fx.fail("/okx/api/v5/public/open-interest", "500", times=10_000)
        table = await _ask_until(bot, "/oi BTC", "Left out: okx")
        funding = await bot.ask("/funding BTC 10000 long 3d")
    # The same reply that names OKX shows none of its numbers, in the rows or in ALL.
    only_named(table, "okx", r"[^\n]+")
    assert "ALL         60,000   270k  16.2B" in table
    assert "okx " not in funding.split("Left out")[0]
    assert re.search(r"\nLeft out: okx since \d\d:\d\d UTC \([^\n]+\)$", funding), funding


async def test_binance_near_its_weight_limit_is_named_and_its_numbers_left_out(
    tmp_path: Path,
) -> None:
    async with btc_on_four_venues(tmp_path) as (fx, bot):
        fx.binance_weight = 1900
        table = await _ask_until(bot, "/oi BTC", "Left out: binance")
        fx.binance_weight = 40
        back = await _ask_until(bot, "/oi BTC", "4 venues")
    only_named(
        table,
        "binance",
        r"request weight near the limit \(1900 of 2400 a minute used\), "
        r"open interest not asked for 1 symbol",
    )
    assert "Left out" not in back


async def test_frozen_hyperliquid_is_named_while_the_market_moves(tmp_path: Path) -> None:
    async with btc_on_four_venues(tmp_path) as (fx, bot):
        fx.freeze("hyperliquid")

        async def move() -> None:
            for step in range(1, 1000):
                fx.set("BTC", mark=60000 + step)
                await asyncio.sleep(0.2)

        mover = asyncio.create_task(move())
        try:
            table = await _ask_until(bot, "/oi BTC", "Left out: hyperliquid")
        finally:
            mover.cancel()
    only_named(
        table,
        "hyperliquid",
        "frozen: the same mark and open interest for 3 polls while other venues moved",
    )


async def test_a_hanging_endpoint_delays_only_its_venue(tmp_path: Path) -> None:
    """Hyperliquid never answers; the others' data stays within one 2 s poll interval old
    (as the reply shows it, in whole seconds)."""
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        fx.fail("/hyperliquid/info", "timeout", delay_s=60, times=10_000)
        async with market_bot(tmp_path, fx, poll_seconds=2) as bot:
            await _ask_until(bot, "/oi BTC", "3 venues", "Left out: hyperliquid")
            ages = []
            for _ in range(4):  # over more than one poll interval
                table = await bot.ask("/oi BTC")
                assert re.search(r"Left out: hyperliquid since \d\d:\d\d UTC \(slow", table)
                ages.append(int(re.findall(r"data (\d+)s old", table)[0]))
                await asyncio.sleep(0.6)
    assert max(ages) <= 2, ages


async def test_unreachable_venues_are_named_in_words_with_since_when(tmp_path: Path) -> None:
    nowhere = "http://oiwatch-nowhere.invalid"
    async with start_bot(
        tmp_path,
        venues="binance,okx",
        symbols="BTC",
        poll_seconds=0.5,
        binance_url=nowhere,
        okx_url=nowhere,
        liquidation_streams=False,
    ) as bot:
        dns = [
            rf"{v} since \d\d:\d\d UTC \([^;]*unreachable \(its address does not resolve\)\)"
            for v in ("binance", "okx")
        ]
        reply = await _ask_until(bot, "/oi BTC", *dns)
        await asyncio.sleep(1.0)  # more failed polls
        later = await bot.ask("/oi BTC")
    for text in (reply, later):
        assert text.startswith("No fresh data for BTC. Left out: binance since "), text
        assert "first poll" not in text and "Error" not in text and "binance: binance" not in text


async def test_tiers_are_refreshed_from_bybit_and_okx(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        fx.set("ETH", mark=3000, index=3000, oi_coin=90000)
        fx.okx_tiers["BTC"] = [("500", "0.004", "100"), ("1000", "0.006", "75")]
        fx.bybit_tiers["ETHUSDT"] = [
            ("500000", "0.005", "100", ""),
            ("1000000", "0.01", "50", "2500"),
        ]
        async with market_bot(tmp_path, fx) as bot:
            reply = await _ask_until(bot, "/liq 3000 20x long bybit eth", "liquidation at")
            assert "liquidation at 2,865.00" in reply
            assert "tier 1 of the bybit ETHUSDT table of live 20" in reply
            okx = await bot.ask("/liq 50000 50x long okx btcusdt size=6")
            assert "liquidation at 49,320.58" in okx and "okx BTCUSDT table of live" in okx
            # A symbol the venue refuses keeps the bundled answer (or says there is none).
            assert "no bybit tier table for SOLUSDT (I have bybit BTCUSD, BTCUSDT, ETHUSDT)" in (
                await bot.ask("/liq 100 10x long bybit sol")
            )


async def test_a_scaled_contract_s_tiers_are_refreshed_by_the_venue_s_symbol(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Bybit lists PEPE as 1000PEPEUSDT: its risk limits are asked under that symbol and
    answer /liq PEPE bybit, in USD notional as the per-coin size and entry make it."""
    caplog.set_level(logging.WARNING)
    async with FakeExchange() as fx:
        fx.set("PEPE", mark="0.0000123", index="0.0000123", oi_coin=5e12)
        fx.bybit_tiers["1000PEPEUSDT"] = [
            ("200000", "0.01", "50", ""),
            ("400000", "0.015", "25", "1000"),
        ]
        fx.okx_tiers["PEPE"] = [("1000000000", "0.01", "50")]  # OKX lists PEPE-USDT-SWAP
        async with market_bot(tmp_path, fx, symbols="PEPE") as bot:
            reply = await _ask_until(bot, "/liq PEPE 10x long bybit", "liquidation at")
            guard = await bot.ask("/pos add PEPE long 0.000012 10x size=1000000 bybit")
    # A guarded position takes the same table: 0.000012 x (1 - 1/10 + 0.01), not 0.00001086.
    assert "Liquidation 0.00001092: <b>11.22%</b> away" in guard, guard
    # 0.0000123 x (1 - 1/10 + 0.01): tier 1's 1 %, not the default 0.5 % (0.00001113).
    assert "liquidation at 0.00001119 USDT" in reply, reply
    assert "tier 1 of the bybit PEPEUSDT table of live 20" in reply, reply
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [m for m in warned if "not refreshed" in m and "PEPE" in m], warned


async def test_first_start_backfills_binance_history(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        fx.history_drift = Decimal("0.001")  # OI was 0.1 % lower for every 5 minutes back
        async with market_bot(tmp_path, fx) as bot:
            table = await _ask_until(bot, "/oi BTC", "4 venues")
        assert fx.requests["/binance/futures/data/openInterestHist"] == 1  # BTC, once
    # 1h: 1 / (1 - 0.012) - 1 = +1.2 %; 4h: 1 / 0.952 - 1 = +5.0 %; 24h: 1 / 0.712 - 1 = +40.4 %
    assert "binance    +1.2/+1.2   +5.0/+5.0 +40.4/+40.4" in table
    # Hyperliquid keeps no history: the aggregate compares the venues that do rather than
    # invent the rest.
    assert "hyperliq         –/–         –/–         –/–" in table
    assert "ALL        +1.2/+1.2   +5.0/+5.0 +40.4/+40.4" in table
    assert "1h: price +0.00%, OI +1.21% (contracts) → positions building in a range" in table


async def test_first_start_backfills_bybit_and_okx_history(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        fx.set("PEPE", mark="0.00001", index="0.00001", oi_coin=5e12)  # 1000PEPEUSDT on Bybit
        fx.history_drift = Decimal("0.001")
        fx.fail("/bybit/v5/market/kline", "500", times=3)  # BTC's prices (3 tries): no BTC bars
        e = fx.endpoints
        async with start_bot(
            tmp_path,
            venues="bybit,okx",
            symbols="BTC,PEPE",
            poll_seconds=0.5,
            bybit_url=e.bybit,
            okx_url=e.okx,
        ) as bot:
            btc = await _ask_until(bot, "/oi BTC", "2 venues")
            pepe = await _ask_until(bot, "/oi PEPE", "2 venues")
        # 289 five-minute bars a symbol: Bybit pages 200 + 89, OKX 100 + 100 + 89.
        assert fx.requests["/bybit/v5/market/open-interest"] == 4
        assert fx.requests["/okx/api/v5/rubik/stat/contracts/open-interest-history"] == 6
    # 1h: 1 / (1 - 0.012) - 1 = +1.2 %; 4h: 1 / 0.952 - 1 = +5.0 %; 24h: 1 / 0.712 - 1 = +40.4 %
    assert "okx        +1.2/+1.2   +5.0/+5.0 +40.4/+40.4" in btc
    # A venue (here a symbol) whose history fails is left to the live polls, not guessed.
    assert "bybit            –/–         –/–         –/–" in btc
    # Scaled contracts (1000PEPE) come back in PEPE, as the live ticks count them.
    for venue in ("bybit", "okx  "):
        assert f"{venue}      +1.2/+1.2   +5.0/+5.0 +40.4/+40.4" in pepe, pepe
    # ... and at the price of one PEPE on both.
    for row in ("bybit      0.00001     5T    50M", "okx        0.00001     5T    50M"):
        assert row in pepe, pepe


async def test_scaled_contracts_show_the_price_of_one_coin_on_every_venue(tmp_path: Path) -> None:
    """Binance and Bybit trade PEPE as 1000PEPEUSDT and Hyperliquid as kPEPE, quoting 1000 PEPE;
    OKX quotes one. /oi PEPE shows one PEPE's price on each, and /liq the same entry."""
    async with FakeExchange() as fx:
        fx.set("PEPE", mark="0.0000123", index="0.0000123", oi_coin=5e12)
        async with market_bot(tmp_path, fx, symbols="PEPE") as bot:
            table = await _ask_until(bot, "/oi PEPE", "4 venues")
            liq = await bot.ask("/liq PEPE 10x long")
    for row in ("binance", "bybit  ", "hyperliq", "okx    ", "ALL    "):
        assert re.search(rf"\n{row} +0\.0000123 ", table), table
    assert "ALL      0.0000123    20T   246M" in table  # 4 x 5T PEPE x 0.0000123
    # The venue with the most open interest (binance first among equals) quotes 1000 PEPE.
    assert "Distance: 9.50% (0.000001169 USDT) from entry 0.00001230 USDT" in liq, liq
    assert "Size: 1 PEPE (assumed; add size= for yours) = 0.00001230 USDT notional" in liq
    assert "Entry = live mark on binance" in liq
