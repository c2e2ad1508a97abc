"""The real Application polling a local fake Bot API over HTTP, exactly as `oiwatch run` does."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.runtime.logging_setup import configure_logging
from tests.e2e.conftest import TOKEN, RunningBot, start_bot


async def test_start_help_liq_funding_over_http(running_bot: RunningBot) -> None:
    assert "<code>/liq 50000 50x long</code>" in await running_bot.ask("/start")
    assert "/funding" in await running_bot.ask("/help")
    assert "liquidation at 49,196.79" in await running_bot.ask("/liq 50000 50x long binance")
    assert "<b>9.00</b>" in await running_bot.ask("/funding 10000 0.01% 3d")
    menu = running_bot.api.calls("setMyCommands")
    assert menu, "the command menu was published at start"


async def test_inline_query_offers_the_liq_answer(running_bot: RunningBot) -> None:
    running_bot.api.push_inline_query(2002, "50000 50x long")
    call = await running_bot.api.wait_for("answerInlineQuery", timeout=5)
    [result] = call.params["results"]
    assert "liquidation at 49,250.00" in result["input_message_content"]["message_text"]


@pytest.mark.parametrize(
    "message", ["/liq", "/liq fifty 50x long", "/liq 50000 1000x long", "/funding 1 2 3"]
)
async def test_bad_input_over_http_gets_usage(running_bot: RunningBot, message: str) -> None:
    text = await running_bot.ask(message)
    assert "Usage:" in text and "Example:" in text


async def test_command_flood_gets_one_polite_refusal_then_silence(tmp_path: Path) -> None:
    async with start_bot(tmp_path, command_rate_per_minute=3) as bot:
        for _ in range(3):
            assert "liquidation at" in await bot.ask("/liq 50000 50x long")
        assert "3 commands a minute at most" in await bot.ask("/liq 50000 50x long")
        bot.api.push_message(1001, "/liq 50000 50x long", user_id=1001)
        bot.api.push_message(1001, "/help", user_id=2)  # another user is not limited
        await bot.api.wait_for(lambda: len(bot.api.sent_messages(1001)) >= 5, timeout=5)
        await asyncio.sleep(0.3)
        assert len(bot.api.sent_messages(1001)) == 5
        assert "/funding" in bot.api.sent_messages(1001)[-1].text


async def test_users_and_chats_are_recorded_on_first_contact(running_bot: RunningBot) -> None:
    from storage.db import make_engine, make_session_factory
    from storage.repositories.contacts import ContactRepository

    await running_bot.ask("/help", chat_id=-100777, user_id=4004)
    engine = make_engine(running_bot.settings.database_url)
    try:
        contacts = ContactRepository(make_session_factory(engine))
        async with asyncio.timeout(5):  # written behind the reply, within half a second
            while await contacts.get_chat(-100777) is None:
                await asyncio.sleep(0.05)
        assert await contacts.get_user(4004) is not None
    finally:
        await engine.dispose()


async def test_the_token_never_reaches_the_logs(
    running_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    # An operator debugging may turn httpx on: its request lines carry /bot<token>/ URLs.
    caplog.set_level(logging.DEBUG, logger="httpx")
    await running_bot.ask("/liq 50000 50x long")
    running_bot.api.fail_next("sendMessage", status=500)
    running_bot.api.push_message(1001, "/help", user_id=1001)
    await asyncio.sleep(0.5)
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert "/bot<redacted>/sendMessage" in text  # URLs were logged, with the token removed
    assert TOKEN not in text
    assert TOKEN.split(":")[1] not in text
