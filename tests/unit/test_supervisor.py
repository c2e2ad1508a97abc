"""The supervisor restarts a failing task with doubling backoff, cancels a hung periodic step,
and calls a task stuck once it has not done its job for its bound."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from bot.runtime.supervisor import Supervisor


async def test_a_failing_task_restarts_with_doubling_backoff_until_it_works() -> None:
    supervisor = Supervisor(first_backoff_s=0.05, max_backoff_s=0.2)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    starts: list[float] = []

    async def flaky() -> None:
        starts.append(loop.time())
        if len(starts) <= 4:
            raise RuntimeError("database is locked")
        supervisor.beat("flaky")
        await stop.wait()

    supervisor.spawn("flaky", flaky, stop)
    async with asyncio.timeout(5):
        while supervisor.states["flaky"].last_success is None:
            await asyncio.sleep(0.01)
    state = supervisor.states["flaky"]
    assert (state.up, state.restarts) == (True, 4)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # 0.05, 0.1, 0.2, then capped at 0.2 (a timer may fire a hair early, never much late)
    for gap, wanted in zip(gaps, [0.05, 0.1, 0.2, 0.2], strict=True):
        assert wanted - 0.01 <= gap < wanted + 0.15
    stop.set()
    await supervisor.wait(grace_s=1)
    assert state.up is False and state.restarts == 4


async def test_a_task_that_ends_on_its_own_is_restarted() -> None:
    supervisor = Supervisor(first_backoff_s=0.01)
    stop = asyncio.Event()
    runs = 0

    async def quits() -> None:
        nonlocal runs
        runs += 1
        if runs == 3:
            await stop.wait()

    supervisor.spawn("quits", quits, stop)
    async with asyncio.timeout(5):
        while runs < 3:
            await asyncio.sleep(0.01)
    assert supervisor.states["quits"].restarts == 2
    stop.set()
    await supervisor.wait(grace_s=1)


async def test_a_hung_step_is_cancelled_and_the_schedule_goes_on() -> None:
    supervisor = Supervisor(first_backoff_s=0.01)
    stop = asyncio.Event()
    calls = 0

    async def step() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(3600)  # a venue that never answers

    supervisor.every("poll", 0.05, step, stop, timeout=0.1, stale_after=timedelta(seconds=1))
    async with asyncio.timeout(5):
        while calls < 4:
            await asyncio.sleep(0.01)
    state = supervisor.states["poll"]
    assert state.restarts == 1 and state.last_success is not None
    assert supervisor.stuck() == []
    stop.set()
    await supervisor.wait(grace_s=1)


async def test_a_task_without_success_past_its_bound_is_stuck() -> None:
    supervisor = Supervisor(first_backoff_s=0.01)
    stop = asyncio.Event()

    async def never_succeeds() -> None:
        raise ConnectionError("database down")

    async def quiet() -> None:
        await stop.wait()

    supervisor.spawn("sender", never_succeeds, stop, stale_after=timedelta(seconds=0.2))
    supervisor.spawn("stream_okx", quiet, stop)  # no bound: never judged
    assert supervisor.stuck() == []
    await asyncio.sleep(0.3)
    assert supervisor.stuck() == ["sender"]
    assert supervisor.states["sender"].restarts >= 3
    stop.set()
    await supervisor.wait(grace_s=1)


async def test_wait_cancels_what_outlives_the_grace() -> None:
    supervisor = Supervisor()
    stop = asyncio.Event()

    async def deaf() -> None:
        await asyncio.sleep(3600)

    supervisor.spawn("deaf", deaf, stop)
    await asyncio.sleep(0)
    stop.set()
    async with asyncio.timeout(1):
        await supervisor.wait(grace_s=0.05)
    assert supervisor.states["deaf"].up is False
