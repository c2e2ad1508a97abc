"""/liq and /pos add read their words in any order, as a trader types them on a phone: the
long/short word is the side, a number with an x the leverage, a lone plain number beside one the
entry; the live mark is the entry exactly when no price is typed and an asset is named."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import permutations
from pathlib import Path

import pytest

from tests.handlers.harness import ChatHarness, live_chat_harness


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """The bot with live BTC marks of 60,000 on every venue."""
    async with live_chat_harness(tmp_path) as harness:
        yield harness


# 60,000 x (1 - 1/10 + 0.005): the textbook formula with the default mmr of 0.5 %.
TYPED = "<b>BTCUSDT long 10x: liquidation at 54,300.00 USDT</b>"


async def test_a_typed_entry_reads_the_same_in_every_order(chat: ChatHarness) -> None:
    """With live marks at hand, a typed 60000 is still the entry, never a leverage."""
    canonical = await chat.ask("/liq 60000 10x long btc")
    assert canonical.startswith(TYPED + "\n"), canonical
    assert "live mark" not in canonical
    for words in permutations(["btc", "60000", "10x", "long"]):
        assert await chat.ask("/liq " + " ".join(words)) == canonical, words


# Leverage 20 at the live mark: 60,000 x (1 - 1/20 + 0.005).
TEXTBOOK_20X = (
    "<b>BTCUSDT long 20x: liquidation at 57,300.00 USDT</b>",
    "Distance: 4.50% (2,700.00 USDT) from entry 60,000.00 USDT",
)
# Binance tier 1 (mmr 0.4 %, no maintenance amount): 60,000 x 0.95 / 0.996.
BINANCE_20X = (
    "<b>BTCUSDT long 20x: liquidation at 57,228.92 USDT</b>",
    "Distance: 4.62% (2,771.08 USDT) from entry 60,000.00 USDT",
)


@pytest.mark.parametrize(
    ("message", "head"),
    [
        ("/liq BTC 20 long", TEXTBOOK_20X),
        ("/liq long 20x btc", TEXTBOOK_20X),
        ("/liq 20 long btc", TEXTBOOK_20X),
        ("/liq binance long 20x BTC", BINANCE_20X),
    ],
)
async def test_no_entry_typed_and_an_asset_named_takes_the_live_mark(
    chat: ChatHarness, message: str, head: tuple[str, str]
) -> None:
    lines = (await chat.ask(message)).split("\n")
    assert tuple(lines[:2]) == head, lines
    assert lines[-1] == "Entry = live mark on binance, 0s old.", lines


async def test_inline_mode_reads_any_order_too(chat: ChatHarness) -> None:
    for query, title in [
        ("btc 60000 10x long", "BTCUSDT long 10x: liquidation at 54,300.00 USDT"),
        ("long 20 btc", "BTCUSDT long 20x: liquidation at 57,300.00 USDT"),
    ]:
        calls = await chat.inline(query)
        [answer] = [call for call in calls if call.method == "answerInlineQuery"]
        [result] = answer.params["results"]
        assert result["title"] == title, query


async def test_pos_add_reads_any_order(chat: ChatHarness) -> None:
    canonical = await chat.ask("/pos add BTC long 60000 10x size=0.2 binance")
    # Binance tier 1 on 0.2 BTC: 60,000 x 0.9 / 0.996.
    assert canonical.startswith(
        "🛡 <b>Guarding #1: BTC long 10x, 0.2 @ 60000 on binance</b>\n"
        "Liquidation 54,216.87: <b>9.64%</b> away\n"
    ), canonical
    # Read in any order, it is the same position, which is guarded once.
    again = "You already guard this position as #1; /pos lists yours."
    assert await chat.ask("/pos add size=0.2 10x binance 60000 long btc") == again
    assert await chat.ask("/pos add binance 60000 10 long BTC size=0.2") == again
    assert await chat.ask("/pos add BTC long 60000 x10 size=0.2 binance") == again
    assert await chat.ask("/pos add BTC long 60000 lev=10 size=0.2 binance") == again


@pytest.mark.parametrize(
    "leverage",
    ["10x", "10X", "x10", "X10", "10 x", "10×", "10х", "х10", "lev=10", "leverage=10x"],
)
async def test_leverage_reads_as_traders_write_it(chat: ChatHarness, leverage: str) -> None:
    """x on either side, a space before it, the × sign, a Russian keyboard's х, or lev= as
    /funding takes it: all one leverage, never an asset named X."""
    reply = await chat.ask(f"/liq 60000 {leverage} long btc")
    assert reply.startswith(TYPED + "\n"), reply


@pytest.mark.parametrize(
    ("message", "line"),
    [
        ("/liq 60000 10x long lev=20", "Give one leverage, not 10x and 20."),
        ("/liq 60000 long lev=ten", "Leverage must be a number from 1 to 200, like 20x."),
        ("/liq 60000 x long", "Leverage must be a number from 1 to 200, like 20x."),
    ],
)
async def test_a_leverage_given_twice_or_unreadable_gets_its_line(
    chat: ChatHarness, message: str, line: str
) -> None:
    assert (await chat.ask(message)).split("\n")[0] == line


@pytest.mark.parametrize("side", ["long", "LONG", "лонг", "Лонг", "做多", "多"])
async def test_the_side_reads_in_traders_slang_too(chat: ChatHarness, side: str) -> None:
    reply = await chat.ask(f"/liq 60000 10x {side} btc")
    assert reply.startswith(TYPED + "\n"), reply


async def test_a_short_in_slang_pays_or_receives_funding_as_a_short(chat: ChatHarness) -> None:
    english = await chat.ask("/funding 10000 0.01% 3d short")
    assert english.startswith("<b>Short 10,000.00 USDT"), english
    for side in ("шорт", "做空", "空"):
        assert await chat.ask(f"/funding 10000 0.01% 3d {side}") == english, side
    assert (await chat.ask("/liq 60000 10x лонг шорт")).split("\n")[0] == (
        "Give one side, long or short."
    )


async def test_a_size_in_dollars_is_bought_at_the_entry(chat: ChatHarness) -> None:
    """size=$12000 at 60,000 is 0.2 BTC: before, the $ was dropped and it read 12,000 coins."""
    coins = await chat.ask("/liq 60000 10x long btc size=0.2")
    assert "\nSize: 0.2 BTC = 12,000.00 USDT notional\n" in coins, coins
    for size in ("$12000", "12000$", "12000usdt", "12k$", "0.2btc"):
        assert await chat.ask(f"/liq 60000 10x long btc size={size}") == coins, size
    inverse = await chat.ask("/liq 60000 10x long bybit btcusd size=$12000")
    assert inverse.split("\n")[0] == (
        "For inverse contracts size= is the number of contracts, like size=50000."
    )
    assert (await chat.ask("/liq 60000 10x long btc size=0.2eth")).split("\n")[0] == (
        "size is in coins, like size=0.2, or in USD, like size=$10000."
    )
    added = await chat.ask("/pos add BTC long 60000 10x size=$12000 binance")
    assert added.startswith("🛡 <b>Guarding #1: BTC long 10x, 0.2 @ 60000 on binance</b>\n")
    edited = await chat.ask("/pos edit 1 size=$30000 entry=50000")
    assert "BTC long 10x, 0.6 @ 50000 on binance" in edited, edited
    kept_entry = await chat.ask("/pos edit 1 size=$5000")
    assert "BTC long 10x, 0.1 @ 50000 on binance" in kept_entry, kept_entry


@pytest.mark.parametrize(
    "message",
    [
        "/liq btc 10x long entry=60000",
        "/liq btc 10x long entry 60000",
        "/liq btc 10x long entry: 60000",
        "/liq btc long 10 @ 60000",
        "/liq btc 10 long @60000",
        "/liq btc long 10x at 60000",
        "/liq 60000 long btc lev 10",
        "/liq 60000 long btc leverage = 10",
    ],
)
async def test_an_entry_or_leverage_named_with_a_word_reads_as_typed_bare(
    chat: ChatHarness, message: str
) -> None:
    """'entry 60000', '@ 60000', 'lev 10': before, 'entry' read as a second asset and '@' or
    'at' as words nobody knew. A marked entry stays the entry beside a bare leverage of 10."""
    reply = await chat.ask(message)
    assert reply.startswith(TYPED + "\n"), reply


async def test_options_typed_with_spaces_read_as_with_an_equals_sign(chat: ChatHarness) -> None:
    """'size 0.2' was 'Too many numbers'; a phone's keyboard puts spaces where = belongs."""
    canonical = await chat.ask("/liq 60000 10x long btc size=0.2 mmr=1%")
    # 60,000 x (1 - 1/10 + 0.01).
    assert canonical.startswith("<b>BTCUSDT long 10x: liquidation at 54,600.00 USDT</b>\n")
    for options in (
        "size 0.2 mmr 1%",
        "size: 0.2 mmr: 1%",
        "size = 0.2 mmr= 1%",
        "size =0.2 mmr 1%",
    ):
        assert await chat.ask(f"/liq 60000 10x long btc {options}") == canonical, options
    assert (await chat.ask("/liq 60000 10x long entry 61000")).split("\n")[0] == (
        "Too many numbers: give one entry price and one leverage."
    )
    added = await chat.ask("/pos add BTC long 60000 10x size 0.2 binance")
    assert added.startswith("🛡 <b>Guarding #1: BTC long 10x, 0.2 @ 60000 on binance</b>\n")
    edited = await chat.ask("/pos edit 1 entry 50000 levels 10,5")
    assert "BTC long 10x, 0.2 @ 50000 on binance" in edited, edited
