"""The bot polls the fake venues on its schedule, stores snapshots and answers from them."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

from tests.e2e.conftest import RunningBot, start_bot
from tests.fakes.exchange import FakeExchange


@contextlib.asynccontextmanager
async def market_bot(
    tmp_path: Path, fx: FakeExchange, poll_seconds: float = 0.5, **overrides: object
) -> AsyncIterator[RunningBot]:
    e = fx.endpoints
    async with start_bot(
        tmp_path,
        **overrides,
        venues="binance,bybit,okx,hyperliquid",
        symbols="BTC,ETH",
        poll_seconds=poll_seconds,
        binance_url=e.binance,
        bybit_url=e.bybit,
        okx_url=e.okx,
        hyperliquid_url=e.hyperliquid,
        binance_ws_url=e.binance_ws,
        bybit_ws_url=e.bybit_ws,
        okx_ws_url=e.okx_ws,
    ) as bot:
        yield bot


async def _ask_until(bot: RunningBot, text: str, wanted: str, tries: int = 40) -> str:
    reply = ""
    for _ in range(tries):
        reply = await bot.ask(text)
        if wanted in reply:
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


async def test_a_failing_venue_is_named_and_left_out(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        fx.fail("/okx/api/v5/public/open-interest", "500", times=10_000)
        async with market_bot(tmp_path, fx) as bot:
            table = await _ask_until(bot, "/oi BTC", "3 venues")
            # Once, in words, since when (issue 12 §2.3: no "okx: okx:").
            assert re.search(r"Left out: okx \(server error 500 since \d\d:\d\d UTC\)", table)
            assert "okx " not in table.split("Left out")[0]


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
            reply = await _ask_until(bot, "/oi BTC", "since the bot started")
            assert reply.startswith("No fresh data for BTC (binance: server error 503 since ")
            # After failed polls it no longer says the first poll may still be running.
            assert "first poll" not in reply and "binance: binance" not in reply


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
