"""/chart, /levels and /score over HTTP, on the history the bot backfilled and polled."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from PIL import Image

from tests.e2e.conftest import RunningBot
from tests.e2e.test_market_over_http import _ask_until, market_bot
from tests.fakes.exchange import FakeExchange


async def _answers(bot: RunningBot, text: str, count: int) -> list[tuple[str, bytes | None]]:
    """The bot's next `count` messages to chat 1001 after `text` (text or caption, photo)."""
    before = len(bot.api.sent_messages(1001))
    bot.api.push_message(1001, text)
    await bot.api.wait_for(lambda: len(bot.api.sent_messages(1001)) >= before + count, timeout=15)
    return [(m.text, m.photo) for m in bot.api.sent_messages(1001)[before : before + count]]


def _png(photo: bytes | None) -> Image.Image:
    assert photo is not None
    return Image.open(io.BytesIO(photo))


async def test_chart_levels_and_score_answer_from_stored_history(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        fx.history_drift = Decimal("0.001")  # OI was added all day at 60,000
        async with market_bot(tmp_path, fx, poll_seconds=1.0) as bot:
            await _ask_until(bot, "/oi BTC", "4 venues")

            [(caption, photo)] = await _answers(bot, "/chart BTC 4h light", 1)
            image = _png(photo)
            assert image.format == "PNG" and image.size == (1080, 1350)
            assert image.getpixel((5, 5))[:3] == (255, 255, 255)  # the light theme
            assert caption.startswith("BTC 4h: price, OI, funding, liquidations")

            [(_, strip), (text, _)] = await _answers(bot, "/levels BTC", 2)
            assert _png(strip).size == (1080, 1350)
            # Everything entered at 60,000: the 100x longs sit at 60,000 x 0.994 = 59,640,
            # in the 0.5 % band 59,400-59,700 (distance 0.5 %); 100x shorts at 60,360.
            assert "Longs liquidate below</b>\n• $59,400–59,700 (-0.5%)" in text
            assert "Shorts liquidate above</b>\n• $60,300–60,600 (+0.5%)" in text
            assert "Model estimate, not venue data" in text

            card = await bot.ask("/score BTC")
            print(card)
            # A day of OI added at a flat price replays as one accumulation warning; the bars
            # after it (backfill, then live polls) say how it played out.
            assert "<b>accumulation</b> ×1\n" in card

            assert "Unknown option 9d" in await bot.ask("/chart BTC 9d")
            assert "Which asset?" in await bot.ask("/levels")
            assert "Did you mean BTC?" in await bot.ask("/score BTX")
