"""What a trader reads back for /liq and /funding: exact figures and the assumptions used."""

from __future__ import annotations

import pytest

from tests.handlers.conftest import Reply


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # Textbook, default mmr 0.5 % (risk-math T1/T3).
        (
            "/liq 50000 50x long",
            [
                "liquidation at 49,250.00 USDT",
                "Distance: 1.50% (750.00 USDT)",
                "Margin: 1,000.00 USDT on 50,000.00 USDT notional",
                "mmr 0.500%",
            ],
        ),
        ("/liq 50000 50x short", ["liquidation at 50,750.00", "Distance: 1.50%"]),
        ("/liq 50000 50x long mmr=0.4%", ["liquidation at 49,200.00", "mmr 0.400%"]),
        # The seed's 49,261: inverse, MM at entry, mmr 0.5 % (risk-math S1).
        ("/liq 50000 50x long inverse", ["liquidation at 49,261.08", "Distance: 1.48%"]),
        # Binance BTCUSDT tier 1 (risk-math B9/B10).
        (
            "/liq 50000 50x long binance btcusdt",
            ["liquidation at 49,196.79", "Distance: 1.61%", "Binance USDⓈ-M formula", "tier 1"],
        ),
        ("/liq 50000 25x long binance", ["liquidation at 48,192.77"]),
        ("/liq 50000 50x short binance btcusdt", ["liquidation at 50,796.81"]),
        # Bybit official example (risk-math Y1) with an explicit rate.
        ("/liq 20000 50x long bybit mmr=0.5%", ["liquidation at 19,700.00"]),
        ("/liq 3200 20 short eth", ["ETHUSDT short 20x", "liquidation at 3,344.00"]),
    ],
)
async def test_liq_reply(reply: Reply, message: str, expected: list[str]) -> None:
    text = await reply(message)
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


async def test_liq_reply_names_every_assumption(reply: Reply) -> None:
    text = await reply("/liq 50000 100x long binance btcusdt size=2")
    assert "liquidation at 49,698.80" in text  # 100k notional stays in tier 1 (0.4 %, cum 0)
    assert "Loss at liquidation: 602.41 USDT" in text
    assert "margin at risk: 1,000.00 USDT" in text
    assert "Fees: not included." in text and "Assumes: one-way mode; isolated margin" in text


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "/funding 10000 0.01% 3d",
            [
                "You pay: longs pay shorts.",
                "9 × 1.00 = <b>9.00</b> USDT",
                "10.95% simple",
                "11.57% compounded",
                "Interval assumed: 8h",
            ],
        ),
        ("/funding 10000 0.01% 3d short", ["You receive: longs pay shorts.", "<b>9.00</b>"]),
        ("/funding 25000 -0.05% 8h short", ["You pay: shorts pay longs.", "<b>12.50</b>"]),
        (
            "/funding 10000 0.01% 3d 4h",
            ["18 × 1.00 = <b>18.00</b>", "21.90% simple", "Interval assumed: 4h"],
        ),
    ],
)
async def test_funding_reply(reply: Reply, message: str, expected: list[str]) -> None:
    text = await reply(message)
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"


async def test_funding_moves_the_liquidation_price(reply: Reply) -> None:
    # 10,000 notional at 20x from 50,000: 0.2 BTC, textbook LP 47,750; 0.03 % x 6 = 18 paid
    # from margin moves it up by 18 / 0.2 = 90.
    text = await reply("/funding 10000 0.03% 2d lev=20 entry=50000")
    assert "6 × 3.00 = <b>18.00</b>" in text
    assert "moves 47,750.00 → 47,840.00 USDT" in text


async def test_a_settlement_below_a_cent_multiplies_back_to_the_total(reply: Reply) -> None:
    # Hyperliquid's 0.00125 %/h on 10,000: 0.125 a settlement, 72 of them in 3 days = 9.00.
    text = await reply("/funding 10000 0.00125% 3d 1h")
    assert "72 × 0.1250 = <b>9.00</b> USDT" in text
    assert "9 × 1.00 = <b>9.00</b>" in await reply("/funding 10000 0.01% 3d")


BAD_INPUTS = [
    "/liq",
    "/liq 50000",
    "/liq abc 50x long",
    "/liq 50000 0x long",
    "/liq 50000 1000x long",
    "/liq -50000 50x long",
    "/liq NaN 50x long",
    "/liq inf 50x long",
    "/liq 50000 50x sideways",
    "/liq 50000 50x long kraken btcusdt",
    "/liq 50000 50x long mmr=lots",
    "/liq 50000 50x long cross",
    "/liq 50000 50x long size=-1",
    "/liq 50000 50x long colour=blue",
    "/liq 50000 50x long " + "x" * 10_000,
    "/funding",
    "/funding 10000",
    "/funding ten 0.01% 3d",
    "/funding 10000 0.01% forever",
    "/funding 10000 lots 3d",
    "/funding 10000 0.01% 3d 5m",
    "/funding 10000 900% 3d",
    "/funding 10000 0.01% 3d lev=0",
]


