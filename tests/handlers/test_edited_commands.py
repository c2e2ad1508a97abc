"""A trader on a phone fixes a typo in a command by editing the message: Telegram sends the new
text as an edited_message of the same message, which every command handler takes too. An
edited /watch or /pos add changes what the message made instead of adding another next to it;
the other commands answer the new text, and none changes anything twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.repositories.outbox import OutgoingAlert
from tests.handlers.harness import USER, ChatHarness, chat_harness, live_chat_harness
from tests.handlers.test_new_user_journey import keyboard

GROUP, ADMIN, CHANNEL = -1007001, 501, -1007002
WATCHING = (
    "Watching <b>{rule}</b> (rule #{id}). You'll get one alert when it crosses; "
    "/watches lists your rules."
)
CHANGED = "Rule #1 is now <b>BTC funding &gt; 0.08%</b>, armed again."
NO_RULES = "No rules here yet. Try <code>/watch BTC oi 1h &gt; 5%</code>"
HEADER = "🌙 <b>Held during quiet hours</b> (23:00–07:00 UTC)"
LISTED_CHANGED = "<b>Watch rules</b>\n#1 <code>BTC funding &gt; 0.08%</code>"


async def test_an_edited_watch_changes_its_rule_instead_of_adding_one(chat: ChatHarness) -> None:
    assert await chat.ask("/watch BTC funding > 0.05%") == WATCHING.format(
        rule="BTC funding &gt; 0.05%", id=1
    )
    assert await chat.ask_edited("/watch BTC funding > 0.08%") == CHANGED
    assert await chat.ask("/watches") == LISTED_CHANGED
    assert sorted(chat.services.watch.matcher.rules) == [1]


async def test_an_edited_watch_in_a_group_changes_its_rule_while_its_author_is_admin(
    tmp_path: Path,
) -> None:
    """The admin check runs again on the edit: a demoted admin's edit changes nothing."""
    async with chat_harness(tmp_path, admin_cache_seconds=0) as chat:
        chat.request.admins.add((GROUP, ADMIN))
        await chat.ask("/watch BTC funding > 0.05%", chat_id=GROUP, user_id=ADMIN)
        assert await chat.ask_edited("/watch BTC funding > 0.08%") == CHANGED
        chat.request.admins.discard((GROUP, ADMIN))
        assert await chat.ask_edited("/watch BTC funding > 0.09%") == (
            "Only this group's admins can change its watch rules. You can watch privately: DM me."
        )
        assert await chat.ask("/watches", chat_id=GROUP, user_id=ADMIN) == LISTED_CHANGED


async def test_an_edited_watch_that_was_refused_watches_like_a_new_one(chat: ChatHarness) -> None:
    """Refused for a duplicate, the message made nothing: its edit adds a rule, and a second
    edit changes that one."""
    await chat.ask("/watch BTC funding > 0.05%")
    assert await chat.ask("/watch BTC funding > 0.05%") == (
        "Already watching BTC funding &gt; 0.05% here as rule #1; /watches lists the rules."
    )
    assert await chat.ask_edited("/watch ETH funding > 0.05%") == WATCHING.format(
        rule="ETH funding &gt; 0.05%", id=2
    )
    assert await chat.ask_edited("/watch ETH funding > 0.07%") == (
        "Rule #2 is now <b>ETH funding &gt; 0.07%</b>, armed again."
    )
    assert await chat.ask("/watches") == (
        "<b>Watch rules</b>\n#1 <code>BTC funding &gt; 0.05%</code>\n"
        "#2 <code>ETH funding &gt; 0.07%</code>"
    )


async def test_an_edit_into_another_rule_of_the_chat_is_refused_and_changes_nothing(
    chat: ChatHarness,
) -> None:
    await chat.ask("/watch BTC funding > 0.05%")
    await chat.ask("/watch BTC funding > 0.08%")
    assert await chat.ask_edited("/watch BTC funding > 0.05%") == (
        "Already watching BTC funding &gt; 0.05% here as rule #1; /watches lists the rules."
    )
    # Its own rule written another way is no duplicate: the rule stays, armed again.
    assert await chat.ask_edited("/watch btc funding >0.08%") == (
        "Rule #2 is now <b>BTC funding &gt; 0.08%</b>, armed again."
    )
    assert await chat.ask("/watches") == (
        "<b>Watch rules</b>\n#1 <code>BTC funding &gt; 0.05%</code>\n"
        "#2 <code>BTC funding &gt; 0.08%</code>"
    )


async def test_an_edit_that_moves_a_channels_rule_to_another_chat_is_refused(
    chat: ChatHarness,
) -> None:
    """Adding or dropping the @channel in the edit would move the rule between chats, with
    different admins: the user is told to send a new /watch, and both chats stay as they were."""
    chat.request.admins.add((CHANNEL, USER))
    await chat.services.channels.link(USER, CHANNEL, "mydesk", "Desk", datetime.now(UTC))
    assert "(rule #1)" in await chat.ask("/watch @mydesk BTC funding > 0.05%")
    assert await chat.ask_edited("/watch BTC funding > 0.08%") == (
        "This message made rule #1 in another chat; send a new /watch instead of editing it."
    )
    assert await chat.ask("/watches @mydesk") == (
        "<b>Watch rules</b>\n#1 <code>BTC funding &gt; 0.05%</code>"
    )
    assert await chat.ask("/watches") == (NO_RULES)


