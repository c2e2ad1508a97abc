"""The leader's market jobs, each a supervised task: one market poll every
OIWATCH_POLL_SECONDS (never two at once; a slow poll delays the next rather than piling up),
the alert pipeline after each poll, and pruning every 6 hours.

The pipeline is a task of its own: a failing pipeline neither stops the polls nor is stopped by
them, and if it falls behind it runs once on the newest poll. Inside a poll every venue has its
own time budget, so one slow venue never delays the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.feed.market_feed import MarketFeed
from bot.market.models import TickResult
from bot.runtime.supervisor import Supervisor, woken
from storage.repositories.origins import OriginRepository
from storage.repositories.outbox import OutboxRepository

log = logging.getLogger(__name__)

TickHook = Callable[[], Awaitable[None]]
PRUNE_EVERY = timedelta(hours=6)
# A poll that takes longer than this is cancelled (and counted a failure) so the next can run.
MIN_POLL_TIMEOUT_S = 120.0
KLINE_RETENTION = timedelta(days=2)  # the pipeline reads a day and ten minutes
# Telegram lets a user edit a message for 48 hours (a group admin who may pin, for ever): a
# month covers every edit but an admin's late one, which then makes a new rule or position as
# an edit of a message never seen does, and keeps the table to a month of commands.
ORIGIN_RETENTION = timedelta(days=30)


def start_market_jobs(
    supervisor: Supervisor,
    market: MarketFeed,
    stop: asyncio.Event,
    *,
    poll_seconds: float,
    retention: timedelta,
    outbox: OutboxRepository,
    outbox_retention: timedelta,
    origins: OriginRepository,
    stale_after: timedelta,
    after_poll: TickHook | None = None,
    full_resolution: timedelta = timedelta(days=7),
    on_tick: Callable[[TickResult, float], None] | None = None,
) -> None:
    polled = asyncio.Event()
    backfilled = False

    async def poll() -> None:
        nonlocal backfilled
        if not backfilled:
            backfilled = True  # once: a failed backfill is not worth delaying the polls for
            await market.backfill()
        started = time.perf_counter()
        tick = await market.poll()
        if tick is not None and on_tick is not None:
            on_tick(tick, time.perf_counter() - started)
        polled.set()

    async def pipeline() -> None:
        assert after_poll is not None
        while await woken(polled, stop):
            polled.clear()
            await after_poll()
            supervisor.beat("pipeline")

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
        delivered = await outbox.prune(now - outbox_retention)
        forgotten = await origins.prune(now - ORIGIN_RETENTION)
        log.info(
            "pruned %d snapshots older than %s, thinned %d to hourly; %d sent or dead alerts "
            "older than %s; %d command messages older than %s",
            removed,
            retention,
            thinned,
            delivered,
            outbox_retention,
            forgotten,
            ORIGIN_RETENTION,
        )

    supervisor.every(
        "poll",
        poll_seconds,
        poll,
        stop,
        timeout=max(MIN_POLL_TIMEOUT_S, 2 * poll_seconds),
        stale_after=max(stale_after, timedelta(seconds=3 * poll_seconds)),
    )
    if after_poll is not None:
        supervisor.spawn("pipeline", pipeline, stop)
    prune_s = PRUNE_EVERY.total_seconds()
    supervisor.every("prune", prune_s, prune, stop, timeout=prune_s, first_after=prune_s)
