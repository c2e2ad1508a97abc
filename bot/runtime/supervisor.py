"""Keeps the leader's background tasks alive: each one is restarted with exponential backoff
after any exception (or after returning while the bot still runs), and records when it last
did its job, so /healthz and /metrics can tell a dead or stuck task from a quiet one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

Body = Callable[[], Awaitable[None]]
Progress = Callable[[], datetime | None]  # when a task last did its job, by its own record
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0


@dataclass
class TaskState:
    name: str
    stale_after: timedelta | None  # no success for this long: stuck (None: never judged)
    since: datetime  # when it was started, the reference before its first success
    up: bool = False
    restarts: int = 0
    beaten: datetime | None = None
    progress: Progress | None = None

    @property
    def last_success(self) -> datetime | None:
        return self.progress() if self.progress is not None else self.beaten

    def stuck(self, now: datetime) -> bool:
        if self.stale_after is None:
            return False
        return now - (self.last_success or self.since) > self.stale_after


@dataclass
class Supervisor:
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    first_backoff_s: float = FIRST_BACKOFF_S
    max_backoff_s: float = MAX_BACKOFF_S
    states: dict[str, TaskState] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def spawn(
        self,
        name: str,
        body: Body,
        stop: asyncio.Event,
        *,
        stale_after: timedelta | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Runs `body` until `stop`; it tells when it last did its job by calling `beat(name)`,
        or through `progress` (a time it keeps itself)."""
        state = TaskState(name, stale_after, self.clock(), progress=progress)
        self.states[name] = state
        self._tasks.append(asyncio.create_task(self._keep(state, body, stop), name=name))

    def every(
        self,
        name: str,
        seconds: float,
        step: Body,
        stop: asyncio.Event,
        *,
        timeout: float,
        first_after: float = 0.0,
        stale_after: timedelta | None = None,
    ) -> None:
        """`step` every `seconds` (never two at once; a late one is not caught up). A step that
        outlasts `timeout` is cancelled and counts as a failure, so a hung call cannot stop
        the schedule."""

        async def loop() -> None:
            delay = first_after
            while not await stopped_within(stop, delay):
                started = asyncio.get_running_loop().time()
                async with asyncio.timeout(timeout):
                    await step()
                self.beat(name)
                delay = max(0.0, seconds - (asyncio.get_running_loop().time() - started))

        self.spawn(name, loop, stop, stale_after=stale_after)

    def beat(self, name: str) -> None:
        self.states[name].beaten = self.clock()

    def stuck(self) -> list[str]:
        now = self.clock()
        return [name for name, state in self.states.items() if state.stuck(now)]

    async def wait(self, grace_s: float) -> None:
        """After `stop` is set: lets the tasks finish (up to `grace_s`), then cancels the rest."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _keep(self, state: TaskState, body: Body, stop: asyncio.Event) -> None:
        backoff = self.first_backoff_s
        while not stop.is_set():
            state.up = True
            ran_from = self.clock()
            failure: Exception | None = None
            try:
                await body()
            except Exception as error:
                failure = error
            finally:
                state.up = False
            if failure is None and stop.is_set():
                break
            worked = state.last_success is not None and state.last_success >= ran_from
            if worked:
                backoff = self.first_backoff_s  # it did its job for a while: start over
            if failure is None:
                log.error("task %s ended on its own", state.name)
            elif worked or state.restarts == 0:
                # The first failure of a streak with its traceback; repeats in one line, so
                # an outage of an hour does not bury the log.
                log.error("task %s failed", state.name, exc_info=failure)
            else:
                log.warning("task %s failed again: %s", state.name, type(failure).__name__)
            state.restarts += 1
            log.warning("task %s restarts in %.0f s", state.name, backoff)
            if await stopped_within(stop, backoff):
                break
            backoff = min(self.max_backoff_s, backoff * 2)


async def stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    if seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


async def woken(wake: asyncio.Event, stop: asyncio.Event) -> bool:
    """Waits for `wake` or `stop`; True if woken and not stopping."""
    waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return not stop.is_set()
