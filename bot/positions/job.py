"""The guard as a leader job: built and loaded from the database when this replica starts to
lead (a restart or a takeover resumes every position), run after each poll like the rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.positions.guard import PositionGuard
from bot.positions.market_watch import MarketWatch

log = logging.getLogger(__name__)


@dataclass
class GuardJob:
    guard: PositionGuard
    watch: MarketWatch

    @classmethod
    async def loaded(cls, guard: PositionGuard, watch: MarketWatch) -> GuardJob:
        """The leader's guard, loaded from the database: a restart or a takeover resumes it."""
        guard.atr = watch.atr
        log.info("position guard: %d positions", await guard.load())
        return cls(guard, watch)

    async def tick(self) -> int:
        """Every tick, like rules: the positions' own squeeze warnings, then the guard."""
        now = self.guard.clock()
        warnings = await self.watch.warnings(self.guard.assets, now)
        queued = await self.guard.after_poll(self.watch.market.last_tick, warnings)
        await self.watch.keep(now)
        return queued
