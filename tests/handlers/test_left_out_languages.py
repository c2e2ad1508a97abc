"""A venue that fails is named in the reader's language: why it is left out is worded when the
reply is written, not by the poll that found the fault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.exchange import FakeExchange
from tests.handlers.harness import ChatHarness, live_chat_harness


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """The bot polling the fake venues once, OKX answering HTTP 500 to every request."""

    def okx_fails(fx: FakeExchange) -> None:
        fx.fail("/okx/api/v5/public/open-interest", "500", times=10_000)

    async with live_chat_harness(tmp_path, okx_fails) as harness:
        yield harness


LEFT_OUT = {
    "ru": "Не вошли: okx с 16:00 UTC (ошибка сервера 500)",
    "es": "Fuera: okx desde las 16:00 UTC (error del servidor 500)",
    "en": "Left out: okx since 16:00 UTC (server error 500)",
}
# Three failed polls open OKX's breaker for a minute: a reason inside a reason.
PAUSED = {
    "ru": "Не вошли: okx с 16:00 UTC (пауза после сбоя: неудачных опросов подряд: 3; "
    "следующая попытка в 16:01:00 UTC)",
    "es": "Fuera: okx desde las 16:00 UTC (en pausa tras consultas fallidas seguidas: 3; "
    "próximo intento a las 16:01:00 UTC)",
    "en": "Left out: okx since 16:00 UTC (paused after 3 failed polls in a row, "
    "next try at 16:01:00 UTC)",
}


@pytest.mark.parametrize("code", list(LEFT_OUT))
async def test_oi_and_liq_name_the_failing_venue_in_the_readers_language(
    chat: ChatHarness, code: str
) -> None:
    table = await chat.ask("/oi BTC", language_code=code)
    assert table.split("\n")[-1] == LEFT_OUT[code], table
    liq = await chat.ask("/liq BTC 20x long okx mmr=0.4%", language_code=code)
    assert liq.split("\n")[-1] == LEFT_OUT[code], liq
    for _ in range(3):
        await chat.services.feed.poll()
    table = await chat.ask("/oi BTC", language_code=code)
    assert table.split("\n")[-1] == PAUSED[code], table
