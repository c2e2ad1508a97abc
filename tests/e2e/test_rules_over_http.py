"""Watch rules over HTTP: private chats, group admins vs members, linked channels, buttons,
and the bot being removed from a chat."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.db import make_engine, make_session_factory
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.e2e.conftest import RunningBot, start_bot

GROUP = -1001234
ADMIN, MEMBER = 501, 502
CHANNEL = -1009999


async def _answer_text(bot: RunningBot, chat_id: int, user_id: int, data: str) -> str:
    before = len(bot.api.calls())
    bot.api.push_callback_query(chat_id, user_id, data)
    call = await bot.api.wait_for("answerCallbackQuery", after=before)
    return str(call.params.get("text", ""))


async def test_private_watch_list_and_unwatch(running_bot: RunningBot) -> None:
    reply = await running_bot.ask("/watch btc funding > 0.05%")
    assert (
        "Watching <b>BTC funding &gt; 0.05%</b> (rule #1). You'll get one alert when it crosses; "
        "/watches lists your rules."
    ) in reply
    assert "Usage:" in await running_bot.ask("/watch BTC moon > 5%")
    listing = await running_bot.ask("/watches")
    assert "#1 <code>BTC funding &gt; 0.05%</code>" in listing
    buttons = running_bot.api.sent_messages(1001)[-1].reply_markup
    assert buttons["inline_keyboard"][0][0]["callback_data"] == "rule:del:1"
    assert await running_bot.ask("/unwatch 1") == (
        "Removed rule #1 <code>BTC funding &gt; 0.05%</code>."
    )
    assert "No such rule" in await running_bot.ask("/unwatch 1")
    assert "No rules here yet" in await running_bot.ask("/watches")


async def test_group_rules_need_an_admin(running_bot: RunningBot) -> None:
    running_bot.api.set_member(GROUP, ADMIN, "administrator")
    refused = await running_bot.ask("/watch BTC squeeze", chat_id=GROUP, user_id=MEMBER)
    assert "Only this group's admins" in refused
    added = await running_bot.ask("/watch BTC squeeze", chat_id=GROUP, user_id=ADMIN)
    assert "rule #1" in added
    assert "Only this group's admins" in await running_bot.ask(
        "/unwatch all", chat_id=GROUP, user_id=MEMBER
    )
    # Anyone may read the list; only admins may press its buttons.
    assert "BTC squeeze" in await running_bot.ask("/watches", chat_id=GROUP, user_id=MEMBER)
    assert "admins" in await _answer_text(running_bot, GROUP, MEMBER, "rule:del:1")
    muted = await _answer_text(running_bot, GROUP, ADMIN, "rule:mute:1h:1")
    assert re.fullmatch(r"Muted until \w{3} \d{1,2} \w{3} \d\d:\d\d UTC\.", muted), muted
    assert "muted until" in await running_bot.ask("/watches", chat_id=GROUP, user_id=ADMIN)
    assert await _answer_text(running_bot, GROUP, ADMIN, "rule:del:1") == "Rule removed."


async def test_rule_cap_is_enforced_with_a_clear_message(tmp_path: Path) -> None:
    async with start_bot(tmp_path, rules_per_chat=2) as bot:
        await bot.ask("/watch BTC squeeze")
        await bot.ask("/watch ETH squeeze")
        assert await bot.ask("/watch SOL squeeze") == (
            "This chat has 2 rules, the most allowed. Remove one with /watches."
        )


async def test_channel_linking_requires_both_admins(tmp_path: Path) -> None:
    async with start_bot(tmp_path, admin_cache_seconds=0) as running_bot:
        await _channel_linking(running_bot)


async def _channel_linking(running_bot: RunningBot) -> None:
    api = running_bot.api
    api.set_chat(CHANNEL, type="channel", title="Desk", username="mydesk")
    bot_id = int(api.bot_user["id"])
    assert "Link it first" in await running_bot.ask("/watch @mydesk BTC squeeze")
    assert "Make me an admin" in await running_bot.ask("/channel @mydesk")
    api.set_member(CHANNEL, bot_id, "administrator")
    assert "Only @mydesk's admins" in await running_bot.ask("/channel @mydesk")
    api.set_member(CHANNEL, 1001, "creator")
    assert "Linked @mydesk" in await running_bot.ask("/channel @mydesk")
    linked = await running_bot.ask("/watch @mydesk BTC squeeze")
    assert (
        "(rule #1). You'll get one thread per squeeze: the early warning rings, its confirmation, "
        "escalation and summary reply to it quietly; /watches @mydesk lists its rules."
    ) in linked
    assert "BTC squeeze" in await running_bot.ask("/watches @mydesk")
    assert "No rules here yet" in await running_bot.ask("/watches")  # the private chat's own
    # Another user has no link; a demoted admin's link no longer grants anything.
    assert "Link it first" in await running_bot.ask(
        "/watch @mydesk ETH squeeze", chat_id=77, user_id=77
    )
    api.set_member(CHANNEL, 1001, "member")
    assert "no longer an admin of @mydesk" in await running_bot.ask("/watch @mydesk ETH squeeze")


def _linkable(running_bot: RunningBot, *admins: int) -> None:
    api = running_bot.api
    api.set_chat(CHANNEL, type="channel", title="Desk", username="mydesk")
    api.set_member(CHANNEL, int(api.bot_user["id"]), "administrator")
    for admin in admins:
        api.set_member(CHANNEL, admin, "administrator")


@contextlib.asynccontextmanager
async def _queued_behind_a_429(
    bot: RunningBot,
    wait: int,
    alerts: list[OutgoingAlert],
    held: list[OutgoingAlert],
    held_for: timedelta = timedelta(hours=1),
) -> AsyncIterator[OutboxRepository]:
    """The channel's queue as an unlink finds it: `alerts` queued, the first in flight when
    Telegram asks to wait `wait` seconds, and `held` held for quiet hours ending in
    `held_for`, as one digest."""
    bot.api.fail_next("sendMessage", retry_after=wait, chat_id=CHANNEL)
    engine = make_engine(bot.settings.database_url)
    outbox = OutboxRepository(make_session_factory(engine))
    now = datetime.now(UTC)
    try:
        await outbox.enqueue(alerts, now)
        for alert in held:
            await outbox.hold(alert, now + held_for, now, into="digest:channel", header="🌙 Held")
        await bot.api.wait_for(
            lambda: any(c.params.get("chat_id") == CHANNEL for c in bot.api.calls("sendMessage"))
        )
        yield outbox
    finally:
        await engine.dispose()


async def test_unlinking_a_channel_removes_its_rules_and_unsent_alerts(tmp_path: Path) -> None:
    async with start_bot(tmp_path, admin_cache_seconds=0) as bot:
        _linkable(bot, 1001)
        linked = await bot.ask("/channel @mydesk")
        assert linked.startswith("Linked @mydesk. "), linked
        # The name without its @, or the link a phone's share button copies, is the same one.
        for spelled in ("mydesk", "https://t.me/mydesk", "t.me/mydesk"):
            assert await bot.ask(f"/channel {spelled}") == linked, spelled
        for rule in ("BTC squeeze", "ETH squeeze", "BTC funding > 0.05%"):
            assert "rule #" in await bot.ask(f"/watch @mydesk {rule}")
        alert = OutgoingAlert(CHANNEL, "tick:1:channel", "BTC squeeze", rules=(1,))
        digest = OutgoingAlert(CHANNEL, "held:1", "ETH", rules=(2,))
        async with _queued_behind_a_429(bot, 600, [alert], [digest]) as outbox:
            assert await bot.ask("/channel @mydesk off") == (
                "Unlinked @mydesk; its 3 rules are gone."
            )
            # Whether the 429 was written before the unlink or after, the alert stays dropped.
            rows = await outbox.messages(CHANNEL)
            assert [(r.status, r.last_error) for r in rows] == [
                ("dead", "channel unlinked"),
                ("dead", "channel unlinked"),
            ]
        assert bot.api.sent_messages(CHANNEL) == []
        assert await bot.ask("/watches @mydesk") == "Link it first: /channel @mydesk"
        assert await bot.ask("/channel @mydesk off") == "You have not linked @mydesk."
        for which in ("/channel", "/channel @" + "x" * 33, "/channel https://t.me/+AbCdEf12"):
            assert await bot.ask(which) == (
                "Which channel?\n"
                "Usage: <code>/channel @yourchannel [off]</code>\n"
                "Example: <code>/channel @mydesk</code>"
            )
        assert await bot.ask("/channel @mydesk of") == (
            "Add off to unlink @mydesk, or nothing to link it.\n"
            "Usage: <code>/channel @yourchannel [off]</code>\n"
            "Example: <code>/channel @mydesk off</code>"
        )
        assert await bot.ask("/channel @mydesk off", chat_id=GROUP, user_id=1001) == (
            "Link and unlink channels from a private chat with me."
        )
        assert await bot.ask("/help channel") == (
            "<b>/channel</b>: Link a channel you run, to post its alerts; off unlinks it\n"
            "Usage: <code>/channel @yourchannel [off]</code>\n"
            "<code>/channel @mydesk</code>\n"
            "<code>/channel @mydesk off</code>\n"
            "Limits: your channels only, from a private chat, by their current name; unlinking "
            "removes the channel&#x27;s rules and their unsent alerts, unless other admins "
            "linked it too."
        )


async def test_unlinking_a_channel_the_operator_broadcasts_to_leaves_the_operators_post(
    tmp_path: Path,
) -> None:
    """The operator's broadcast post, the channel's rule alerts and a quiet-hours digest now
    due wait behind Telegram's 429 for the channel when its admin unlinks it: the rules'
    alerts never go, the post does, and so does the digest without the rules' alerts (what
    no rule made, as a broadcast warning, stays in it), in that order, once."""
    async with start_bot(tmp_path, admin_cache_seconds=0) as bot:
        _linkable(bot, 1001)
        linked = await bot.ask("/channel @mydesk")
        assert linked.startswith("Linked @mydesk. "), linked
        # The name without its @, or the link a phone's share button copies, is the same one.
        for spelled in ("mydesk", "https://t.me/mydesk", "t.me/mydesk"):
            assert await bot.ask(f"/channel {spelled}") == linked, spelled
        for rule in ("BTC squeeze", "ETH funding > 0.05%"):
            assert "rule #" in await bot.ask(f"/watch @mydesk {rule}")
        alert = OutgoingAlert(CHANNEL, "tick:1:channel", "BTC squeeze (#1)", rules=(1,))
        # As the pipeline queues a broadcast channel's post: no rule made it.
        post = OutgoingAlert(CHANNEL, f"channel:1:{CHANNEL}:0", "🚨 BTC long squeeze")
        digest = [
            OutgoingAlert(CHANNEL, f"held:{text}", text, rules=rules)
            for text, rules in (
                ("ETH funding (#2)", (2,)),
                ("⚠️ ETH overheating", ()),
                ("BTC funding (#1)", (1,)),
            )
        ]
        # Telegram asks to wait 5 s: long enough to unlink, short enough to see the post go.
        async with _queued_behind_a_429(bot, 5, [alert, post], digest, timedelta(0)) as outbox:
            assert await bot.ask("/channel @mydesk off") == (
                "Unlinked @mydesk; its 2 rules are gone."
            )
            rows = await outbox.messages(CHANNEL)
            # The digest may be out of quiet hours (pending) or not yet (held).
            assert [(r.text, r.status == "dead") for r in rows] == [
                ("BTC squeeze (#1)", True),
                ("🚨 BTC long squeeze", False),
                ("🌙 Held\n\n⚠️ ETH overheating", False),
            ]
            await bot.api.wait_for(lambda: len(bot.api.sent_messages(CHANNEL)) == 2, timeout=30)
            async with asyncio.timeout(5):  # both marked sent: neither goes again
                while await outbox.counts() != {"dead": 1, "sent": 2}:
                    await asyncio.sleep(0.05)
        assert [m.text for m in bot.api.sent_messages(CHANNEL)] == [
            "🚨 BTC long squeeze",
            "🌙 Held\n\n⚠️ ETH overheating",
        ]


async def test_a_channel_linked_by_two_admins_keeps_its_rules_until_both_unlink(
    tmp_path: Path,
) -> None:
    async with start_bot(tmp_path, admin_cache_seconds=0) as bot:
        _linkable(bot, 1001, 77)
        linked = await bot.ask("/channel @mydesk")
        assert linked.startswith("Linked @mydesk. "), linked
        # The name without its @, or the link a phone's share button copies, is the same one.
        for spelled in ("mydesk", "https://t.me/mydesk", "t.me/mydesk"):
            assert await bot.ask(f"/channel {spelled}") == linked, spelled
        assert "Linked @mydesk" in await bot.ask("/channel @mydesk", chat_id=77, user_id=77)
        await bot.ask("/watch @mydesk BTC squeeze")
        await bot.ask("/watch @mydesk ETH squeeze", chat_id=77, user_id=77)
        assert await bot.ask("/channel @mydesk off") == (
            "Unlinked @mydesk for you; its rules stay with the other admins who linked it."
        )
        listing = await bot.ask("/watches @mydesk", chat_id=77, user_id=77)
        assert "#1 <code>BTC squeeze</code>" in listing and "#2 <code>ETH squeeze</code>" in listing
        assert await bot.ask("/channel @MyDesk off", chat_id=77, user_id=77) == (
            "Unlinked @MyDesk; its 2 rules are gone."
        )


async def test_a_channel_renamed_since_it_was_linked_is_unlinked_by_its_new_name(
    tmp_path: Path,
) -> None:
    """Linked by two admins as @mydesk, now @newdesk: getChat says @newdesk is the linked
    channel, and from then on both links carry the new name, so the next command on it asks
    Telegram nothing (nor does a name no channel can have)."""
    async with start_bot(tmp_path, admin_cache_seconds=0) as bot:
        _linkable(bot, 1001, 77)
        linked = await bot.ask("/channel @mydesk")
        assert linked.startswith("Linked @mydesk. "), linked
        # The name without its @, or the link a phone's share button copies, is the same one.
        for spelled in ("mydesk", "https://t.me/mydesk", "t.me/mydesk"):
            assert await bot.ask(f"/channel {spelled}") == linked, spelled
        assert "Linked @mydesk" in await bot.ask("/channel @mydesk", chat_id=77, user_id=77)
        assert "rule #1" in await bot.ask("/watch @mydesk BTC squeeze")
        bot.api.set_chat(CHANNEL, type="channel", title="Desk", username="newdesk")

        assert await bot.ask("/channel @newdesk off") == (
            "Unlinked @newdesk for you; its rules stay with the other admins who linked it."
        )
        asked = len(bot.api.calls("getChat"))
        listing = await bot.ask("/watches @newdesk", chat_id=77, user_id=77)
        assert "#1 <code>BTC squeeze</code>" in listing
        assert await bot.ask("/channel @NewDesk off", chat_id=77, user_id=77) == (
            "Unlinked @NewDesk; its 1 rule is gone."
        )
        # Longer than any Telegram username: not asked about either.
        assert await bot.ask("/watches @" + "x" * 40) == "Link it first: /channel @" + "x" * 32
        assert len(bot.api.calls("getChat")) == asked


async def test_a_channel_that_demotes_the_bot_stays_linked_with_its_rules_paused(
    tmp_path: Path,
) -> None:
    async with start_bot(tmp_path, admin_cache_seconds=0) as bot:
        _linkable(bot, 1001)
        await bot.ask("/channel @mydesk")
        await bot.ask("/watch @mydesk BTC squeeze")
        bot.api.push_my_chat_member(
            CHANNEL, "member", old_status="administrator", chat_type="channel"
        )
        # Updates are handled in order: the listing asked after the change sees it.
        assert "#1 <code>BTC squeeze</code> (paused)" in await bot.ask("/watches @mydesk")
        bot.api.push_my_chat_member(
            CHANNEL, "administrator", old_status="member", chat_type="channel"
        )
        listing = await bot.ask("/watches @mydesk")
        assert "#1 <code>BTC squeeze</code>" in listing and "(paused)" not in listing
        # Removed from the channel: paused again, and still the user's to unlink.
        bot.api.push_my_chat_member(
            CHANNEL, "left", old_status="administrator", chat_type="channel"
        )
        assert "(paused)" in await bot.ask("/watches @mydesk")
        assert await bot.ask("/channel @mydesk off") == "Unlinked @mydesk; its 1 rule is gone."


async def test_removal_from_a_group_pauses_its_rules(running_bot: RunningBot) -> None:
    api = running_bot.api
    api.set_member(GROUP, ADMIN, "administrator")
    await running_bot.ask("/watch BTC squeeze", chat_id=GROUP, user_id=ADMIN)
    api.push_my_chat_member(GROUP, "kicked", old_status="member")
    await api.wait_for(lambda: True, timeout=1)
    listing = ""
    for _ in range(20):  # the update is processed asynchronously
        listing = await running_bot.ask("/watches", chat_id=GROUP, user_id=ADMIN)
        if "(paused)" in listing:
            break
    assert "(paused)" in listing
    api.push_my_chat_member(GROUP, "member", old_status="left")
    for _ in range(20):
        listing = await running_bot.ask("/watches", chat_id=GROUP, user_id=ADMIN)
        if "(paused)" not in listing:
            break
    assert "(paused)" not in listing


async def test_edit_a_threshold_from_the_rule_list(running_bot: RunningBot) -> None:
    bot = running_bot
    await bot.ask("/watch BTC funding > 0.05%")
    await bot.ask("/watches")
    [row] = bot.api.sent_messages(1001)[-1].reply_markup["inline_keyboard"]
    assert row[-1]["callback_data"] == "rule:edit:1"
    before = len(bot.api.sent_messages(1001))
    bot.api.push_callback_query(1001, 1001, "rule:edit:1")
    await bot.api.wait_for(lambda: len(bot.api.sent_messages(1001)) > before)
    prompt = bot.api.sent_messages(1001)[-1].text
    assert "New threshold for #1 <code>BTC funding &gt; 0.05%</code>" in prompt
    assert "<code>/edit 1 0.08%</code>" in prompt

    assert await bot.ask("/edit 1 0.08%") == (
        "Rule #1 is now <b>BTC funding &gt; 0.08%</b>, armed again."
    )
    assert "#1 <code>BTC funding &gt; 0.08%</code>" in await bot.ask("/watches")
    assert "Give funding as a percentage" in await bot.ask("/edit 1 8")
    assert "Usage: <code>/edit &lt;rule id&gt;" in await bot.ask("/edit 1")
    assert "No such rule" in await bot.ask("/edit 99 1%")
    await bot.ask("/watch BTC squeeze")
    assert "built-in warning: it has no threshold" in await bot.ask("/edit 2 5%")


async def test_settings_quiet_hours_and_cooldown(running_bot: RunningBot) -> None:
    bot = running_bot
    shown = await bot.ask("/settings")
    assert "Quiet hours: off" in shown and "Cooldown: 30 min between repeats" in shown
    changed = await bot.ask("/settings quiet 23:00-07:00 Europe/Berlin")
    assert changed.startswith("Quiet hours 23:00–07:00 Europe/Berlin.")
    assert "squeeze warnings always ring" in changed
    assert "Cooldown 2h for every rule here." in await bot.ask("/settings cooldown 2h")
    assert "Cooldown: 2h" in await bot.ask("/settings")
    assert "Unknown time zone Mars/Base" in await bot.ask("/settings quiet 23:00-07:00 Mars/Base")
    assert "Usage: <code>/settings" in await bot.ask("/settings volume 11")
    assert "Quiet hours are off." in await bot.ask("/settings quiet off")
    # Groups: anyone may look, only admins change.
    bot.api.set_member(GROUP, ADMIN, "administrator")
    assert "Quiet hours: off" in await bot.ask("/settings", chat_id=GROUP, user_id=MEMBER)
    refused = await bot.ask("/settings cooldown 5m", chat_id=GROUP, user_id=MEMBER)
    assert "Only this group's admins" in refused
    assert "Cooldown 5 min" in await bot.ask("/settings cooldown 5m", chat_id=GROUP, user_id=ADMIN)


async def test_the_edit_button_of_a_channels_rule_names_the_channel(
    running_bot: RunningBot,
) -> None:
    """Pressed under '/watches @mydesk' in the private chat: a bare '/edit 1' there would edit
    the private chat's own rule #1 (or find none), so the hint names the channel."""
    _linkable(running_bot, 1001)
    assert "Linked @mydesk" in await running_bot.ask("/channel @mydesk")
    assert "(rule #1)" in await running_bot.ask("/watch @mydesk BTC funding > 0.05%")
    before = len(running_bot.api.sent_messages(1001))
    running_bot.api.push_callback_query(1001, 1001, "rule:edit:1")
    await running_bot.api.wait_for(lambda: len(running_bot.api.sent_messages(1001)) > before)
    assert running_bot.api.sent_messages(1001)[-1].text == (
        "New threshold for #1 <code>BTC funding &gt; 0.05%</code>? Send\n"
        "<code>/edit @mydesk 1 0.08%</code> (same comparison) or "
        "<code>/edit @mydesk 1 &lt; -3%</code>"
    )
    assert "Rule #1 is now" in await running_bot.ask("/edit @mydesk 1 0.08%")
    # The chat's own rule: no name.
    assert "(rule #2)" in await running_bot.ask("/watch BTC funding > 0.05%")
    before = len(running_bot.api.sent_messages(1001))
    running_bot.api.push_callback_query(1001, 1001, "rule:edit:2")
    await running_bot.api.wait_for(lambda: len(running_bot.api.sent_messages(1001)) > before)
    assert "<code>/edit 2 0.08%</code>" in running_bot.api.sent_messages(1001)[-1].text
