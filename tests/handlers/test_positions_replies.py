"""/pos input mistakes: one line saying what is wrong, the usage and an example, before any data
is needed; an offline answer says the guard is off instead of failing."""

from __future__ import annotations

import pytest

from tests.handlers.conftest import Reply


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("/pos add", "I need the asset, side, entry price and leverage."),
        ("/pos add BTC sideways 50000 50x size=1", "Side must be long or short."),
        ("/pos add BTC long 50000 50x short size=1", "Give one side, long or short."),
        ("/pos add BTC long 50000 50x 20x size=1", "Give one leverage, not 50x and 20x."),
        ("/pos add BTC long 50000 50 20 size=1", "Too many numbers: give one entry price"),
        ("/pos add BTC long 50000 binance size=1", "I need a leverage too, like 20x."),
        ("/pos add long 50000 50x binance size=1", "Name the asset like BTC or ETH."),
        (
            "/pos add BTC long abc 50x size=1",
            "Entry price must be a positive number up to 10,000,000.",
        ),
        ("/pos add BTC long 50000 500x size=1", "Leverage must be a number from 1 to 200"),
        ("/pos add BTC long 50000 50x", "Give the position size in coins: size=0.2."),
        ("/pos add BTC long 50000 50x size=1 cross", "Cross margin needs your wallet balance"),
        ("/pos add BTC long 50000 50x size=1 levels=a,2", "levels are up to 5 percentages"),
        ("/pos add BTC long 50000 50x size=1 funding=9%", "funding is a rate per 8h"),
        (
            "/pos add BTC long 50000 50x size=1 kraken",
            "I don&#x27;t know what &#x27;kraken&#x27; means here.",
        ),
        ("/pos add BTC long 50000 50x size=1 mmr=1%", "Unknown option &#x27;mmr=&#x27;."),
        ("/pos close x", "Which position? Give its number from /pos."),
        ("/pos edit 3 bigger", "Change it with options, like levels=10,5,2."),
        ("/pos moon", "What should I do with your positions?"),
        # A known verb with a missing or wrong part says which part, not "what should I do".
        ("/pos snooze 1 2d", "Snooze for 1h, 8h or 24h."),
        ("/pos snooze 1", "Snooze for 1h, 8h or 24h."),
        ("/pos snooze x 1h", "Which position? Give its number from /pos."),
        ("/pos close", "Which position? Give its number from /pos."),
        ("/pos edit", "Which position? Give its number from /pos."),
        ("/pos edit 3", "Change it with options, like levels=10,5,2."),
    ],
)
async def test_bad_pos_input_gets_one_line_usage_and_example(
    reply: Reply, message: str, problem: str
) -> None:
    text = await reply(message)
    first, usage, example = text.split("\n")
    assert first.startswith(problem)
    assert usage.startswith("Usage: <code>/pos")
    assert example.startswith("Example: <code>/pos")


async def test_without_market_data_the_guard_says_it_is_off(reply: Reply) -> None:
    text = await reply("/pos add BTC long 50000 50x size=0.2 binance")
    assert text.startswith(
        "Market data is switched off on this bot (OIWATCH_VENUES is empty).\nUsage: <code>/pos add"
    )
