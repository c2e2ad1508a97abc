"""/funding reads its words in any order, as a trader types them on a phone: the number with %
is the rate, a plain number the notional, long/short the side, the first time word the hold and
a second the interval; an asset and no rate means each venue's live rate. Words that contradict
each other get one line naming the problem, never a guess."""

from __future__ import annotations

from collections.abc import AsyncIterator
from html import unescape
from itertools import permutations
from pathlib import Path

import pytest

from tests.handlers.conftest import Reply
from tests.handlers.harness import ChatHarness, live_chat_harness


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """The bot with live BTC funding of 0.01 % per 8h on each venue (Hyperliquid 0.00125 %/1h)."""
    async with live_chat_harness(tmp_path) as harness:
        yield harness


# 4h from 0.01 % on 10,000: 1.00 a settlement, 18 in 3 days, received by a short.
SHORT_4H = (
    "<b>Short 10,000.00 USDT at +0.0100% per 4h, held 3d</b>\n"
    "You receive: longs pay shorts.\n"
    "Settlements crossed: 18 × 1.00 = <b>18.00</b> USDT\n"
)


async def test_a_typed_rate_reads_the_same_in_every_order(chat: ChatHarness) -> None:
    canonical = await chat.ask("/funding 10000 0.01% 3d 4h short")
    assert canonical.startswith(SHORT_4H), canonical
    for user, words in enumerate(permutations(["10000", "0.01%", "3d", "4h", "short"])):
        if words.index("3d") < words.index("4h"):  # the first time word is the hold
            # A user each: 60 commands from one would meet the rate limit.
            answer = await chat.ask("/funding " + " ".join(words), user_id=2000 + user)
            assert answer == canonical, words


@pytest.mark.parametrize(
    "message",
    [
        "/funding 10000 0.01% 3 days 4 hours short",
        "/funding 10000 0.01% 72 hours 4 h short",
        "/funding 10000 0.01% 3days 4hrs short",
        "/funding 10000 0,01 % 3 d 4h short",
    ],
)
async def test_a_hold_in_words_reads_as_its_short_form(chat: ChatHarness, message: str) -> None:
    """'3 days' typed apart, or spelled out, is 3d; before, '3' read as a second notional."""
    assert (await chat.ask(message)).startswith(SHORT_4H)


@pytest.mark.parametrize(
    "message",
    [
        "/funding 10000 0.01%/4h 3d short",
        "/funding 10000 0.01% per 4h 3d short",
        "/funding short 10000 every 4 hours 0.01% 3d",
        "/funding 10000 0.01% interval 4h 3d short",
        "/funding 10000 0.01% 3d each 4h short",
    ],
)
async def test_an_interval_marked_as_such_is_the_interval_wherever_it_stands(
    chat: ChatHarness, message: str
) -> None:
    """'0.01%/4h' or 'per 4h' before the hold: before, '0.01%/4h' was an unknown word and
    'per' an unknown symbol."""
    assert (await chat.ask(message)).startswith(SHORT_4H)


# Every venue's live 0.01 %/8h (Hyperliquid 0.00125 %/1h) on 10,000 for 3 days: 9.00 paid.
LIVE_BTC = (
    "<b>BTC long 10,000.00 USDT, held 3d: live funding</b>\n"
    "binance +0.0100%/8h: you pay <b>9.00 USDT</b> (9 × 1.00), 10.95% a year\n"
    "bybit +0.0100%/8h: you pay <b>9.00 USDT</b> (9 × 1.00), 10.95% a year\n"
    "hyperliquid +0.00125%/1h: you pay <b>9.00 USDT</b> (72 × 0.1250), 10.95% a year\n"
    "okx +0.0100%/8h: you pay <b>9.00 USDT</b> (9 × 1.00), 10.95% a year\n"
)


