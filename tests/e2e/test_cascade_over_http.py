"""A cascade live, end to end: the fake venues crash, the liquidation and kline streams say who
is forced out, and a `/watch BTC squeeze` chat gets one thread: the early warning rings within
two polls, confirmation, escalation and the summary reply to it quietly."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningBot
from tests.e2e.test_alerts_over_http import _polls
from tests.e2e.test_market_over_http import market_bot
from tests.fakes.exchange import FakeExchange
from tests.fakes.telegram_api import FakeTelegramAPI, SentMessage

POLL_S = 1.0
QUIET_S = 4.0  # the event is over after this long without a cascade reading
CHAT = 1001


def _long_liquidations(fx: FakeExchange, count: int, price: int = 58300) -> None:
    """`count` Binance forced sells of 10 BTC: longs liquidated, as `!forceOrder@arr` sends."""
    for i in range(count):
        at = fx.now_ms + i
        order = {"s": "BTCUSDT", "S": "SELL", "q": "10", "z": "10", "p": str(price)}
        fx.push_ws(
            "binance", {"e": "forceOrder", "E": at, "o": {**order, "ap": str(price), "T": at}}
        )


def _minute(fx: FakeExchange, minute: int, *, close: int, volume: int, taker_buy: int) -> None:
    """The open minute so far: from 60,000 down to 58,100, and the close given."""
    fx.push_kline(
        "BTC",
        minute,
        open=60000,
        high=60000,
        low=58100,
        close=close,
        volume=volume,
        taker_buy=taker_buy,
    )


def _calm(fx: FakeExchange) -> None:
    fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
    fx.history_drift = Decimal("-0.0002")  # OI eased 0.02 % a bar into now: a calm day
    fx.history_on_grid = True  # else a first start reads as a gap before the live bar


def _crash(fx: FakeExchange) -> int:
    """-3 % in the open minute, 900 BTC traded (750 sold by takers), $23.3M of longs liquidated:
    0.11 % of the $21B open interest. OI has not moved yet. Returns the minute's open (ms)."""
    minute = fx.now_ms // 60_000 * 60_000
    fx.set("BTC", mark=58200, index=58250)
    _minute(fx, minute, close=58150, volume=900, taker_buy=150)
    _long_liquidations(fx, 40)
    return minute


async def _clear_of_a_bar_end(seconds: float = 15.0) -> None:
    """The crash starts inside a 5-minute bar, with time for two polls there: its first poll
    sees the fall in the bar of its liquidations and kline minute. (At a bar's edge the early
    warning rings as well, from a run a bar longer, which the next poll, once OI falls, dates a
    bar later: with these tests' 4 s `quiet`, a new leg; test_a_crash_at_a_bars_end_...)."""
    left = 300 - time.time() % 300
    if left < seconds:
        await asyncio.sleep(left + 1)


async def _after_a_bars_last_poll(fx: FakeExchange) -> None:
    """Just after the last poll of a 5-minute bar, before its end: a crash from here lands its
    liquidations and kline minute in that bar, whose polled price is from before the fall, and
    the fall in the next bar's first poll (docs/signals.md, "Live, at a bar's edge")."""
    while True:
        await asyncio.sleep(max(0.0, 300 - time.time() % 300 - 2 * POLL_S))
        polls = fx.requests["/hyperliquid/info"]
        while fx.requests["/hyperliquid/info"] == polls:
            await asyncio.sleep(0.01)
        left = 300 - time.time() % 300
        # The next poll, a poll interval on (or a little more), comes after the end; the crash
        # waits 50 ms for this poll's other venues to answer and leaves its 40 liquidations
        # (a millisecond each) inside the bar.
        if 0.12 < left < POLL_S - 0.02:
            await asyncio.sleep(0.05)
            return
        if left < POLL_S:
            print(f"the bar's last poll {left:.3f} s before its end: waiting for the next bar")


def _alerts(api: FakeTelegramAPI, before: int) -> list[SentMessage]:
    return [m for m in api.sent_messages(CHAT)[before:] if m.method == "sendMessage"]


async def _crash_warned(bot: RunningBot, fx: FakeExchange) -> tuple[int, int, SentMessage]:
    """Crashes now and waits for the one early warning, within two polls. Returns the chat's
    messages before it, the crash minute (ms) and the warning."""
    before = len(bot.api.sent_messages(CHAT))
    minute = _crash(fx)
    polls_then = fx.requests["/hyperliquid/info"]
    raised = time.monotonic()
    await bot.api.wait_for(lambda: len(_alerts(bot.api, before)) >= 1, timeout=15)
    seconds = time.monotonic() - raised
    polls = fx.requests["/hyperliquid/info"] - polls_then
    print(f"early warning in chat after {seconds:.2f} s, {polls} polls")
    assert polls <= 2
    [early] = _alerts(bot.api, before)
    # OI has not moved: -0.02 % against a backfilled bar, 0 against a live one (which of the
    # two the run starts on depends on where the wall clock sits in its 5-min bar).
    assert re.search(r"OI (-0\.02|0\.0)%, longs liquidated \$23\.3M", early.text)
    assert "taker sell share % +83.33" in early.text  # 750 of 900, from the klines
    assert not early.silent and early.reply_to is None
    return before, minute, early