async def test_an_edited_watch_whose_rule_was_removed_says_it_adds_a_new_one(
    chat: ChatHarness,
) -> None:
    await chat.ask("/watch BTC funding > 0.05%")
    await chat.ask("/unwatch 1")
    assert await chat.ask_edited("/watch BTC funding > 0.08%", of=0) == (
        "Rule #1, which this message made, was already removed; this edit adds a new one.\n"
        + WATCHING.format(rule="BTC funding &gt; 0.08%", id=2)
    )
    # The buttons under the removed rule's alerts leave the new rule alone.
    calls = await chat.press("rule:mute:1h:1", message_text="BTC funding 0.06% crossed")
    assert [(c.method, c.params.get("text")) for c in calls] == [
        ("answerCallbackQuery", "That rule is already gone; see /watches.")
    ]
    assert await chat.ask("/watches") == (
        "<b>Watch rules</b>\n#2 <code>BTC funding &gt; 0.08%</code>"
    )


async def test_an_edit_after_a_restart_still_changes_the_rule(tmp_path: Path) -> None:
    async with chat_harness(tmp_path) as before:
        await before.ask("/watch BTC funding > 0.05%")
    async with chat_harness(tmp_path) as chat:
        chat.sent = before.sent
        assert await chat.ask_edited("/watch BTC funding > 0.08%") == CHANGED
        assert await chat.ask("/watches") == LISTED_CHANGED


async def test_buttons_from_before_an_edit_act_on_the_changed_rule(chat: ChatHarness) -> None:
    await chat.ask("/watch BTC funding > 0.05%")
    listing = next(c.params for c in await chat.send("/watches") if c.method == "sendMessage")
    (row,) = keyboard(listing)
    delete = next(str(b["callback_data"]) for b in row if b["callback_data"].startswith("rule:del"))
    await chat.ask_edited("/watch BTC funding > 0.08%", of=0)
    calls = await chat.press(delete, message_text="BTC funding 0.06% crossed")
    assert [(c.method, c.params.get("text")) for c in calls] == [
        ("answerCallbackQuery", "Rule removed.")
    ]
    assert await chat.ask("/watches") == (NO_RULES)


async def test_an_edited_unwatch_removes_what_it_now_names_and_nothing_twice(
    chat: ChatHarness,
) -> None:
    """/unwatch runs again for the new text: the number fixed removes that rule; the same
    number again finds nothing left to remove."""
    await chat.ask("/watch BTC funding > 0.05%")
    await chat.ask("/watch ETH funding > 0.05%")
    await chat.ask("/watch SOL funding > 0.05%")
    assert await chat.ask("/unwatch 1") == "Removed rule #1 <code>BTC funding &gt; 0.05%</code>."
    assert await chat.ask_edited("/unwatch 2") == (
        "Removed rule #2 <code>ETH funding &gt; 0.05%</code>."
    )
    assert await chat.ask_edited("/unwatch  2") == (
        "No such rule in this chat; /watches lists them."
    )
    assert await chat.ask("/watches") == (
        "<b>Watch rules</b>\n#3 <code>SOL funding &gt; 0.05%</code>"
    )


async def test_an_edited_settings_change_sets_the_new_value(chat: ChatHarness) -> None:
    await chat.ask("/watch BTC funding > 0.05%")
    await chat.ask("/settings cooldown 15m")
    reply = await chat.ask_edited("/settings cooldown 10m")
    assert reply.startswith("Cooldown 10 min for every rule here.\n\n<b>Settings</b>"), reply
    (row,) = await chat.services.watch.rules.for_chat(USER)
    assert row.cooldown_s == 600


async def _guarded(chat: ChatHarness) -> list[tuple[int, str]]:
    """The user's guarded positions: id and size."""
    positions = await chat.services.positions.repository.for_user(USER)
    return [(p.id, str(p.claim.size)) for p in positions]


async def test_an_edited_pos_add_changes_its_position_and_its_buttons_still_act_on_it(
    tmp_path: Path,
) -> None:
    async with live_chat_harness(tmp_path) as chat:
        calls = await chat.send("/pos add BTC long 60000 10x size=0.1")
        added = next(c.params for c in calls if "reply_markup" in c.params)
        close = str(keyboard(added)[0][0]["callback_data"])  # ✖️ close #1
        reply = await chat.ask_edited("/pos add BTC long 60000 10x size=0.2")
        assert reply.split("\n")[0] == "🛡 <b>Updated #1: BTC long 10x, 0.2 @ 60000</b>"
        assert await _guarded(chat) == [(1, "0.2")]
        calls = await chat.press(close, message_text="🛡 Guarding #1")
        assert [(c.method, c.params.get("text")) for c in calls] == [
            ("answerCallbackQuery", "Stopped guarding #1.")
        ]
        assert await _guarded(chat) == []


