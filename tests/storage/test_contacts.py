from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.db import SessionFactory, make_session_factory
from storage.repositories.contacts import ChatSeen, ContactRepository, UserSeen

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
CHANNEL_ID = -1001234567890  # channel ids need 64 bits


async def test_first_contact_records_user_and_chat_with_64_bit_ids(engine: AsyncEngine) -> None:
    repo = ContactRepository(make_session_factory(engine))
    await repo.record(
        UserSeen(7_000_000_001, "trader", "Ann", "en"), ChatSeen(CHANNEL_ID, "channel", "Desk"), T0
    )
    assert await repo.get_user(7_000_000_001) is None  # noted, not yet written
    await repo.flush()

    user = await repo.get_user(7_000_000_001)
    chat = await repo.get_chat(CHANNEL_ID)
    assert user is not None and user.username == "trader" and user.first_seen == T0
    assert chat is not None and chat.type == "channel" and chat.title == "Desk" and chat.active


async def test_later_contact_keeps_first_seen_and_updates_the_rest(engine: AsyncEngine) -> None:
    repo = ContactRepository(make_session_factory(engine), touch_interval=timedelta(minutes=10))
    await repo.record(UserSeen(42, "old"), None, T0)
    await repo.record(UserSeen(42, "skipped"), None, T0 + timedelta(minutes=5))
    await repo.record(UserSeen(42, "new"), None, T0 + timedelta(minutes=11))
    await repo.flush()  # one batch: the first sighting and the latest values

    user = await repo.get_user(42)
    assert user is not None
    assert (user.username, user.first_seen, user.last_seen) == (
        "new",
        T0,
        T0 + timedelta(minutes=11),
    )


async def test_a_second_process_sees_the_same_rows(engine: AsyncEngine) -> None:
    first = ContactRepository(make_session_factory(engine), flush_after=0.01)
    await first.record(UserSeen(5), ChatSeen(5, "private"), T0)
    await asyncio.sleep(0.2)  # written in the background, without a flush call
    fresh = ContactRepository(make_session_factory(engine))
    assert (await fresh.get_chat(5)) is not None


async def test_a_batch_of_new_and_known_contacts_is_written_whole(engine: AsyncEngine) -> None:
    repo = ContactRepository(make_session_factory(engine))
    await repo.record(UserSeen(1, "first"), ChatSeen(1, "private"), T0)
    await repo.flush()
    later = T0 + timedelta(minutes=20)
    for user_id in range(1, 301):  # user 1 known, 299 new: one batch
        await repo.record(UserSeen(user_id, f"u{user_id}"), ChatSeen(-user_id, "group"), later)
    await repo.flush()

    known = await repo.get_user(1)
    assert known is not None
    assert (known.username, known.first_seen, known.last_seen) == ("u1", T0, later)
    last = await repo.get_user(300)
    assert last is not None and (last.username, last.first_seen) == ("u300", later)
    group = await repo.get_chat(-300)
    assert group is not None and group.type == "group" and group.active


async def test_contacts_noted_before_shutdown_are_written_on_the_way_out(
    engine: AsyncEngine,
) -> None:
    repo = ContactRepository(make_session_factory(engine), flush_after=60)
    await repo.record(UserSeen(77, "late"), ChatSeen(77, "private"), T0)
    await repo.aclose()  # long before the batch was due

    fresh = ContactRepository(make_session_factory(engine))
    assert await fresh.get_user(77) is not None
    assert await fresh.get_chat(77) is not None


async def test_shutdown_during_a_batch_write_waits_for_it(engine: AsyncEngine) -> None:
    """Closing while the background batch is being written lets that write finish: cancelled
    mid-write, the batch was lost and its half-done session outlived the engine (a shutdown
    that hung in the event loop's last cancel)."""
    real = make_session_factory(engine)
    writing, release = asyncio.Event(), asyncio.Event()

    @contextlib.asynccontextmanager
    async def slow_session() -> AsyncIterator[AsyncSession]:
        writing.set()
        await release.wait()  # the database is slow right now
        async with real() as session:
            yield session

    repo = ContactRepository(cast(SessionFactory, slow_session), flush_after=0.01)
    await repo.record(UserSeen(88, "mid-write"), ChatSeen(88, "private"), T0)
    await writing.wait()
    closing = asyncio.create_task(repo.aclose())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(closing, 5)

    fresh = ContactRepository(real)
    assert await fresh.get_user(88) is not None
    assert await fresh.get_chat(88) is not None