@pytest.mark.parametrize("message", BAD_INPUTS)
async def test_bad_input_gets_usage_and_example(reply: Reply, message: str) -> None:
    text = await reply(message)
    assert "Usage: <code>/" in text and "Example: <code>/" in text, text
    assert "Traceback" not in text and len(text) < 600


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("/liq 50000 10x long short", "Give one side, long or short."),
        ("/liq long 50000 10x long", "Give one side, long or short."),
        ("/liq 50000 10x 20x long", "Give one leverage, not 10x and 20x."),
        ("/liq 50000 20 10 long", "Too many numbers: give one entry price and one leverage."),
        ("/liq 10x 50000 long 20", "Too many numbers: give one entry price and one leverage."),
        # Without live data at hand 60000 is an entry missing its leverage, never a leverage.
        ("/liq btc 60000 long", "I need a leverage too, like 20x."),
        ("/liq 60000 long binance", "I need a leverage too, like 20x."),
        ("/liq 50x long binance", "Entry price must be a positive number up to 10,000,000."),
        # A venue whose math is not built in is named as such, not taken for a second asset.
        (
            "/liq BTC 20x long hyperliquid",
            "Hyperliquid liquidation math is not supported yet: use mmr=.",
        ),
        ("/liq 60000 20x long hl", "Hyperliquid liquidation math is not supported yet: use mmr=."),
    ],
)
async def test_words_that_contradict_get_one_line_naming_the_problem(
    reply: Reply, message: str, problem: str
) -> None:
    first, usage, example = (await reply(message)).split("\n")
    assert first == problem
    assert usage.startswith("Usage: <code>/liq ") and example.startswith("Example: <code>/liq ")


@pytest.mark.parametrize(
    "message",
    ["/liq 60000 long 10x", "/liq long 10x 60000", "/liq 10x long 60000", "/liq 60000 long 10"],
)
async def test_words_in_any_order_without_an_asset(reply: Reply, message: str) -> None:
    assert (await reply(message)).startswith(
        "<b>long 10x: liquidation at 54,300.00 USDT</b>\n"
        "Distance: 9.50% (5,700.00 USDT) from entry 60,000.00 USDT\n"
    )


@pytest.mark.parametrize(
    "message", ["/funding 10000 0.03% 2d lev=20", "/funding 10000 0.03% 2d entry=50000"]
)
async def test_lev_or_entry_alone_is_said_not_dropped(reply: Reply, message: str) -> None:
    """Either alone moves no liquidation price: the answer used to leave it out unsaid."""
    assert await reply(message) == (
        "lev= and entry= go together, like lev=20 entry=50000.\n"
        "Usage: <code>/funding &lt;notional&gt; &lt;rate per interval %&gt; &lt;hold: 30m, 8h, "
        "3d, 2w (m = minutes)&gt; [interval] [long|short] [lev= entry=]</code>\n"
        "Example: <code>/funding 10000 0.03% 2d lev=20 entry=50000</code>"
    )


async def test_unknown_command_and_plain_text_are_answered(reply: Reply) -> None:
    assert await reply("/moon") == (
        "I don't know that command. I answer commands: try <code>/liq 50000 50x long</code> "
        "or see /help."
    )
    assert "/help" in await reply("hello")
    assert "liquidation at 49,250.00" in await reply("50000 50x long")


@pytest.mark.parametrize(
    ("message", "likely"),
    [
        ("/rules", "/watches"),
        ("/alerts@oiwatch_bot", "/watches"),
        ("/wacth BTC oi 1h > 5%", "/watch"),
        ("/fundng 10000 0.01% 3d", "/funding"),
        ("/positions", "/pos"),
        ("/price BTC", "/oi"),
        ("/Language", "/settings"),
    ],
)
async def test_a_mistyped_or_borrowed_command_names_the_one_that_does_it(
    reply: Reply, message: str, likely: str
) -> None:
    """Other bots' names (/rules, /alerts) and typos: a trader learns the right command at once
    instead of reading the whole /help."""
    assert await reply(message) == f"I don't know that command. Did you mean {likely}?"


async def test_help_lists_every_command_with_an_example(reply: Reply) -> None:
    text = await reply("/help")
    for fragment in (
        "/liq",
        "<code>/liq 50000 50x long</code>",
        "/funding",
        "<code>/funding 10000 0.01% 3d</code>",
        "@oiwatch_bot 50000 50x long",
    ):
        assert fragment in text
    assert await reply("/start") == text
