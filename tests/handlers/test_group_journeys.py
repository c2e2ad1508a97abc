"""Chats over their life, through the real handlers: Telegram turning a group into a
supergroup while its rules, settings and queued alerts are kept; the bot blocked and unblocked,
removed from a group and added back."""

from __future__ import annotations

import time
from typing import Any

from bot.runtime.offline import BOT_USER
from tests.handlers.harness import USER, ChatHarness, texts

OLD_GROUP, SUPERGROUP = -5551, -1005551
ADMIN = 501


async def _service_message(chat: ChatHarness, chat_id: int, kind: str, **content: Any) -> None:
    """A message Telegram posts itself in a chat (no text, no command)."""
    message = {
        "message_id": 900 + abs(chat_id) % 97,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": kind, "title": "desk"},
        "from": {"id": ADMIN, "is_bot": False, "first_name": "Admin"},
        **content,
    }
    await chat._process({"update_id": message["message_id"], "message": message})


async def test_a_group_turned_supergroup_keeps_its_rules_and_settings(chat: ChatHarness) -> None:
    """Telegram posts 'migrate_to' in the old group and 'migrate_from' in the new one: the
    admin who looks at /watches there saw 'No rules here yet' (rules stayed under the old id
    until an alert bounced off it), and a rule added again to make up for it rang twice."""
    chat.request.admins |= {(OLD_GROUP, ADMIN), (SUPERGROUP, ADMIN)}
    assert "(rule #1)" in await chat.ask("/watch BTC squeeze", chat_id=OLD_GROUP, user_id=ADMIN)
    await chat.ask("/settings quiet 23:00-07:00 Europe/Berlin", chat_id=OLD_GROUP, user_id=ADMIN)
    await chat.ask("/settings lang es", chat_id=OLD_GROUP, user_id=ADMIN)

    await _service_message(chat, OLD_GROUP, "group", migrate_to_chat_id=SUPERGROUP)
    await _service_message(chat, SUPERGROUP, "supergroup", migrate_from_chat_id=OLD_GROUP)

    listing = await chat.ask("/watches", chat_id=SUPERGROUP, user_id=ADMIN)
    assert "#1 <code>BTC squeeze</code>" in listing, listing
    settings = await chat.ask("/settings", chat_id=SUPERGROUP, user_id=ADMIN)
    assert "23:00" in settings and "Europe/Berlin" in settings, settings
    assert settings.startswith("<b>Ajustes</b>"), settings  # its language came along
    assert "Ya vigilo" in await chat.ask("/watch BTC squeeze", chat_id=SUPERGROUP, user_id=ADMIN)
    assert [r.chat_id for r in await chat.services.watch.rules.for_chat(SUPERGROUP)] == [SUPERGROUP]


async def test_a_supergroup_set_up_before_its_old_rules_arrive_keeps_its_own_settings(
    chat: ChatHarness,
) -> None:
    """An admin who set the supergroup's zone before the move came through (an alert bounced
    off the old id): the move failed on the settings row already there, every time it was
    tried, and the sender waited on it for good."""
    chat.request.admins |= {(OLD_GROUP, ADMIN), (SUPERGROUP, ADMIN)}
    await chat.ask("/watch BTC squeeze", chat_id=OLD_GROUP, user_id=ADMIN)
    await chat.ask("/settings tz Europe/Berlin", chat_id=OLD_GROUP, user_id=ADMIN)
    await chat.ask("/settings tz Asia/Tokyo", chat_id=SUPERGROUP, user_id=ADMIN)
    await chat.services.migrate_chat(OLD_GROUP, SUPERGROUP)
    settings = await chat.ask("/settings", chat_id=SUPERGROUP, user_id=ADMIN)
    assert "Time zone: Asia/Tokyo (" in settings, settings
    assert "#1 <code>BTC squeeze</code>" in await chat.ask(
        "/watches", chat_id=SUPERGROUP, user_id=ADMIN
    )


async def _bot_becomes(chat: ChatHarness, chat_id: int, kind: str, old: str, new: str) -> list[str]:
    """Telegram's my_chat_member: the bot's status in the chat went from `old` to `new`."""

    def member(status: str) -> dict[str, Any]:
        return {"status": status, "user": BOT_USER} | (
            {"until_date": 0} if status == "kicked" else {}
        )

    change = {
        "chat": {"id": chat_id, "type": kind, "title": "desk", "first_name": "Trader"},
        "from": {"id": USER, "is_bot": False, "first_name": "Trader"},
        "date": int(time.time()),
        "old_chat_member": member(old),
        "new_chat_member": member(new),
    }
    return texts(await chat._process({"update_id": 5000 + len(new), "my_chat_member": change}))


async def test_unblocking_the_bot_says_the_rules_ring_again(chat: ChatHarness) -> None:
    """Blocked, the chat's rules pause; unblocked they resumed without a word, so a trader who
    blocked the bot to silence it was surprised by the next alert."""
    await chat.ask("/watch BTC squeeze")
    await chat.ask("/watch ETH funding > 0.05%")
    assert await _bot_becomes(chat, USER, "private", "member", "kicked") == []
    assert "(paused)" in await chat.ask("/watches")
    assert await _bot_becomes(chat, USER, "private", "kicked", "member") == [
        "I'm back: this chat's 2 watch rules are on again. /watches lists them; "
        "/unwatch all stops them."
    ]
    assert "(paused)" not in await chat.ask("/watches")


async def test_a_group_that_adds_the_bot_back_hears_it_in_its_language(chat: ChatHarness) -> None:
    chat.request.admins.add((OLD_GROUP, ADMIN))
    await chat.ask("/watch BTC squeeze", chat_id=OLD_GROUP, user_id=ADMIN)
    await chat.ask("/settings lang es", chat_id=OLD_GROUP, user_id=ADMIN)
    assert await _bot_becomes(chat, OLD_GROUP, "group", "member", "left") == []
    assert await _bot_becomes(chat, OLD_GROUP, "group", "left", "member") == [
        "Estoy de vuelta: 1 regla de vigilancia de este chat vuelve a estar activa. /watches "
        "la muestra; /unwatch all la detiene."
    ]
    # A chat with no rules hears nothing: there is nothing to stop.
    assert await _bot_becomes(chat, -7, "group", "left", "member") == []


async def test_a_channel_named_in_a_group_is_sent_to_the_private_chat(chat: ChatHarness) -> None:
    """'/watch @mydesk BTC squeeze' typed in a group answered ''@mydesk' is not an asset name',
    and '/watches @mydesk' listed the group's own rules as if they were the channel's."""
    chat.request.admins.add((OLD_GROUP, ADMIN))
    await chat.ask("/watch BTC squeeze", chat_id=OLD_GROUP, user_id=ADMIN)
    for command in ("/watch @mydesk BTC squeeze", "/watches @mydesk", "/unwatch @mydesk 1"):
        assert await chat.ask(command, chat_id=OLD_GROUP, user_id=ADMIN) == (
            "Manage @mydesk from a private chat with me."
        )
    assert "#1 <code>BTC squeeze</code>" in await chat.ask(
        "/watches", chat_id=OLD_GROUP, user_id=ADMIN
    )
