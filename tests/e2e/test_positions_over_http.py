"""The position guard over HTTP: /pos against the fake venues and the fake Bot API. The mark
walks toward liquidation and the 5 %, 2 %, 1 % alerts arrive once each, in order; a dead venue
makes one "blind" notice; positions survive a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.conftest import RunningBot, start_bot
from tests.e2e.test_alerts_over_http import POLL_S, _polls
from tests.e2e.test_market_over_http import _ask_until, market_bot
from tests.e2e.test_rules_over_http import _answer_text
from tests.fakes.exchange import FakeExchange

ME = 1001
GROUP = -1001234


async def _next_message(bot: RunningBot, after: int, timeout: float = POLL_S + 4) -> str:
    await bot.api.wait_for(lambda: len(bot.api.sent_messages(ME)) > after, timeout=timeout)
    return bot.api.sent_messages(ME)[after].text


async def test_the_mark_walks_to_liquidation_and_each_level_alerts_once(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        async with market_bot(tmp_path, fx, poll_seconds=POLL_S) as bot:
            group = await bot.ask("/pos", chat_id=GROUP, user_id=ME)
            assert group == "Positions are personal: /pos works in a private chat only."
            usage = await bot.ask("/pos add BTC long 60000 10x binance")
            assert usage.startswith("Give the position size in coins: size=0.2.\nUsage:")

            # In a private chat /liq's answer carries the button; pressing it guards that position.
            await _ask_until(bot, "/liq BTC 10x long binance", "Entry = live mark")
            [[button]] = bot.api.sent_messages(ME)[-1].reply_markup["inline_keyboard"]
            in_group = await bot.ask("/liq BTC 10x long binance", chat_id=GROUP, user_id=ME)
            assert "Entry = live mark" in in_group  # a group gets the answer, not the button
            assert bot.api.sent_messages(GROUP)[-1].reply_markup is None
            assert button == {
                "text": "🛡 Guard this position",
                "callback_data": "pos:add:BTC:long:60000:10:binance:1",
            }
            before = len(bot.api.sent_messages(ME))
            bot.api.push_callback_query(ME, ME, button["callback_data"])
            assert (await _next_message(bot, before)).startswith(
                "🛡 <b>Guarding #1: BTC long 10x, 1 @ 60000 on binance</b>"
            )
            assert await _answer_text(bot, ME, ME, "pos:close:1") == "Stopped guarding #1."

            added = await bot.ask("/pos add BTC long 60000 10x size=0.2 binance")
            assert added.startswith("🛡 <b>Guarding #2: BTC long 10x, 0.2 @ 60000 on binance</b>")
            assert "Liquidation 54,216.87: <b>9.64%</b> away" in added
            assert "no API keys" in added and "Already inside" not in added
            await _polls(fx, 2)
            sent = len(bot.api.sent_messages(ME))  # the add reply was the only message

            alerts = []
            for mark in ("57000", "55300", "54700"):  # 4.88 %, 1.96 %, 0.88 % away
                fx.set("BTC", mark=mark, index=mark)
                alerts.append(await _next_message(bot, sent + len(alerts)))
            assert [a.split("\n")[0] for a in alerts] == [
                "🚨 <b>BTC long: 4.88% from liquidation</b> (below your 5 % level)",
                "🚨 <b>BTC long: 1.96% from liquidation</b> (below your 2 % level)",
                "🚨 <b>BTC long: 0.88% from liquidation</b> (below your 1 % level)",
            ]
            assert "Mark 54,700.00 on binance" in alerts[2] and "s old" in alerts[2]
            await _polls(fx, 3)
            assert len(bot.api.sent_messages(ME)) == sent + 3  # each level once

        async with market_bot(tmp_path, fx, poll_seconds=POLL_S) as bot:
            listing = await _ask_until(bot, "/pos", "Mark 54,700.00")
            assert listing.startswith("<b>#2 BTC long 10x, 0.2 @ 60000 on binance</b>")
            assert "Liquidation 54,216.87: <b>0.88%</b> away" in listing
            await _polls(fx, 2)
            assert bot.api.sent_messages(ME)[-1].text == listing  # no repeat after the restart
            rows = bot.api.sent_messages(ME)[-1].reply_markup["inline_keyboard"]
            assert [b["callback_data"] for b in rows[0]] == [
                "pos:close:2",
                "pos:edit:2",
                "pos:snooze:1h:2",
            ]
            assert await _answer_text(bot, 2002, 2002, "pos:close:2") == (
                "That position is no longer guarded; see /pos."  # not theirs
            )
            assert await _answer_text(bot, ME, ME, "pos:snooze:1h:2") == "#2 snoozed for 1h."
            assert "(snoozed until" in await bot.ask("/pos")
            before = len(bot.api.sent_messages(ME))
            bot.api.push_callback_query(ME, ME, "pos:edit:2")
            assert "<code>/pos edit 2 levels=10,5,2</code>" in await _next_message(bot, before)
            edited = await bot.ask("/pos edit 2 levels=10,5,2")
            assert edited.startswith("🛡 <b>Updated #2:")
            assert "Already inside 10 %, 5 %, 2 %: counted as sent" in edited

            for entry in range(60000, 79000, 1000):  # 20 in all: more than one message holds
                await bot.ask(f"/pos add BTC short {entry} 5x size=0.1 okx")
            before = len(bot.api.sent_messages(ME))
            bot.api.push_message(ME, "/pos")
            await bot.api.wait_for(lambda: len(bot.api.sent_messages(ME)) >= before + 2)
            await _polls(fx, 1)
            pages = bot.api.sent_messages(ME)[before:]
            assert len(pages) == 2 and all(len(p.text) <= 4096 for p in pages)
            assert pages[1].text.endswith(
                "cannot see your account. Alerts come to this private chat only.</i>"
            )
            buttons = [
                row[0]["callback_data"] for p in pages for row in p.reply_markup["inline_keyboard"]
            ]
            assert buttons == [f"pos:close:{i}" for i in range(2, 22)]
            assert await bot.ask("/pos add BTC short 80000 5x size=0.1") == (
                "You guard 20 positions, the most allowed; /pos lists them."
            )


async def test_the_guard_says_it_is_blind_once_while_the_venue_fails(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        e = fx.endpoints
        async with start_bot(
            tmp_path,
            venues="binance",
            symbols="BTC",
            poll_seconds=0.5,
            binance_url=e.binance,
            liquidation_streams=False,
            position_blind_seconds=1,
        ) as bot:
            await _ask_until(bot, "/liq BTC 10x long", "Entry = live mark")
            assert "Guarding #1" in await bot.ask("/pos add BTC long 60000 10x size=0.2")
            sent = len(bot.api.sent_messages(ME))
            fx.fail("/binance/fapi/v1/premiumIndex", "500", times=10_000)
            fx.set("BTC", mark=54700, index=54700)  # deep inside, but unseen: no alert
            # A failing venue is retried with backoff inside each poll: allow for a busy machine.
            blind = await _next_message(bot, sent, timeout=20)
            assert blind.startswith("🙈 <b>Guard blind on BTC</b>: no venue has answered")
            assert "Positions #1 are not checked" in blind
            polled = fx.requests["/binance/fapi/v1/premiumIndex"]
            async with asyncio.timeout(10):
                while fx.requests["/binance/fapi/v1/premiumIndex"] < polled + 4:
                    await asyncio.sleep(0.05)
            assert len(bot.api.sent_messages(ME)) == sent + 1  # once, and no level alert
