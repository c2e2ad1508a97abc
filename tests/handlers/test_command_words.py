"""The words traders use for a command's acts and arguments, beside the ones /help lists: each
reads as what it plainly means, never as an unknown word."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.handlers.harness import ChatHarness, live_chat_harness


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """The bot with live BTC marks of 60,000 on every venue."""
    async with live_chat_harness(tmp_path) as harness:
        yield harness


async def test_pos_takes_open_show_and_remove_for_add_list_and_close(chat: ChatHarness) -> None:
    """Before, each of these answered 'What should I do with your positions?'."""
    added = await chat.ask("/pos open BTC long 60000 10x size=0.2 binance")
    assert added.startswith("🛡 <b>Guarding #1: BTC long 10x, 0.2 @ 60000 on binance</b>\n")
    assert (await chat.ask("/pos show")) == (await chat.ask("/pos"))
    assert (await chat.ask("/pos remove 1")) == "Stopped guarding 1 position."
    assert (await chat.ask("/pos")).startswith("No guarded positions.")


async def test_oi_with_a_venue_named_shows_the_table_whose_rows_include_it(
    chat: ChatHarness,
) -> None:
    """Every venue has its row: '/oi btc bybit' was 'Which asset?' though it named one."""
    table = await chat.ask("/oi BTC")
    assert table.startswith("<b>BTC perpetuals · 4 venues"), table
    assert await chat.ask("/oi btc bybit") == table
    assert (await chat.ask("/oi btc eth")).split("\n")[0] == "One asset at a time, like /oi BTC."
