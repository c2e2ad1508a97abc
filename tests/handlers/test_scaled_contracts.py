"""PEPE trades as 1000PEPEUSDT on Binance and Bybit and as kPEPE on Hyperliquid, each quoting
the price of 1000 PEPE; OKX quotes one PEPE. A live entry, a guarded position and its distance
to liquidation are in the price of one PEPE whichever venue's mark they take."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.exchange import FakeExchange
from tests.handlers.harness import ChatHarness, live_chat_harness


def pepe(fx: FakeExchange) -> None:
    fx.set("PEPE", mark="0.0000123", index="0.0000123", oi_coin=5e12)


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    async with live_chat_harness(tmp_path, pepe, assets=("BTC", "PEPE")) as harness:
        yield harness


# 0.0000123 x (1 - 1/10 + 0.005): the textbook long 10x at the default mmr of 0.5 %.
LIVE_ENTRY = (
    "<b>PEPEUSDT long 10x: liquidation at 0.00001113 USDT</b>",
    "Distance: 9.50% (0.000001169 USDT) from entry 0.00001230 USDT",
    "Size: 1 PEPE (assumed; add size= for yours) = 0.00001230 USDT notional",
)


@pytest.mark.parametrize(
    ("message", "venue"),
    [
        ("/liq PEPE 10x long", "binance"),  # the most open interest, first among equals
        ("/liq PEPE 10x long bybit mmr=0.5%", "bybit"),
        ("/liq PEPE 10x long okx", "okx"),
    ],
)
async def test_a_live_entry_is_the_price_of_one_coin(
    chat: ChatHarness, message: str, venue: str
) -> None:
    lines = (await chat.ask(message)).split("\n")
    assert tuple(lines[:3]) == LIVE_ENTRY, lines
    assert lines[-1] == f"Entry = live mark on {venue}, 0s old.", lines


async def test_a_guarded_position_is_measured_against_one_coin_s_mark(chat: ChatHarness) -> None:
    """1,000,000 PEPE long 10x from 0.000012, marked 0.0000123 on Binance's 1000PEPEUSDT:
    0.30 up on a margin of 1.20, nowhere near liquidation."""
    reply = await chat.ask("/pos add PEPE long 0.000012 10x size=1000000")
    lines = reply.split("\n")
    assert lines[:2] == [
        "🛡 <b>Guarding #1: PEPE long 10x, 1000000 @ 0.000012</b>",
        "Liquidation 0.00001086: <b>11.71%</b> away",  # 0.000012 x (1 - 1/10 + 0.005)
    ], reply
    assert lines[2].startswith("Mark 0.00001230 on binance · PnL +0.30 (25.0% of margin) · "), reply


async def test_a_price_level_is_read_against_one_coin_s_mark(chat: ChatHarness) -> None:
    """PEPE at 0.0000123: a level of 0.00002 is ahead, one of 0.00001 already passed."""
    ahead = await chat.ask("/watch PEPE price > 0.00002")
    assert ahead == (
        "Watching <b>PEPE price &gt; 0.00002</b> (rule #1). You'll get one alert when it "
        "crosses; /watches lists your rules."
    )
    passed = await chat.ask("/watch PEPE price > 0.00001")
    assert passed.endswith(
        "\nPEPE is already at 0.00001230 (binance): the first alert comes with the next poll."
    ), passed


async def test_the_venue_s_scaled_symbol_is_refused_with_the_asset_to_type(
    chat: ChatHarness,
) -> None:
    """0.012 typed for 1000PEPEUSDT is the price of 1000 PEPE, a thousand times PEPE's mark and
    the other venues' prices: read as one PEPE's it would quote a wrong liquidation."""
    reply = await chat.ask("/liq 0.012 10x long bybit 1000pepeusdt size=1000")
    assert reply.split("\n") == [
        "1000PEPEUSDT is priced per 1,000 PEPE, but here prices and sizes are per PEPE: type "
        "the asset, pepe, with any price or size for one PEPE.",
        "Usage: <code>/liq &lt;entry&gt; &lt;leverage&gt;x &lt;long|short&gt; [asset] "
        "[venue symbol size=] [mmr=] [cross balance=]</code>",
        "Example: <code>/liq pepe 10x long bybit</code>",
    ], reply


async def test_a_position_on_the_scaled_symbol_is_refused_as_liq_refuses_it(
    chat: ChatHarness,
) -> None:
    """Guarded as typed, 0.012 per 1000 PEPE against a mark of 0.0000123 per PEPE would read
    as a thousandfold gain; /pos add asks for the asset with /liq's sentence."""
    reply = await chat.ask("/pos add 1000pepeusdt long 0.012 10x size=1000")
    assert reply.split("\n") == [
        "1000PEPEUSDT is priced per 1,000 PEPE, but here prices and sizes are per PEPE: type "
        "the asset, pepe, with any price or size for one PEPE.",
        "Usage: <code>/pos add &lt;asset&gt; &lt;long|short&gt; &lt;entry&gt; "
        "&lt;leverage&gt;x size=&lt;coins&gt; [binance|bybit|okx|hyperliquid] "
        "[isolated|cross balance=] [levels=5,2,1] [funding=0.05%] "
        "[cost=&lt;USD per settlement&gt;]</code>",
        "Example: <code>/pos add BTC long 50000 50x size=0.2 binance</code>",
    ], reply
    assert (await chat.ask("/pos")).startswith("No guarded positions."), "nothing is guarded"


@pytest.mark.parametrize(
    "message",
    ["/liq kpepe 0.012 10x long", "/liq KPEPE 10x long", "/pos add kpepe long 0.012 10x size=1000"],
)
async def test_hyperliquid_s_scaled_name_is_refused_as_1000pepeusdt_is(
    chat: ChatHarness, message: str
) -> None:
    """kPEPE on Hyperliquid is quoted per 1000 PEPE, as 1000PEPEUSDT is; typed, its k lost its
    case, and it read as a coin KPEPE (a quote of 0.012 per KPEPE, or an unknown symbol)."""
    first = (await chat.ask(message)).split("\n")[0]
    assert first == (
        "KPEPE is priced per 1,000 PEPE, but here prices and sizes are per PEPE: type the "
        "asset, pepe, with any price or size for one PEPE."
    )


@pytest.mark.parametrize("coin", ["KAVA", "KSM", "KAS", "KNC"])
async def test_coins_beginning_with_k_stay_themselves(chat: ChatHarness, coin: str) -> None:
    first = (await chat.ask(f"/liq {coin.lower()} 2 10x long")).split("\n")[0]
    assert first == f"<b>{coin}USDT long 10x: liquidation at 1.81 USDT</b>"
