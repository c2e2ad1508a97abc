"""What a command message made, kept on every database: an edit of the message finds it, even
after the rule went (so the edit can say so) and for Telegram's 64-bit chat ids."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.usecases.edits import Command, CommandOrigins, Outcome
from bot.usecases.watches import StoredRule
from storage.db import make_session_factory
from storage.repositories.origins import Made, Origin, OriginRepository
from tests.conftest import watch_service

NOW = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
CHANNEL_CHAT = -1001234567890  # a channel's rules are made from a private chat, but a group's
MESSAGE = Origin(CHANNEL_CHAT, 2**40)


async def test_an_edit_changes_the_rule_its_message_made_and_adds_anew_once_it_is_gone(
    engine: AsyncEngine,
) -> None:
    sessions = make_session_factory(engine)
    watch = watch_service(sessions)
    origins = CommandOrigins(OriginRepository(sessions))

    async def watch_edit(text: str, *, edited: bool = True) -> Outcome[StoredRule]:
        async def make() -> tuple[StoredRule, int]:
            rule = await watch.add(CHANNEL_CHAT, 7, text, NOW)
            return rule, rule.id

        return await origins.make_or_change(
            Command(MESSAGE, edited),
            Made.RULE,
            NOW,
            make=make,
            change=lambda rule_id: watch.replace(CHANNEL_CHAT, rule_id, text, NOW),
        )

    first = await watch_edit("BTC funding > 0.05%", edited=False)
    changed = await watch_edit("BTC funding > 0.08%")
    assert (changed.made.id, changed.made.text, changed.changed) == (1, "BTC funding > 0.08%", True)
    # Another message, and the same message's position, made nothing.
    repository = OriginRepository(sessions)
    assert await repository.made(Origin(CHANNEL_CHAT, 2**40 + 1), Made.RULE) is None
    assert await repository.made(MESSAGE, Made.POSITION) is None

    assert await watch.remove(CHANNEL_CHAT, first.made.id) == 1
    again = await watch_edit("BTC funding > 0.09%")
    assert (again.made.id, again.changed, again.gone) == (2, False, 1)
    assert await repository.made(MESSAGE, Made.RULE) == 2
    assert [r.text for r in await watch.list(CHANNEL_CHAT)] == ["BTC funding > 0.09%"]
