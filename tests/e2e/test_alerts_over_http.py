"""Rules to alerts over HTTP: the fake venue moves, the alert reaches the chat once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.e2e.test_market_over_http import market_bot
from tests.fakes.exchange import FakeExchange
from tests.fakes.telegram_api import FakeTelegramAPI

POLL_S = 1.0


async def _polls(fx: FakeExchange, count: int) -> None:
    """Wait until the bot has polled `count` more times (Hyperliquid: one request a poll)."""
    target = fx.requests["/hyperliquid/info"] + count
    async with asyncio.timeout(10 * count):
        while fx.requests["/hyperliquid/info"] < target:
            await asyncio.sleep(0.05)


def _photo(api: FakeTelegramAPI, chat_id: int) -> bytes | None:
    sent = [m.photo for m in api.sent_messages(chat_id) if m.method == "sendPhoto"]
    return sent[-1] if sent else None


async def test_funding_rule_fires_once_within_a_poll_and_unwatch_stops_it(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        async with market_bot(tmp_path, fx, poll_seconds=POLL_S) as bot:
            assert "rule #1" in await bot.ask("/watch BTC funding > 0.05%")
            await _polls(fx, 2)
            before = len(bot.api.sent_messages(1001))

            fx.set("BTC", funding="0.0008")
            raised = time.monotonic()
            await bot.api.wait_for(
                lambda: len(bot.api.sent_messages(1001)) > before, timeout=POLL_S + 2
            )
            delay = time.monotonic() - raised
            alert = bot.api.sent_messages(1001)[-1]
            assert "🔔 <b>BTC funding &gt; 0.05%</b> crossed (#1)" in alert.text
            assert "now +0.0800% per 8h vs +0.0500% per 8h · all venues" in alert.text
            assert delay <= POLL_S + 2
            charts, rule_buttons = alert.reply_markup["inline_keyboard"]
            assert [b["callback_data"] for b in charts] == ["chart:BTC"]
            assert [b["callback_data"] for b in rule_buttons] == ["rule:mute:1h:1", "rule:del:1"]

            bot.api.push_callback_query(1001, 1001, "chart:BTC")
            await bot.api.wait_for(lambda: _photo(bot.api, 1001) is not None, timeout=10)
            assert (_photo(bot.api, 1001) or b"").startswith(b"\x89PNG")
            before += 1

            await _polls(fx, 3)  # still above: no repeat
            assert len(bot.api.sent_messages(1001)) == before + 1

            assert await bot.ask("/unwatch 1") == (
                "Removed rule #1 <code>BTC funding &gt; 0.05%</code>."
            )
            fx.set("BTC", funding="0.0001")
            await _polls(fx, 2)
            fx.set("BTC", funding="0.0009")
            sent = len(bot.api.sent_messages(1001))
            await _polls(fx, 3)
            assert len(bot.api.sent_messages(1001)) == sent


async def test_one_message_per_chat_per_tick_and_blocked_chats_pause(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        fx.set("ETH", mark=3000, index=3000, oi_coin=90000, funding="0.0001")
        async with market_bot(tmp_path, fx, poll_seconds=POLL_S) as bot:
            await bot.ask("/watch BTC funding > 0.05%")
            await bot.ask("/watch ETH funding > 0.05%")
            await bot.ask("/watch BTC funding > 0.05%", chat_id=2002, user_id=2002)
            await _polls(fx, 2)
            before = len(bot.api.sent_messages(1001))
            bot.api.fail_next("sendMessage", status=403, chat_id=2002)
            fx.set("BTC", funding="0.0008")
            fx.set("ETH", funding="0.0008")
            await bot.api.wait_for(lambda: len(bot.api.sent_messages(1001)) > before, timeout=5)
            merged = bot.api.sent_messages(1001)[-1].text
            assert "BTC funding" in merged and "ETH funding" in merged  # one message, two rules
            await _polls(fx, 2)
            assert len(bot.api.sent_messages(1001)) == before + 1
            # Chat 2002 blocked the bot: its rule is paused, and nothing more is tried there.
            listing = await bot.ask("/watches", chat_id=2002, user_id=2002)
            assert "(paused)" in listing