async def test_an_edited_pos_add_whose_position_was_closed_says_it_adds_a_new_one(
    tmp_path: Path,
) -> None:
    async with live_chat_harness(tmp_path) as chat:
        await chat.ask("/pos add BTC long 60000 10x size=0.1")
        await chat.ask("/pos close 1")
        reply = await chat.ask_edited("/pos add BTC long 60000 10x size=0.3", of=0)
        assert reply.split("\n")[:2] == [
            "Position #1, which this message added, was already closed; this edit adds a new one.",
            "🛡 <b>Guarding #2: BTC long 10x, 0.3 @ 60000</b>",
        ]
        assert await _guarded(chat) == [(2, "0.3")]


async def test_an_edited_pos_add_that_would_repeat_or_break_a_position_changes_nothing(
    tmp_path: Path,
) -> None:
    async with live_chat_harness(tmp_path) as chat:
        await chat.ask("/pos add BTC long 60000 10x size=0.1")
        await chat.ask("/pos add BTC long 60000 10x size=0.2")
        assert await chat.ask_edited("/pos add BTC long 60000 10x size=0.1") == (
            "You already guard this position as #1; /pos lists yours."
        )
        # Its own position in other words is no repeat: it stays, re-checked.
        reply = await chat.ask_edited("/pos add btc 10x long 60000 size=0.2")
        assert reply.split("\n")[0] == "🛡 <b>Updated #2: BTC long 10x, 0.2 @ 60000</b>"
        reply = await chat.ask_edited("/pos add BTC long 60000 10x")
        assert reply.split("\n")[0] == "Give the position size in coins: size=0.2."
        assert await _guarded(chat) == [(1, "0.1"), (2, "0.2")]


@pytest.mark.parametrize(
    ("how", "command", "answer", "dropped"),
    [
        ("edited", "/watch BTC funding > 0.08%", CHANGED, True),
        ("sent", "/edit 1 0.08%", CHANGED, True),
        ("edited", "/watch btc funding >0.05%", CHANGED.replace("0.08", "0.05"), False),
    ],
)
async def test_a_changed_rule_takes_its_unsent_alerts_out_of_the_queue_and_the_digest(
    chat: ChatHarness, how: str, command: str, answer: str, dropped: bool
) -> None:
    """Queued, or held for quiet hours, an alert of the rule as it was would arrive after the
    trader moved its threshold, saying 0.06 % crossed a line now at 0.08 %: it goes, the other
    rule's stay, and the rule, armed again, rings anew if it holds as it is now. The same
    rule retyped keeps them."""
    await chat.ask("/watch BTC funding > 0.05%")
    await chat.ask("/watch ETH funding > 0.05%")
    outbox, now = chat.services.outbox, datetime.now(UTC)
    btc, eth = "BTC funding 0.06% crossed", "ETH funding 0.07% crossed"
    await outbox.enqueue(
        [OutgoingAlert(USER, "q1", btc, rules=(1,)), OutgoingAlert(USER, "q2", eth, rules=(2,))],
        now,
    )
    for key, text, rule in (("h1", f"<i>01:00</i> {btc}", 1), ("h2", f"<i>02:00</i> {eth}", 2)):
        alert = OutgoingAlert(USER, key, text, rules=(rule,))
        await outbox.hold(alert, now + timedelta(hours=5), now, into="digest", header=HEADER)

    reply = await (chat.ask_edited(command, of=0) if how == "edited" else chat.ask(command))
    assert reply == answer

    held = [f"<i>02:00</i> {eth}"] if dropped else [f"<i>01:00</i> {btc}", f"<i>02:00</i> {eth}"]
    assert [(m.text, m.status, m.last_error) for m in await outbox.messages(USER)] == [
        (btc, "dead", "rule changed") if dropped else (btc, "pending", None),
        (eth, "pending", None),
        ("\n\n".join([HEADER, *held]), "held", None),
    ]


async def test_a_muted_rule_changed_stays_muted_and_the_reply_says_until_when(
    chat: ChatHarness,
) -> None:
    await chat.ask("/watch BTC funding > 0.05%")
    calls = await chat.press("rule:mute:24h:1")
    muted = next(str(c.params["text"]) for c in calls if c.method == "answerCallbackQuery")
    until = muted.removeprefix("Muted until ").removesuffix(".")
    assert await chat.ask_edited("/watch BTC funding > 0.08%", of=0) == (
        f"{CHANGED} It stays muted until {until}."
    )
    assert await chat.ask("/edit 1 0.09%") == (
        f"Rule #1 is now <b>BTC funding &gt; 0.09%</b>, armed again. It stays muted until {until}."
    )
    assert await chat.ask("/watches") == (
        f"<b>Watch rules</b>\n#1 <code>BTC funding &gt; 0.09%</code> (muted until {until})"
    )