@contextlib.asynccontextmanager
async def _watching(tmp_path: Path) -> AsyncIterator[tuple[FakeExchange, RunningBot]]:
    """A calm market polled three times by a bot whose chat watches BTC squeezes."""
    async with FakeExchange() as fx:
        _calm(fx)
        async with market_bot(
            tmp_path, fx, poll_seconds=POLL_S, cascade_quiet_minutes=QUIET_S / 60
        ) as bot:
            assert "rule #1" in await bot.ask("/watch BTC squeeze")
            await _polls(fx, 3)
            yield fx, bot


async def test_a_crash_with_long_liquidations_is_one_thread_from_early_to_over(
    tmp_path: Path,
) -> None:
    async with _watching(tmp_path) as (fx, bot):
        await _clear_of_a_bar_end()
        before, minute, early = await _crash_warned(bot, fx)
        assert "🚨 <b>Early</b> · <b>BTC likely long squeeze starting: price -3.1% in 5 min" in (
            early.text
        )
        assert "data 0s old" in early.text and "rule #1" in early.text

        # OI follows: -3 % (-4.1 % from its peak of 4 h ago, 91,008 a venue) confirms the
        # event, -10 % (-11.0 %) escalates it, each in its thread.
        fx.set("BTC", oi_coin=87300)
        await bot.api.wait_for(lambda: len(_alerts(bot.api, before)) >= 2, timeout=15)
        fx.set("BTC", oi_coin=81000)
        await bot.api.wait_for(lambda: len(_alerts(bot.api, before)) >= 3, timeout=15)
        _, confirmed, escalated = _alerts(bot.api, before)
        assert "<b>Confirmed</b> · <b>BTC long squeeze in progress: OI -4.1% from" in confirmed.text
        assert (
            "<b>Escalated to extreme</b> · <b>BTC long squeeze intensifying (high → extreme): "
            "OI -11.0% from its peak" in escalated.text
        )

        # The market back where it was: no cascade reading, and after QUIET_S the summary.
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        _minute(fx, minute, close=60000, volume=950, taker_buy=180)
        await bot.api.wait_for(lambda: len(_alerts(bot.api, before)) >= 4, timeout=QUIET_S + 15)
        over = _alerts(bot.api, before)[3]
        assert "✅ <b>Over</b> · <b>BTC long squeeze over after" in over.text
        assert "liquidated: longs 23.3M USD, shorts 0.0M USD" in over.text
        for reply in (confirmed, escalated, over):
            assert reply.reply_to == early.message_id and reply.silent
        await _polls(fx, 2)
        assert len(_alerts(bot.api, before)) == 4  # nothing else, nothing twice


# Waits for a bar's end on the wall clock: a bar more each time a bar's last poll comes too
# close to either side of its end (about one bar in ten).
@pytest.mark.timeout(60 + 3 * 300)
async def test_a_crash_at_a_bars_end_still_warns_within_two_polls(tmp_path: Path) -> None:
    """The crash in a bar's last second, after its last poll: the bar has the crash's kline
    minute and liquidations but its price from before the fall, which the next bar's first
    poll sees. The early warning rings at that poll, from the close before the crash bar."""
    async with _watching(tmp_path) as (fx, bot):
        await _after_a_bars_last_poll(fx)
        _, _, early = await _crash_warned(bot, fx)
        # From 60,000 to the crash bar's low: 58,100 on klines closing at 58,150, as the
        # next bar's first poll (58,200) prices them.
        assert (
            "🚨 <b>Early</b> · <b>BTC likely long squeeze starting: price -3.1% in 10 min, "
            "OI" in early.text
        ), early.text
        assert "price from onset % -3.08" in early.text


async def test_a_crash_names_the_guarded_long_it_threatens(tmp_path: Path) -> None:
    """The same live crash, seen by the position guard: the owner of a guarded long hears that a
    long squeeze is starting and how far the position is from liquidation, within two polls."""
    async with FakeExchange() as fx:
        _calm(fx)
        async with market_bot(
            tmp_path, fx, poll_seconds=POLL_S, cascade_quiet_minutes=QUIET_S / 60
        ) as bot:
            added = await bot.ask("/pos add BTC long 60000 10x size=0.2 binance")
            assert "Liquidation 54,216.87: <b>9.64%</b> away" in added
            await _polls(fx, 3)
            await _clear_of_a_bar_end()
            before = len(bot.api.sent_messages(CHAT))
            _crash(fx)
            polls_then = fx.requests["/hyperliquid/info"]
            await bot.api.wait_for(lambda: len(_alerts(bot.api, before)) >= 1, timeout=15)
            assert fx.requests["/hyperliquid/info"] - polls_then <= 2
            [alert] = _alerts(bot.api, before)
            # (58,200 - 54,216.87) / 58,200 = 6.84 % from liquidation at binance's new mark.
            assert alert.text.startswith(
                "🚨 <b>long squeeze starting on BTC: your long is 6.84% from liquidation</b>"
            ), alert.text
            assert not alert.silent
