"""A rate limiter for Telegram's send budgets that costs one timer per send, not one per waiter.

aiolimiter's AsyncLimiter wakes every waiter each 1/rate s to re-check: with 50 sends waiting
at the paid 950/s that is 47,500 wake-ups a second, and it held paid broadcast to ~120/s. Here
waiters queue in order and only the first sleeps; the bucket leaks on measured time, so a late
event loop never makes up for lost time with a burst larger than `burst`."""

from __future__ import annotations

import asyncio
from collections import deque


class EvenPace:
    def __init__(self, rate: float, burst: int = 1) -> None:
        self._gap = 1.0 / rate
        self._burst = burst
        self._level = 0.0  # sends still "in the bucket"
        self._at = 0.0  # loop time the level was measured
        self._queue: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        self._queue.append(turn)
        if len(self._queue) > 1:
            try:
                await turn
            except asyncio.CancelledError:
                if turn.cancelled():
                    self._queue.remove(turn)
                else:
                    self._next()  # made first just as it was cancelled: pass the turn on
                raise
        try:
            while True:
                now = loop.time()
                self._level = max(0.0, self._level - (now - self._at) / self._gap)
                self._at = now
                if self._level + 1 <= self._burst:
                    self._level += 1
                    return
                await asyncio.sleep((self._level + 1 - self._burst) * self._gap)
        finally:
            self._next()

    async def __aexit__(self, *exc: object) -> None:
        return None

    def _next(self) -> None:
        self._queue.popleft()
        if self._queue:
            self._queue[0].set_result(None)
