"""The scheduler: one market poll every OIWATCH_POLL_SECONDS, never two at once.

`max_instances=1` and `coalesce=True` mean a slow poll makes the next one wait (and missed runs
collapse into one) rather than pile up; inside a poll every venue has its own time budget, so
one slow venue never delays the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.market.models import TickResult
from bot.market_service import MarketService

log = logging.getLogger(__name__)

TickHook = Callable[[], Awaitable[None]]
KLINE_RETENTION = timedelta(days=2)  # the pipeline reads a day and ten minutes


def build_scheduler(
    market: MarketService,
    poll_seconds: float,
    retention: timedelta,
    after_poll: TickHook | None = None,
    full_resolution: timedelta = timedelta(days=7),
    on_tick: Callable[[TickResult, float], None] | None = None,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=UTC)

    backfilled = False

    async def poll() -> None:
        nonlocal backfilled
        try:
            if not backfilled:
                backfilled = True
                await market.backfill()
            started = time.perf_counter()
            tick = await market.poll()
            if tick is not None and on_tick is not None:
                on_tick(tick, time.perf_counter() - started)
            if after_poll is not None:
                await after_poll()
        except Exception:
            # A failed poll must never stop the schedule; the next one tries again.
            log.exception("market poll failed")

    async def prune() -> None:
        now = datetime.now(UTC)
        removed = await market.snapshots.prune(now - retention)
        # Klines serve the alert pipeline's last day only.
        await market.snapshots.prune_klines(now - KLINE_RETENTION)
        # The 6-hour job thins the day that just aged past full resolution (a day of overlap
        # so a missed run loses nothing).
        thinned = await market.snapshots.downsample(
            now - full_resolution, timedelta(days=1), timedelta(hours=1)
        )
        log.info(
            "pruned %d snapshots older than %s, thinned %d to hourly", removed, retention, thinned
        )

    scheduler.add_job(
        poll,
        "interval",
        seconds=poll_seconds,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(poll_seconds)),
        id="poll",
    )
    scheduler.add_job(prune, "interval", hours=6, max_instances=1, coalesce=True, id="prune")
    return scheduler
