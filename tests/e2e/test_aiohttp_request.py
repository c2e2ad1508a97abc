"""The broadcast bot's aiohttp transport against the fake Bot API: what the sender's faults
tests (tests/e2e/test_sender.py) do not cross: uploads, timeouts, a Bot API that is down."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.delivery.aiohttp_request import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:TEST"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_a_photo_is_uploaded_with_its_caption() -> None:
    async with FakeTelegramAPI(TOKEN) as api:
        async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
            await bot.send_photo(-100, PNG, caption="BTC squeeze", allow_paid_broadcast=True)
        [sent] = api.sent_messages(-100)
        assert (sent.method, sent.photo, sent.text, sent.paid) == (
            "sendPhoto",
            PNG,
            "BTC squeeze",
            True,
        )


async def test_a_slow_answer_times_out() -> None:
    async with (
        FakeTelegramAPI(TOKEN) as api,
        Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot,
    ):
        api.fail_next("sendMessage", status=200, delay_s=1.0)
        with pytest.raises(TimedOut):
            await bot.send_message(7, "late", read_timeout=0.2)
        assert api.sent_messages(7) == []


async def test_a_bot_api_that_is_down_is_a_network_error() -> None:
    async with FakeTelegramAPI(TOKEN) as api:
        url = api.base_url
    request = AiohttpRequest()
    await request.initialize()
    with pytest.raises(NetworkError, match=r"aiohttp\.ClientConnectorError"):
        await Bot(TOKEN, base_url=url, request=request).send_message(7, "nobody there")
    await request.shutdown()
