"""The fake Bot API behaves like the real one as far as PTB can tell (the e2e tests rely on it)."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:TEST"


async def _bot(api: FakeTelegramAPI) -> Bot:
    bot = Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url)
    await bot.initialize()
    return bot


async def test_send_and_record() -> None:
    async with FakeTelegramAPI(TOKEN) as api:
        bot = await _bot(api)
        message = await bot.send_message(42, "<b>hi</b> 123", parse_mode="HTML")
        assert message.chat.id == 42 and message.text == "<b>hi</b> 123"
        [sent] = api.sent_messages(42)
        assert (sent.text, sent.parse_mode) == ("<b>hi</b> 123", "HTML")
        await bot.shutdown()


async def test_faults_surface_as_ptb_errors() -> None:
    async with FakeTelegramAPI(TOKEN) as api:
        bot = await _bot(api)
        api.fail_next("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(1, "x")
        assert retry.value.retry_after.total_seconds() == 3
        api.fail_next("sendMessage", status=403)
        with pytest.raises(Forbidden):
            await bot.send_message(1, "x")
        api.fail_next("sendMessage", status=400)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(1, "x")
        api.fail_next("sendMessage", migrate_to_chat_id=-100123)
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(-5, "x")
        assert migrated.value.new_chat_id == -100123
        await bot.send_message(1, "fine again")
        await bot.shutdown()


async def test_get_updates_honours_offset() -> None:
    async with FakeTelegramAPI(TOKEN) as api:
        bot = await _bot(api)
        first = api.push_message(7, "/start")
        api.push_message(7, "/help")
        updates = await bot.get_updates(timeout=0)
        assert [u.message.text for u in updates] == ["/start", "/help"]
        updates = await bot.get_updates(offset=first + 1, timeout=0)
        assert [u.message.text for u in updates] == ["/help"]
        assert await bot.get_updates(offset=first + 2, timeout=0) == ()
        await bot.shutdown()


async def test_chat_member_scripting_and_limits() -> None:
    async with FakeTelegramAPI(TOKEN, enforce_limits=True) as api:
        bot = await _bot(api)
        api.set_member(-100, 5, "administrator")
        assert (await bot.get_chat_member(-100, 5)).status == "administrator"
        assert (await bot.get_chat_member(-100, 6)).status == "member"
        await bot.send_message(9, "one")
        with pytest.raises(RetryAfter):
            await bot.send_message(9, "two within a second")
        assert api.rate_limited == 1
        await bot.shutdown()
