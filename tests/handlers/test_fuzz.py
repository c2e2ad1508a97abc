"""Generated chat input through the real handlers and database (issue 16 §3): every command, every
button data form, captions, plain text and inline queries. Whatever arrives, the bot answers,
never with "went wrong", with HTML Telegram accepts, within Telegram's lengths, and with no
NaN, infinite or negative price. Fixed seed (derandomize) and bounded example counts, so the
run is the same every time and takes seconds."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Coroutine, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime.offline import RecordedCall
from handlers import COMMANDS
from tests.handlers.harness import USER, ChatHarness, chat_harness

T = TypeVar("T")
GROUP = -1001234
Run = Callable[[Coroutine[Any, Any, T]], T]

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Telegram's HTML: these tags only, every <, > and & outside them escaped.
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
TEXT_LIMITS = {"text": 4096, "caption": 1024}
ANSWERS = {
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "answerInlineQuery",
}
PRICE = re.compile(r"(?:liquidation at|from entry|from mark|moves|→) (\S+)")

WORDS = [
    "50000", "50x", "20", "long", "short", "btc", "BTC", "eth", "ETH", "btcusd", "btcusdt",
    "binance", "bybit", "okx", "hyperliquid", "inverse", "cross", "isolated", "mmr=0.5%",
    "mmr=3%", "mmr=49%", "size=2", "size=0.000001", "balance=5000", "fee=0.05%", "mark=49000",
    "lev=20", "entry=50000", "0.01%", "-0.05%", "5%", "3d", "20m", "8h", "4h", "1h", "2w",
    "365d", "quiet", "off", "23:00-07:00", "Europe/Berlin", "Europe", "tz", "cooldown", "15m",
    "oi", "oi$", "funding", "basis", "price", "liq", "squeeze", "overheating", ">", "<", ">=",
    "50M", "p95", "on", "@mydesk", "*", "all", "#1", "1", "2", "²", "٣", "١٢", "0", "-1",
    "9223372036854775807", "9223372036854775808", "99999999999999999999", "1e26", "NaN", "inf",
    "-inf", "24h", "7d", "light", "dark", "<b>", "&amp;", "</code>", "x" * 60, "200x", "0.5x",
    "1,000", "1_000", "1.5k", "2b", "ｂｔｃ", "🚀", "@oiwatch_bot", "#12",
]  # fmt: skip
word = st.one_of(
    st.sampled_from(WORDS),
    st.from_regex(r"[+-]?[0-9]{1,40}(\.[0-9]{1,12})?[kmbx%]?", fullmatch=True),
    st.text(max_size=12),
)
args = st.lists(word, max_size=7).map(" ".join)
command = st.sampled_from([*COMMANDS, "moon"])
rule_id = st.one_of(
    st.integers(min_value=-2, max_value=12).map(str),
    st.sampled_from(["9223372036854775807", "9223372036854775808", "²", "", "x", "1 "]),
)
button = st.one_of(
    st.builds(
        lambda action, rid: f"rule:{action}:{rid}",
        st.sampled_from(["del", "edit", "mute:1h", "mute:24h", "mute:7d", "mute", "", "x:y"]),
        rule_id,
    ),
    st.builds(lambda asset: f"chart:{asset}", word),
    st.text(max_size=64),
)


class TelegramHtml(HTMLParser):
    """Raises on a tag Telegram does not know and on tags that do not nest."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, f"<{tag}> is not Telegram HTML"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, f"</{tag}> closes nothing"


def assert_telegram_html(text: str) -> None:
    # Outside tags, no bare < or > and no & that is not an entity.
    bare = re.sub(r"</?[a-z]+(?: [^<>]*)?>", "", text)
    assert "<" not in bare and ">" not in bare, text
    assert not re.search(r"&(?!(?:lt|gt|amp|quot|#x?[0-9a-fA-F]+);)", bare), text
    parser = TelegramHtml()
    parser.feed(text)
    parser.close()
    assert not parser.open, f"unclosed {parser.open}: {text}"


def assert_good_answer(what: str, calls: list[RecordedCall], *, must: bool = True) -> None:
    answers = [c for c in calls if c.method in ANSWERS]
    assert answers or not must, f"no answer to {what!r}: {[c.method for c in calls]}"
    for call in answers:
        params = call.params
        for field, limit in TEXT_LIMITS.items():
            text = params.get(field)
            if text is None:
                continue
            assert "went wrong" not in text, (what, text)
            assert len(text) <= limit, (what, len(text))
            if params.get("parse_mode") == "HTML":
                assert_telegram_html(text)
            for number in PRICE.findall(text):
                assert re.fullmatch(r"[0-9][0-9,]*(\.[0-9]+)?", number), (what, text)
        if call.method == "answerCallbackQuery":
            assert len(params.get("text", "")) <= 200
        if call.method == "answerInlineQuery":
            button = params.get("button")
            assert params["results"] or (button and 0 < len(button["text"]) <= 64), params
            for result in params["results"]:
                content = result["input_message_content"]["message_text"]
                assert len(content) <= 4096 and "Usage:" not in content
                assert_telegram_html(content)


@contextlib.contextmanager
def running(tmp_path: Path) -> Iterator[tuple[ChatHarness, Run[Any]]]:
    """The harness on its own event loop, so hypothesis drives a plain function."""
    loop = asyncio.new_event_loop()
    context = chat_harness(tmp_path, command_rate_per_minute=1_000_000)
    harness = loop.run_until_complete(context.__aenter__())
    try:
        yield harness, loop.run_until_complete
    finally:
        loop.run_until_complete(context.__aexit__(None, None, None))
        loop.close()


def test_every_command_answers_whatever_follows_it(tmp_path: Path) -> None:
    with running(tmp_path) as (chat, run):
        # Rules to press buttons on and edit; a channel name to aim at.
        for text in ("/watch BTC funding > 0.05%", "/watch * squeeze", "/watch ETH oi 1h > 5%"):
            run(chat.send(text))

        @settings(FUZZ, max_examples=1000)
        @given(command, args, st.sampled_from([USER, USER, GROUP]))
        def check(name: str, rest: str, chat_id: int) -> None:
            text = f"/{name} {rest}".strip()
            # In a group, a command the bot does not have may be another bot's: no reply.
            must = chat_id == USER or name in COMMANDS
            assert_good_answer(text, run(chat.send(text, chat_id=chat_id)), must=must)

        check()


def test_every_button_is_answered(tmp_path: Path) -> None:
    with running(tmp_path) as (chat, run):
        for n in range(6):  # six rules to press on (a chat holds a rule once)
            run(chat.send(f"/watch BTC funding > 0.0{n + 1}%"))

        @settings(FUZZ, max_examples=300)
        @given(button, st.sampled_from(["Watch rules", "BTC funding"]))
        def check(data: str, under: str) -> None:
            assert_good_answer(data, run(chat.press(data, message_text=under)))

        check()


def test_plain_text_captions_and_inline_queries_are_answered(tmp_path: Path) -> None:
    with running(tmp_path) as (chat, run):

        @settings(FUZZ, max_examples=400)
        @given(st.sampled_from(["text", "caption", "inline"]), command, args)
        def check(kind: str, name: str, rest: str) -> None:
            if kind == "text":
                assert_good_answer(rest, run(chat.send(rest or "?")))
            elif kind == "caption":
                caption = f"/{name} {rest}".strip()
                assert_good_answer(caption, run(chat.photo(caption)))
            else:
                assert_good_answer(rest, run(chat.inline(rest)))

        check()