@pytest.mark.parametrize(
    "message",
    ["/funding 10000 BTC 3d", "/funding long 10000 3d BTC", "/funding 3d btc 10000"],
)
async def test_an_asset_anywhere_and_no_rate_takes_each_venues_live_rate(
    chat: ChatHarness, message: str
) -> None:
    canonical = await chat.ask("/funding BTC 10000 long 3d")
    assert canonical.startswith(LIVE_BTC), canonical
    # Hyperliquid's rows are stamped by this machine's clock, here ahead of the venues' own:
    # a newest row from the future is no data from the future ("-32185630s old" before).
    assert canonical.endswith("\nAssumes today's rates hold for the whole hold; data 0s old.")
    assert await chat.ask(message) == canonical


async def test_a_typed_rate_beside_an_asset_is_the_rate_and_the_asset_a_label(
    chat: ChatHarness,
) -> None:
    # 0.05 % typed, not the live 0.01 %: 5.00 a settlement, 9 of them.
    lines = (await chat.ask("/funding btc 0.05% 10000 3d short")).split("\n")
    assert lines[:3] == [
        "<b>BTC short 10,000.00 USDT at +0.0500% per 8h, held 3d</b>",
        "You receive: longs pay shorts.",
        "Settlements crossed: 9 × 5.00 = <b>45.00</b> USDT",
    ]
    unlabelled = await chat.ask("/funding 10000 0.05% 3d short")
    assert lines[1:] == unlabelled.split("\n")[1:]
    typo = await chat.ask("/funding btx 10000 0.01% 3d")
    assert typo.split("\n")[0] == "Unknown symbol BTX. Did you mean TRX, BTC?"


async def test_m_is_minutes_unless_nothing_else_is_the_notional(chat: ChatHarness) -> None:
    millions = await chat.ask("/funding 0.01% 3d 10m")
    assert millions.startswith("<b>Long 10,000,000.00 USDT at +0.0100% per 8h, held 3d</b>\n")
    assert "9 × 1,000.00 = <b>9,000.00</b>" in millions
    minutes = await chat.ask("/funding 150m 10000 0.01% 1h")
    assert minutes.startswith(
        "<b>Long 10,000.00 USDT at +0.0100% per 1h, held 2h 30 min</b>\n"
        "You pay: longs pay shorts.\n"
        "Settlements crossed: 2 × 1.00 = <b>2.00</b> USDT\n"
    ), minutes


@pytest.mark.parametrize(
    ("message", "problem", "example"),
    [
        ("/funding 10000 0.01% 0.02% 3d", "Give one rate, not 0.01% and 0.02%.", "10000 0.01%"),
        ("/funding 10000 0.01% 20000 3d", "Give one notional, not 10000 and 20000.", "10000"),
        ("/funding short 10000 0.01% 3d long", "Give one side, long or short.", "10000"),
        (
            "/funding 10000 0.01% 3d 4h 2h",
            "Give a holding time and at most one interval, not 3d, 4h, 2h.",
            "10000",
        ),
        (
            "/funding 10000 0.0001 3d",
            "Mark the rate with %, like 0.01%: is it 10000 or 0.0001?",
            "10000",
        ),
        (
            "/funding 5m 0.01% 30m",
            "5m could be millions or minutes: write minutes as 5min.",
            "10000",
        ),
        ("/funding BTC ETH 10000 3d", "Name one asset, not BTC, ETH.", "BTC"),
        (
            "/funding 10000 BTC 3d 4h",
            "Live rates settle at each venue's own interval: leave out 4h.",
            "BTC",
        ),
        ("/funding BTC 10000 3d lev=20", "lev= and entry= need a typed rate, like 0.01%.", "BTC"),
        ("/funding 0.01% 3d", "Notional must be a positive number up to 1,000,000,000,000.", "1"),
    ],
)
async def test_words_that_contradict_get_one_line_naming_the_problem(
    reply: Reply, message: str, problem: str, example: str
) -> None:
    first, usage, example_line = (await reply(message)).split("\n")
    assert unescape(first) == problem
    assert usage.startswith("Usage: <code>/funding ")
    assert example_line.startswith(f"Example: <code>/funding {example}")
