"""The guard as a leader job: built and loaded from the database when this replica starts to
lead (a restart or a takeover resumes every position), run after each poll like the rules."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.positions.guard import PositionGuard
from bot.positions.market_watch import MarketWatch
from bot.services import Services

log = logging.getLogger(__name__)


@dataclass
class GuardJob:
    guard: PositionGuard
    watch: MarketWatch

    async def tick(self) -> int:
        """Every tick, like rules: the positions' own squeeze warnings, then the guard."""
        now = self.guard.clock()
        warnings = await self.watch.warnings(self.guard.assets, now)
        return await self.guard.after_poll(self.watch.market.last_tick, warnings)


async def position_guard(services: Services, wake: asyncio.Event) -> GuardJob:
    """The leader's guard, loaded from the database: a restart or a takeover resumes it."""
    guard = PositionGuard(
        services.positions.repository,
        services.outbox,
        wake,
        lambda: services.tiers,
        services.settings.default_mmr,
        clock=services.feed.clock,
        blind_after=timedelta(seconds=services.settings.position_blind_seconds),
        chat_settings=services.chat_settings,
        contacts=services.contacts,
    )
    watch = MarketWatch(services.feed)
    guard.atr = watch.atr
    log.info("position guard: %d positions", await guard.load())
    return GuardJob(guard, watch)
