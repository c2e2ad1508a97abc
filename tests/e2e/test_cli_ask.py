"""`oiwatch ask` answers every command of /help as the bot would, on a throwaway database:
each first example of `/help <command>` gets a real reply, never the failure apology."""

from __future__ import annotations

import asyncio

import pytest

from bot.runtime import cli
from handlers.start import COMMANDS
from tests.e2e.test_cli import oiwatch
from tests.fakes.exchange import FakeExchange

FAILED = ("went wrong", "Storage is unavailable")


def ask(text: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["ask", text]) == 0
    return capsys.readouterr().out.strip()


@pytest.fixture(autouse=True)
def no_venues(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OIWATCH_VENUES", "")


@pytest.mark.parametrize("doc", COMMANDS, ids=lambda doc: doc.name)
def test_every_command_of_help_gets_a_reply(
    doc: object, capsys: pytest.CaptureFixture[str]
) -> None:
    example = doc.examples[0]  # type: ignore[attr-defined]
    reply = ask(example, capsys)
    assert reply and not any(failure in reply for failure in FAILED), (example, reply)


def test_ask_answers_watch_settings_and_liq_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    assert ask("/watch BTC oi 1h > 5%", capsys) == (
        "Watching <b>BTC oi 1h &gt; 5%</b> (rule #1). "
        "You'll get one alert when it crosses; /watches lists your rules."
    )
    # Each ask is a new user on a new database: the rule above is gone.
    assert ask("/watches", capsys) == "No rules here yet. Try <code>/watch BTC oi 1h &gt; 5%</code>"
    assert ask("/settings", capsys).startswith("<b>Settings</b>\nQuiet hours: off\n")
    assert ask("/liq 50000 50x long", capsys).splitlines()[0] == (
        "<b>long 50x: liquidation at 49,250.00 USDT</b>"
    )
    assert ask("/oi BTC", capsys) == (
        "Market data is switched off on this bot (OIWATCH_VENUES is empty)."
    )
    assert ask("/liq 0 50x long", capsys).startswith(
        "Entry price must be a positive number up to 10,000,000.\nUsage: <code>/liq "
    )


async def test_ask_polls_the_venues_once_for_live_answers() -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        e = fx.endpoints
        env = {
            "OIWATCH_VENUES": "binance",
            "OIWATCH_BINANCE_URL": e.binance,
            "OIWATCH_SYMBOLS": "BTC",
        }
        result = await asyncio.to_thread(oiwatch, "ask", "/liq BTC 50x long", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "<b>BTCUSDT long 50x: liquidation at 59,100.00 USDT</b>"
    assert "Entry = live mark on binance" in result.stdout
