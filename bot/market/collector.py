"""One poll tick over every enabled venue, concurrently.

A slow venue never delays the others: each venue's answer is handed on as soon as it is in,
and a poll waits for no venue longer than its deadline. A failing, empty, stale or frozen
venue never breaks the tick: it comes back `degraded` with a reason and no snapshots at all,
so no reading can rest on partial or stale numbers from it. Each poll, not each request, counts
for the venue's circuit breaker.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from bot.i18n import N_
from bot.market.frozen import FrozenWatch
from bot.market.http import VenueError
from bot.market.models import Snapshot, TickResult, Venue, VenueResult
from bot.market.reasons import Reason, duration, reason
from bot.market.values import NOT_AS_DOCUMENTED, BadPayload
from bot.market.venues.base import MarketVenue

log = logging.getLogger(__name__)

VENUE_BUDGET_S = 30.0  # one venue's poll, retries included
DEADLINE_SHARE = 0.75  # of the poll interval: the rest is for storing and the alert pipeline
ResultHook = Callable[[VenueResult], Awaitable[None]]
CLOCKLESS = frozenset({Venue.HYPERLIQUID})  # its snapshots carry the bot's clock

DEFAULT_ASSETS = (
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "BNB",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "TON",
    "SUI",
    "LTC",
    "DOT",
    "TRX",
    "NEAR",
    "APT",
    "ARB",
    "OP",
    "PEPE",
    "WIF",
)


def poll_deadline(poll_seconds: float) -> float:
    """How long one poll waits for any venue: well inside the poll interval, so the next poll
    of the others is never late."""
    return min(VENUE_BUDGET_S, poll_seconds * DEADLINE_SHARE)


class Collector:
    def __init__(
        self,
        fetchers: list[MarketVenue],
        assets: Iterable[str] | None = DEFAULT_ASSETS,
        *,
        venue_budget_s: float = VENUE_BUDGET_S,
        deadline_s: float | None = None,
        max_age: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.fetchers = fetchers
        self.assets = frozenset(a.upper() for a in assets) if assets is not None else None
        self.venue_budget_s = venue_budget_s
        self.deadline_s = deadline_s if deadline_s is not None else venue_budget_s
        self.max_age = max_age
        self.clock = clock
        self.frozen = FrozenWatch()
        self._running: dict[Venue, tuple[asyncio.Task[VenueResult], float]] = {}

    async def tick(self, on_result: ResultHook | None = None) -> TickResult:
        """Every venue's answer, each handed to `on_result` as soon as it is in. A venue still
        answering after `deadline_s` is left out of this poll but not cut off: the next poll
        takes its answer (with its age) instead of asking again, so a hanging endpoint holds up
        nobody but its own venue."""
        loop = asyncio.get_running_loop()
        tasks = {f.venue: self._task(f) for f in self.fetchers}
        results: dict[Venue, VenueResult] = {}
        deadline = loop.time() + self.deadline_s
        while True:
            for venue, task in tasks.items():
                if venue not in results and task.done():
                    del self._running[venue]
                    results[venue] = task.result()
                    if on_result is not None:
                        await on_result(results[venue])
            waiting = {task for venue, task in tasks.items() if venue not in results}
            remaining = deadline - loop.time()
            if not waiting or remaining <= 0:
                break
            await asyncio.wait(waiting, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        clients = {f.venue: f.client for f in self.fetchers}
        for venue in tasks.keys() - results.keys():
            elapsed = loop.time() - self._running[venue][1]
            slow = reason(N_("slow: no answer after {seconds}s"), seconds=duration(elapsed, 1))
            retrying = clients[venue].retrying
            if retrying is not None:
                slow = reason(N_("{slow}, retrying after {reason}"), slow=slow, reason=retrying)
            results[venue] = self._result(venue, (), slow)
            self.frozen.missed(venue)
            log.warning("%s: %s", venue, slow)
            if on_result is not None:
                await on_result(results[venue])
        return TickResult({f.venue: results[f.venue] for f in self.fetchers})

    def _task(self, fetcher: MarketVenue) -> asyncio.Task[VenueResult]:
        running = self._running.get(fetcher.venue)
        if running is None:
            task = asyncio.create_task(self._venue(fetcher))
            running = self._running[fetcher.venue] = (task, asyncio.get_running_loop().time())
        return running[0]

    async def _venue(self, fetcher: MarketVenue) -> VenueResult:
        started = time.perf_counter()
        requests_before = fetcher.client.requests
        breaker = fetcher.client.breaker
        if not breaker.allow():
            # Left alone: no request until the breaker half-opens.
            wait = math.ceil(breaker.open_until - breaker.clock())
            resume = self.clock() + timedelta(seconds=wait)
            paused = reason(
                N_("paused after {reason}, next try at {time} UTC"),
                reason=breaker.reason,
                time=f"{resume:%H:%M:%S}",
            )
            self.frozen.missed(fetcher.venue)
            return self._result(fetcher.venue, (), paused)
        snapshots: list[Snapshot] = []
        notes: list[str] = []
        problem: Reason | None = None
        try:
            async with asyncio.timeout(self.venue_budget_s):
                snapshots, notes = await fetcher.tick(self.assets)
            if not snapshots:
                # A valid but empty answer: never "healthy", whatever the status said.
                raise VenueError(reason(N_("answered with no markets")))
            if len({s.symbol for s in snapshots}) < len(snapshots):
                # A market listed twice: which row is right is unknowable, and both would count
                # its OI twice in the venue's total.
                raise BadPayload("one market answered twice")
        except TimeoutError:
            budget = duration(self.venue_budget_s, 1)
            problem = reason(N_("no answer within {seconds}s"), seconds=budget)
        except VenueError as error:
            problem = error.reason
        except NOT_AS_DOCUMENTED as error:
            # The venue answered something other than what it documents: trust none of it.
            log.warning("%s payload not as documented: %r", fetcher.venue, error)
            problem = reason(N_("answered in an unexpected format"))
        if problem is not None:
            breaker.failure()
        else:
            breaker.success()
            frozen = self.frozen.observe(fetcher.venue, snapshots)
            # Venues that send their own time go stale by it; only the clockless can freeze
            # unseen (and a venue whose mark ticks every 3 s may repeat itself at short polls).
            problem = self._untimely(fetcher.venue, snapshots) or (
                frozen if fetcher.venue in CLOCKLESS else None
            )
        if problem is not None:
            self.frozen.missed(fetcher.venue)
            log.warning("%s left out of this poll: %s", fetcher.venue, problem)
            snapshots = []
        return self._result(
            fetcher.venue,
            tuple(snapshots),
            problem,
            note=None if problem else "; ".join(notes[:5]) or None,
            requests=fetcher.client.requests - requests_before,
            elapsed_s=time.perf_counter() - started,
        )

    def _result(
        self,
        venue: Venue,
        snapshots: tuple[Snapshot, ...],
        problem: Reason | None,
        *,
        note: str | None = None,
        requests: int = 0,
        elapsed_s: float = 0.0,
    ) -> VenueResult:
        return VenueResult(
            venue=venue,
            snapshots=snapshots,
            degraded=problem is not None,
            reason=problem,
            note=note,
            requests=requests,
            elapsed_s=elapsed_s,
            fetched_at=self.clock(),
        )

    def _untimely(self, venue: Venue, snapshots: list[Snapshot]) -> Reason | None:
        now = self.clock()
        age = now - min(s.ts for s in snapshots)
        if age > self.max_age:
            old = int(age.total_seconds())
            return reason(N_("stale: the venue's data is {seconds}s old"), seconds=old)
        ahead = max(s.ts for s in snapshots) - now
        if ahead > self.max_age and venue not in CLOCKLESS:
            # Kept, a time ahead would stay the market's newest snapshot for as long, read in
            # place of every fresh one. (The clockless carry our own clock.)
            early = int(ahead.total_seconds())
            return reason(N_("its clock is {seconds}s ahead of ours"), seconds=early)
        return None

    async def aclose(self) -> None:
        for task, _ in self._running.values():
            task.cancel()
        await asyncio.gather(*(task for task, _ in self._running.values()), return_exceptions=True)
        self._running.clear()
        await asyncio.gather(*(f.aclose() for f in self.fetchers))
