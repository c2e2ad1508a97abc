"""EvenPace never sends faster than its rate (bursts at most `burst`), and a cancelled waiter
does not stall the queue."""

from __future__ import annotations

import asyncio
import itertools

from bot.delivery.pace import EvenPace


async def _enter_times(pace: EvenPace, count: int) -> list[float]:
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def one() -> None:
        async with pace:
            times.append(loop.time())

    await asyncio.gather(*(one() for _ in range(count)))
    return times


async def test_one_at_a_time_never_closer_than_the_gap() -> None:
    times = await _enter_times(EvenPace(100.0), 30)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.0099  # 100/s: 10 ms apart, however late the loop wakes
    assert times[-1] - times[0] >= 0.29


async def test_a_burst_goes_at_once_then_the_rate_holds() -> None:
    times = await _enter_times(EvenPace(100.0, burst=5), 15)
    assert times[4] - times[0] < 0.005  # the first five at once
    assert times[-1] - times[0] >= 0.099  # the other ten at 10 ms each


async def test_a_cancelled_waiter_does_not_stall_the_others() -> None:
    pace = EvenPace(50.0)
    async with pace:
        pass
    stuck = asyncio.create_task(pace.__aenter__())
    await asyncio.sleep(0)
    stuck.cancel()
    times = await asyncio.wait_for(_enter_times(pace, 3), 1.0)
    assert len(times) == 3
