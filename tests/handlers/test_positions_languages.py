"""/pos in the owner's language and time zone: the list's title and snooze line, the snooze
reply, the buttons and their answers. A snooze time is the chat's /settings tz, not UTC."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

import handlers.positions
from bot.feed.market_feed import MarketFeed
from bot.market.models import Venue
from bot.positions.model import GuardState, PositionClaim
from bot.risk.side import Side
from bot.usecases.market_data import MarketService
from bot.usecases.positions import PositionService
from storage.db import make_engine, make_session_factory
from storage.repositories.positions import PositionRepository
from storage.repositories.snapshots import SnapshotRepository
from tests.handlers.harness import USER, ChatHarness, chat_harness

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# Never stale, so the list shows it as snoozed whatever the wall clock says.
UNTIL = datetime(2099, 1, 1, 20, 30, tzinfo=UTC)
CLAIM = PositionClaim("BTC", Side.LONG, D(60000), D(10), D("0.2"), Venue.BINANCE.value)


class FrozenClock(datetime):
    @classmethod
    def now(cls, tz: object = None) -> FrozenClock:
        return cls.fromtimestamp(NOW.timestamp(), UTC)


@pytest.fixture
async def chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ChatHarness]:
    """The bot with a position guard over an empty market: /pos lists, snoozes and closes."""
    monkeypatch.setattr(handlers.positions, "datetime", FrozenClock)
    async with chat_harness(tmp_path) as harness:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
        sessions = make_session_factory(engine)
        repository = PositionRepository(sessions)
        market = MarketService(
            MarketFeed(SnapshotRepository(sessions), None, {"BTC"}, clock=lambda: NOW)
        )
        tiers = harness.services.tiers
        harness.services.positions = PositionService(
            repository, market, lambda: tiers, D("0.005"), 20
        )
        position = await repository.add(USER, USER, CLAIM, GuardState(), NOW, cap=20)
        await repository.snooze(USER, position.id, UNTIL, NOW)
        yield harness
        await engine.dispose()


LISTED = {
    "en": "<b>#1 BTC long 10x, 0.2 @ 60000 on binance</b> (snoozed until 05:30 Asia/Tokyo)",
    "ru": "<b>#1 BTC long 10x, 0,2 @ 60000 на binance</b> (пауза до 05:30 Asia/Tokyo)",
    "es": "<b>#1 BTC long 10x, 0,2 @ 60000 en binance</b> (en pausa hasta las 05:30 Asia/Tokyo)",
    "pt": "<b>#1 BTC long 10x, 0,2 @ 60000 na binance</b> (pausado até 05:30 Asia/Tokyo)",
    "tr": "<b>#1 BTC long 10x, 0,2 @ 60000 · binance</b> (05:30 Asia/Tokyo saatine kadar "
    "susturuldu)",
    "zh": "<b>#1 BTC long 10x, 0.2 @ 60000（binance）</b>（暂停提醒至 05:30 Asia/Tokyo）",
}
SNOOZED = {
    # 12:00 UTC + 8h = 20:00 UTC = 05:00 the next day in Tokyo (UTC+9).
    "en": "#1 snoozed for 8h: no alerts until 05:00 Asia/Tokyo.",
    "ru": "#1 на паузе на 8h: уведомлений не будет до 05:00 Asia/Tokyo.",
    "es": "#1 en pausa durante 8h: sin alertas hasta las 05:00 Asia/Tokyo.",
    "pt": "#1 pausado por 8h: sem alertas até 05:00 Asia/Tokyo.",
    "tr": "#1 8h susturuldu: 05:00 Asia/Tokyo saatine kadar uyarı yok.",
    "zh": "#1 已暂停 8h：05:00 Asia/Tokyo 前不再提醒。",
}
BUTTONS = {
    "en": ["✖️ close #1", "✏️ edit", "💤 1h"],
    "ru": ["✖️ закрыть #1", "✏️ изменить", "💤 1h"],
    "es": ["✖️ cerrar #1", "✏️ editar", "💤 1h"],
    "pt": ["✖️ encerrar #1", "✏️ editar", "💤 1h"],
    "tr": ["✖️ #1 kapat", "✏️ düzenle", "💤 1h"],
    "zh": ["✖️ 关闭 #1", "✏️ 修改", "💤 1h"],
}
ANSWERS = {
    "en": ("#1 snoozed for 1h.", "Stopped guarding #1."),
    "ru": ("#1 на паузе на 1h.", "Больше не слежу за #1."),
    "es": ("#1 en pausa durante 1h.", "Dejé de vigilar #1."),
    "pt": ("#1 pausado por 1h.", "Parei de monitorar #1."),
    "tr": ("#1 1h susturuldu.", "#1 artık korunmuyor."),
    "zh": ("#1 已暂停 1h。", "已停止保护 #1。"),
}


@pytest.mark.parametrize("code", list(LISTED))
async def test_pos_speaks_the_owners_language_and_time_zone(chat: ChatHarness, code: str) -> None:
    await chat.ask("/settings tz Asia/Tokyo", language_code=code)
    calls = await chat.send("/pos", language_code=code)
    [listing] = [c for c in calls if c.method == "sendMessage"]
    assert str(listing.params["text"]).split("\n")[0] == LISTED[code]
    markup = listing.params["reply_markup"]
    rows = markup["inline_keyboard"] if isinstance(markup, dict) else markup.inline_keyboard
    assert [b["text"] if isinstance(b, dict) else b.text for b in rows[0]] == BUTTONS[code]

    assert await chat.ask("/pos snooze 1 8h", language_code=code) == SNOOZED[code]


@pytest.mark.parametrize("code", list(ANSWERS))
async def test_pos_buttons_answer_in_the_chosen_language(chat: ChatHarness, code: str) -> None:
    await chat.ask(f"/settings lang {code}")  # a button press carries no language_code
    answers = []
    for data in ("pos:snooze:1h:1", "pos:close:1"):
        calls = await chat.press(data, message_text="#1")
        answers += [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert tuple(answers) == ANSWERS[code]
