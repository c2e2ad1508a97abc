"""/healthz: is the database reachable, how fresh is each venue's data, does this replica lead,
are the leader's background tasks alive.

A dead database, or a leader whose sender or market poll has not done its job for
OIWATCH_STUCK_SECONDS, makes the answer 503 (restart me). Stale venues are reported, with 200:
an exchange outage is not something restarting the bot can fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.runtime.supervisor import Supervisor
from storage.db import UNAVAILABLE, SessionFactory
from storage.repositories.snapshots import SnapshotRepository

WINDOW = timedelta(hours=6)  # venues silent longer than this drop out of the report


@dataclass
class HealthCheck:
    sessions: SessionFactory
    snapshots: SnapshotRepository
    venues: list[str]
    is_leader: Callable[[], bool]
    clock: Callable[[], datetime]
    # The replies' rule (MarketFeed.venue_fresh): a venue whose rows are young but whose
    # polls fail is not fresh, as no reply would use its numbers.
    fresh: Callable[[str, datetime | None], bool]
    tasks: Callable[[], Supervisor] = Supervisor

    async def report(self) -> tuple[int, dict[str, Any]]:
        now = self.clock()
        role = "leader" if self.is_leader() else "follower"
        try:
            async with self.sessions() as session:
                await session.execute(text("SELECT 1"))
            latest = await self.snapshots.venue_latest(now - WINDOW)
        except UNAVAILABLE as error:
            return 503, {"status": "down", "db": f"error: {type(error).__name__}", "role": role}
        venues = {}
        for venue in self.venues:
            last = latest.get(venue)
            age = (now - last).total_seconds() if last is not None else None
            fresh = self.fresh(venue, last)
            venues[venue] = {"age_s": None if age is None else round(age), "fresh": fresh}
        stale = [v for v, state in venues.items() if not state["fresh"]]
        supervisor = self.tasks()
        tasks = _tasks(supervisor)
        stuck = supervisor.stuck()
        if stuck:
            body = {"status": "stuck", "stuck": stuck, "db": "ok", "role": role}
            return 503, {**body, "venues": venues, "tasks": tasks}
        status = "degraded" if stale else "ok"
        return 200, {"status": status, "db": "ok", "role": role, "venues": venues, "tasks": tasks}


def _tasks(supervisor: Supervisor) -> dict[str, dict[str, Any]]:
    now = supervisor.clock()
    report = {}
    for name, state in sorted(supervisor.states.items()):
        last = state.last_success
        age = None if last is None else round((now - last).total_seconds(), 1)
        report[name] = {"up": state.up, "restarts": state.restarts, "last_success_age_s": age}
    return report
