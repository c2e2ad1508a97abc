"""Several replicas on one database: one leader at a time, and the leader's matcher follows
rule edits made on the others."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.rules.matcher import RuleState
from bot.scheduler.leader import LeaderLock
from bot.usecases.watches import WatchService
from storage.db import make_engine, make_session_factory
from tests.conftest import watch_service

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _replica(engine: AsyncEngine) -> WatchService:
    return watch_service(make_session_factory(engine))


async def test_the_leader_follows_rules_changed_on_another_replica(engine: AsyncEngine) -> None:
    leader, follower = _replica(engine), _replica(engine)
    await leader.watched.load()
    await follower.watched.load()

    rule = await follower.add(1001, 1001, "BTC funding > 0.05%", NOW)
    assert rule.id not in leader.matcher.rules
    assert await leader.watched.sync(NOW) == 1
    assert leader.matcher.rules[rule.id].chat_id == 1001

    leader.matcher.states[rule.id] = RuleState(armed=False)  # it fired on the leader
    until = NOW + timedelta(hours=1)
    await follower.mute(1001, rule.id, until)
    await leader.watched.sync(NOW)
    state = leader.matcher.states[rule.id]
    assert state.muted_until == until and state.armed is False  # the leader's own state kept

    await follower.pause_chat(1001, True)
    await leader.watched.sync(NOW)
    assert rule.id not in leader.matcher.rules
    await follower.pause_chat(1001, False)
    await leader.watched.sync(NOW)
    assert rule.id in leader.matcher.rules

    await follower.remove(1001, rule.id)
    await leader.watched.sync(NOW)
    assert leader.matcher.rules == {}
    assert await leader.watched.sync(NOW) == 0  # nothing new


async def test_a_rule_changed_on_another_replica_is_armed_again_on_the_leader(
    engine: AsyncEngine,
) -> None:
    """The rule fired on the leader, then its trader moved its threshold through another
    replica while the leader's tick was under way: the leader evaluates it armed again, as
    /edit says, not waiting out the old threshold's firing, and the tick's state of the old
    threshold does not overwrite the new one's. The same rule retyped keeps the leader's
    state."""
    leader, follower = _replica(engine), _replica(engine)
    rule = await follower.add(1001, 1001, "BTC funding > 0.05%", NOW)
    await leader.watched.load()
    leader.matcher.states[rule.id] = RuleState(armed=False, last_fired=NOW)  # it fired

    def on_the_leader() -> tuple[int, bool, datetime | None]:
        state = leader.matcher.state(rule.id)
        return leader.matcher.rules[rule.id].revision, state.armed, state.last_fired

    await follower.replace(1001, rule.id, "btc funding >0.05%", NOW)
    await leader.watched.sync(NOW)
    assert on_the_leader() == (0, False, NOW)
    await follower.edit(1001, rule.id, "0.08%", NOW)
    await leader.watched.persist_states({rule.id})  # the end of the tick under way
    await leader.watched.sync(NOW)
    assert on_the_leader() == (1, True, None)
    stored = await leader.rules.get(rule.id)
    assert stored is not None and (stored.revision, stored.armed, stored.last_fired) == (
        1,
        True,
        None,
    )


async def test_a_takeover_starts_from_the_database(engine: AsyncEngine) -> None:
    old, new = _replica(engine), _replica(engine)
    await new.watched.load()
    added = await old.add(-100, 7, "ETH squeeze", NOW)
    assert await new.watched.reload() == 1 and added.id in new.matcher.rules


async def test_exactly_one_leader_and_the_next_takes_over(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is one process: it always leads")
    first_engine, second_engine = make_engine(database_url), make_engine(database_url)
    try:
        first, second = LeaderLock(first_engine, 0.05), LeaderLock(second_engine, 0.05)
        stop = asyncio.Event()
        assert await first.acquire(stop)
        contender = asyncio.create_task(second.acquire(stop))
        await asyncio.sleep(0.3)
        assert not contender.done()  # the lock is held: the second waits
        await first.release()
        assert await asyncio.wait_for(contender, 2)
        # The leader's connection dying (a killed process) frees the lock just the same.
        assert second._conn is not None
        await second._conn.invalidate()
        assert await asyncio.wait_for(first.acquire(stop), 2)
        stop.set()
        await first.release()
    finally:
        await first_engine.dispose()
        await second_engine.dispose()
