"""Every example a user can copy, from README.md and from /help (and each `/help <command>`),
sent to the running bot with live data from the fake venues: each gets a real answer. A new
example in either place is picked up here without touching this test."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape
from pathlib import Path

from tests.e2e.conftest import RunningBot
from tests.e2e.test_market_over_http import _ask_until, market_bot
from tests.fakes.exchange import FakeExchange

README = Path(__file__).resolve().parents[2] / "README.md"
CHANNEL, USER = -1009999, 1001
# What an error reads like; a real answer contains none of these.
ERRORS = (
    "Usage:",
    "went wrong",
    "No fresh data",
    "Unknown",
    "No such rule",
    "No rules here",
    "I don't know",
    "I have no",
    "not supported",
    "Link it first",
    "You have not linked",
    "Make me an admin",
    "admins can",
    "switched off",
    "liquidated at once",
    "Easy there",
)


def readme_examples() -> list[str]:
    """The example column of README's command table, and the `oiwatch ask` lines."""
    text = README.read_text()
    table = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    examples = []
    for row in table.splitlines():
        cells = row.split("|")
        if len(cells) > 3:
            examples += re.findall(r"`([/@][^`]+)`", cells[2])
    return examples + re.findall(r'oiwatch ask "([^"]+)"', text)


def code_examples(html: str) -> list[str]:
    """Runnable lines in <code>: a usage line, or a pattern with <placeholders> or [options],
    is not."""
    found = [unescape(code) for code in re.findall(r"(?<!Usage: )<code>(.*?)</code>", html)]
    return [c for c in found if c.startswith(("/", "@")) and not re.search(r"[<\[]", c)]


async def replies_to(bot: RunningBot, text: str) -> list[str]:
    """Everything the bot sends for `text`: updates are handled in order, so the reply to a
    marker sent right after closes the list."""
    before = len(bot.api.sent_messages(USER))
    bot.api.push_message(USER, text)
    bot.api.push_message(USER, "/help score")
    await bot.api.wait_for(
        lambda: any(
            m.text.startswith("<b>/score</b>") for m in bot.api.sent_messages(USER)[before:]
        ),
        timeout=15,
    )
    sent = [m.text for m in bot.api.sent_messages(USER)[before:]]
    return sent[: next(i for i, t in enumerate(sent) if t.startswith("<b>/score</b>"))]


async def inline_answer(bot: RunningBot, query: str) -> list[dict[str, object]]:
    before = len(bot.api.calls())
    bot.api.push_inline_query(USER, query)
    call = await bot.api.wait_for("answerInlineQuery", after=before)
    return list(call.params["results"])


async def test_every_readme_and_help_example_gets_a_real_answer(tmp_path: Path) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        fx.set("ETH", mark=3000, index=3000, oi_coin=2000000, funding="0.0002", interval_h=4)
        fx.history_drift = Decimal("0.001")
        async with market_bot(tmp_path, fx, poll_seconds=1.0, command_rate_per_minute=1000) as bot:
            await _ask_until(bot, "/oi BTC", "4 venues")
            api = bot.api
            api.set_chat(CHANNEL, type="channel", title="Desk", username="mydesk")
            api.set_member(CHANNEL, int(api.bot_user["id"]), "administrator")
            api.set_member(CHANNEL, USER, "creator")
            for n in range(12):  # the examples' rule #12 (a chat holds a rule once)
                await bot.ask(f"/watch ETH funding > 0.{n + 10}%")

            help_text = await bot.ask("/help")
            examples = readme_examples() + code_examples(help_text)
            for name in sorted(set(re.findall(r"/(\w+)", help_text))):
                examples += code_examples(await bot.ask(f"/help {name}"))
            assert len(examples) > 40 and "/liq 50000 50x long bybit btcusd inverse" in examples
            # Removing rules and links last, so /edit 12 still has its rule.
            examples.sort(key=lambda e: e.startswith(("/unwatch", "/channel @mydesk off")))
            for example in dict.fromkeys(examples):
                if example.startswith("@"):
                    results = await inline_answer(bot, example.split(maxsplit=1)[1])
                    assert results and "liquidation at" in str(results[0]["title"]), example
                    continue
                replies = await replies_to(bot, example)
                assert replies, f"no answer to {example}"
                # /help <command> shows the usage line on purpose.
                errors = ERRORS[1:] if example.startswith("/help") else ERRORS
                for reply in replies:
                    assert not any(error in reply for error in errors), f"{example}:\n{reply}"
