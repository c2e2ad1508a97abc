"""Whose mark a guarded position uses, and that the answer says so when it is not its own
venue's (the rule /liq shares: bot.usecases.marks.pick_mark)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.market.models import Venue
from bot.positions.render import summary_lines
from tests.storage.test_alert_pipeline import snap
from tests.storage.test_positions import CLAIM, NOW, USER, Clock, _setup


async def test_a_position_on_a_venue_without_a_live_mark_says_whose_mark_it_uses(
    engine: AsyncEngine,
) -> None:
    """OKX is not polled here: the guard prices the OKX position at Binance's mark (the venue
    with the most open interest), and every /pos reply and alert says so."""
    clock = Clock()
    snapshots, _market, service, _outbox = await _setup(engine, clock)
    await snapshots.save([snap(Venue.BINANCE, NOW, 60000, 90000)])
    added = await service.add(USER, replace(CLAIM, venue="okx"), NOW)
    lines = summary_lines(added.evaluation)
    assert lines[1].startswith("Mark 60,000.00 on binance")
    assert lines[2] == "Left out: okx (no live BTC mark)"
    own = await service.add(USER, CLAIM, NOW)
    assert not any(line.startswith("Left out") for line in summary_lines(own.evaluation))
