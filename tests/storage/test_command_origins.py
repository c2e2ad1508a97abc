"""What a command message made, kept on every database: an edit of the message finds it, even
after the rule went (so the edit can say so) and for Telegram's 64-bit chat ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduler.jobs import ORIGIN_RETENTION
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


async def test_pruning_forgets_the_messages_older_than_the_retention_and_keeps_the_rest(
    engine: AsyncEngine,
) -> None:
    """The prune job keeps a month of command messages: an edit of an older one makes a new rule
    as an edit of a message never seen does; a newer one still changes what it made."""
    sessions = make_session_factory(engine)
    watch = watch_service(sessions)
    repository = OriginRepository(sessions)
    origins = CommandOrigins(repository)
    cutoff = NOW - ORIGIN_RETENTION
    sent_at = {
        Origin(CHANNEL_CHAT, 1): cutoff - timedelta(days=1),
        Origin(CHANNEL_CHAT, 2): cutoff - timedelta(seconds=1),
        Origin(CHANNEL_CHAT, 3): cutoff,
        Origin(CHANNEL_CHAT, 4): NOW - timedelta(hours=1),
    }
    for n, (origin, at) in enumerate(sent_at.items()):
        await repository.record(origin, Made.RULE, n + 1, at)
    await repository.record(Origin(CHANNEL_CHAT, 1), Made.POSITION, 7, cutoff - timedelta(days=1))

    assert await repository.prune(cutoff) == 3
    assert [await repository.made(o, Made.RULE) for o in sent_at] == [None, None, 3, 4]
    assert await repository.made(Origin(CHANNEL_CHAT, 1), Made.POSITION) is None
    assert await repository.prune(cutoff) == 0

    rule = await watch.add(CHANNEL_CHAT, 7, "BTC funding > 0.05%", NOW)
    await repository.record(Origin(CHANNEL_CHAT, 5), Made.RULE, rule.id, cutoff - timedelta(days=1))
    assert await repository.prune(cutoff) == 1

    async def make() -> tuple[StoredRule, int]:
        made = await watch.add(CHANNEL_CHAT, 7, "BTC funding > 0.08%", NOW)
        return made, made.id

    edit = await origins.make_or_change(
        Command(Origin(CHANNEL_CHAT, 5), edited=True),
        Made.RULE,
        NOW,
        make=make,
        change=lambda rule_id: watch.replace(CHANNEL_CHAT, rule_id, "BTC funding > 0.08%", NOW),
    )
    assert (edit.made.id, edit.changed, edit.gone) == (rule.id + 1, False, None)
    assert [r.text for r in await watch.list(CHANNEL_CHAT)] == [
        "BTC funding > 0.05%",
        "BTC funding > 0.08%",
    ]
    assert await repository.made(Origin(CHANNEL_CHAT, 5), Made.RULE) == rule.id + 1
