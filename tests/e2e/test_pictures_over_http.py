"""/chart, /levels and /score over HTTP, on the history the bot backfilled and polled."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from PIL import Image

from tests.e2e.conftest import RunningBot
from tests.e2e.test_market_over_http import _ask_until, market_bot
from tests.fakes.exchange import FakeExchange
from tests.fakes.telegram_api import SentMessage


async def _answers(bot: RunningBot, text: str, count: int) -> list[SentMessage]:
    """The bot's next `count` messages to chat 1001 after `text`, or after tapping the button
    whose callback data is `text`."""
    before = len(bot.api.sent_messages(1001))
    if text.startswith("/"):
        bot.api.push_message(1001, text)
    else:
        bot.api.push_callback_query(1001, 1001, text)
    await bot.api.wait_for(lambda: len(bot.api.sent_messages(1001)) >= before + count, timeout=15)
    return bot.api.sent_messages(1001)[before : before + count]


def _png(photo: bytes | None) -> Image.Image:
    assert photo is not None
    return Image.open(io.BytesIO(photo))


async def test_chart_levels_and_score_answer_from_stored_history(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        fx.history_drift = Decimal("0.001")  # OI was added all day at 60,000
        async with market_bot(tmp_path, fx, poll_seconds=1.0) as bot:
            await _ask_until(bot, "/oi BTC", "4 venues")

            [chart] = await _answers(bot, "/chart BTC 4h light", 1)
            image = _png(chart.photo)
            assert image.format == "PNG" and image.size == (1080, 1350)
            assert image.getpixel((5, 5))[:3] == (255, 255, 255)  # the light theme
            assert chart.text.startswith("BTC 4h: price, OI, funding, liquidations")

            strip, text = await _answers(bot, "/levels BTC", 2)
            assert _png(strip.photo).size == (1080, 1350)
            # Everything entered at 60,000: the 100x longs sit at 60,000 x 0.994 = 59,640,
            # in the 0.5 % band 59,400-59,700 (0.5 to 1.0 % below); 100x shorts at 60,360.
            assert "Longs liquidate below</b>\n• $59,400–59,700 (0.5–1.0% below)" in text.text
            assert "Shorts liquidate above</b>\n• $60,300–60,600 (0.5–1.0% above)" in text.text
            assert " UTC · binance, bybit, hyperliquid, okx\n" in text.text
            # The assumptions wait behind a button instead of filling every answer.
            assert "Model estimate, not venue data" not in text.text
            [[how]] = text.reply_markup["inline_keyboard"]
            assert (how["text"], how["callback_data"]) == ("How is this estimated?", "levels:how")
            [answer] = await _answers(bot, "levels:how", 1)
            assert answer.text.startswith("Model estimate, not venue data: OI added in each")

            card = await bot.ask("/score BTC")
            # A day of OI added at a flat price replays as one accumulation episode; the bars
            # after it (backfill, then live polls) say how it played out, too few to judge.
            assert "<b>accumulation</b>: 1 episode (1 message)\n" in card
            assert "(n=1): too little history to judge (5 episodes needed)" in card
            assert "As warned" not in card  # accumulation points no way

            assert "Unknown option 9d" in await bot.ask("/chart BTC 9d")
            assert "Which asset?" in await bot.ask("/levels")
            assert "Did you mean BTC?" in await bot.ask("/score BTX")

            # The same card for a reader who chose Russian.
            await bot.ask("/settings lang ru")
            russian = await bot.ask("/score BTC")
            assert "\n<b>накопление</b>: 1 эпизод (1 сообщение)\n" in russian
            assert "(n=1): слишком мало истории для оценки (нужно эпизодов: 5)" in russian
