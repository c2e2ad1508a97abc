"""Buttons carry a row id and stay in the chat for ever: a button under an old /watches list, an
old alert or an old /pos list must never act on a newer rule or position. On SQLite (the
embedded default) a plain INTEGER PRIMARY KEY hands the id of the highest deleted row to the
next one, so the ids must never be reused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.handlers.harness import USER, ChatHarness, live_chat_harness, texts
from tests.handlers.test_new_user_journey import keyboard

OLD_RULE, NEW_RULE = "BTC funding > 0.05%", "ETH funding > 0.05%"
NEW_LISTED = "<b>Watch rules</b>\n#2 <code>ETH funding &gt; 0.05%</code>"


async def _buttons_of_a_listed_rule(chat: ChatHarness) -> list[str]:
    """The callback data of the buttons /watches shows under the chat's one rule."""
    await chat.ask(f"/watch {OLD_RULE}")
    listing = next(c.params for c in await chat.send("/watches") if c.method == "sendMessage")
    (row,) = keyboard(listing)
    return [str(button["callback_data"]) for button in row]


@pytest.mark.parametrize("action", ["rule:del:", "rule:mute:1h:", "rule:mute:24h:", "rule:edit:"])
async def test_a_button_of_a_removed_rule_leaves_a_newer_rule_alone(
    chat: ChatHarness, action: str
) -> None:
    (old,) = [data for data in await _buttons_of_a_listed_rule(chat) if data.startswith(action)]
    assert await chat.ask("/unwatch 1") == "Removed rule #1 <code>BTC funding &gt; 0.05%</code>."
    await chat.ask(f"/watch {NEW_RULE}")
    calls = await chat.press(old)
    assert [(c.method, c.params.get("text")) for c in calls] == [
        ("answerCallbackQuery", "That rule is already gone; see /watches.")
    ]
    assert await chat.ask("/watches") == NEW_LISTED


async def test_a_button_under_an_old_alert_leaves_a_newer_rule_alone(chat: ChatHarness) -> None:
    """An alert's 🗑 and 🔕 (bot/alerts/render.py) carry the rule id too."""
    await chat.ask(f"/watch {OLD_RULE}")
    await chat.ask("/unwatch all")
    await chat.ask(f"/watch {NEW_RULE}")
    for data in ("rule:mute:1h:1", "rule:del:1"):
        answers = texts(await chat.press(data, message_text="BTC funding 0.06% crossed"))
        assert answers == []  # no reply and no listing edited: only the press is answered
    assert await chat.ask("/watches") == NEW_LISTED


async def test_an_edit_keeps_the_rule_watched_after_the_change_log_was_pruned(
    chat: ChatHarness,
) -> None:
    """The matcher follows rules by the change log's ids (a cursor): had a pruned, emptied log
    started again at id 1, an edited rule would leave the matcher and never ring again."""
    watched = chat.services.watch.watched
    await chat.ask(f"/watch {OLD_RULE}")
    await chat.ask(f"/watch {NEW_RULE}")
    now = datetime.now(UTC)
    await watched.sync(now)
    await watched.rules.prune_changes(now + timedelta(days=1))  # a quiet day: the log empties
    assert await chat.ask("/edit 1 0.08%") == (
        "Rule #1 is now <b>BTC funding &gt; 0.08%</b>, armed again."
    )
    assert sorted(chat.services.watch.matcher.rules) == [1, 2]


async def test_a_button_of_a_closed_position_leaves_a_newer_position_alone(
    tmp_path: Path,
) -> None:
    async with live_chat_harness(tmp_path) as chat:
        calls = await chat.send("/pos add BTC long 60000 10x size=0.1")
        added = next(c.params for c in calls if "reply_markup" in c.params)
        old = [str(button["callback_data"]) for button in keyboard(added)[0]]
        assert await chat.ask("/pos close 1") == "Stopped guarding 1 position."
        assert "Guarding #2" in await chat.ask("/pos add BTC short 60000 5x size=2")
        for data in old:
            calls = await chat.press(data, message_text="🛡 Guarding #1")
            assert [(c.method, c.params.get("text")) for c in calls] == [
                ("answerCallbackQuery", "That position is no longer guarded; see /pos.")
            ]
        (position,) = await chat.services.positions.repository.for_user(USER)
        assert (position.id, position.claim.side.value, position.state.snoozed_until) == (
            2,
            "short",
            None,
        )
