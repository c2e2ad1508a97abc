"""Whose mark a guarded position uses, and that the answer says so when it is not its own
venue's (the one rule /liq, /pos and the guard share: bot.positions.marks)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal as D

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.market.models import TickResult, Venue, VenueResult
from bot.positions.render import summary_lines
from tests.storage.test_alert_pipeline import snap
from tests.storage.test_positions import CLAIM, NOW, USER, Clock, _guard, _setup


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


def _tick(at: datetime, marks: dict[Venue, str]) -> TickResult:
    """One poll where these venues answered with these marks (Binance with the most OI; COIN-M
    inverse)."""
    results = {
        venue: VenueResult(
            venue,
            (
                replace(
                    snap(venue, at, float(mark), 90000 if venue is Venue.BINANCE else 1000),
                    mark=D(mark),
                    inverse=venue is Venue.BINANCE_COINM,
                ),
            ),
            False,
            None,
            1,
            0.1,
            at,
        )
        for venue, mark in marks.items()
    }
    return TickResult(results)


async def _okx_position_alert(engine: AsyncEngine, answered: dict[Venue, str]) -> str:
    """An OKX position guarded from 60,000 (liquidation 54,298.64 on OKX's tiers), then one
    poll a minute later where these venues answered: the one alert it makes."""
    clock = Clock()
    snapshots, _market, service, outbox = await _setup(engine, clock)
    await snapshots.save(
        [snap(Venue.BINANCE, NOW, 60000, 90000), snap(Venue.OKX, NOW, 60000, 1000)]
    )
    await service.add(USER, replace(CLAIM, venue="okx"), NOW)
    guard = _guard(service, outbox, clock)
    await guard.load()
    clock.now = NOW + timedelta(minutes=1)
    await guard.after_poll(_tick(clock.now, answered))
    [alert] = await outbox.messages(USER)
    return alert.text


async def test_the_guard_prices_a_position_at_its_own_venues_fresh_mark(
    engine: AsyncEngine,
) -> None:
    """OKX answers: the OKX position is priced at OKX's mark, not at Binance's (most OI)."""
    text = await _okx_position_alert(engine, {Venue.BINANCE: "56000", Venue.OKX: "57000"})
    # At Binance's 56,000 it would be 3.04 % away.
    assert text.startswith("🚨 <b>BTC long: 4.74% from liquidation</b> (below your 5 % level)")
    assert "Liquidation 54,298.64: <b>4.74%</b> away" in text
    assert "Mark 57,000.00 on okx · PnL -600.00 (-50.0% of margin)" in text
    assert "Left out" not in text


async def test_the_guard_names_the_fallback_venue_when_the_positions_own_is_missing(
    engine: AsyncEngine,
) -> None:
    """OKX fails this poll: Binance (the most OI) stands in, and the alert says so."""
    text = await _okx_position_alert(engine, {Venue.BINANCE: "57000"})
    lines = text.split("\n")
    assert lines[0] == "🚨 <b>BTC long: 4.74% from liquidation</b> (below your 5 % level)"
    assert lines[2].startswith("Mark 57,000.00 on binance · PnL -600.00 (-50.0% of margin)")
    assert lines[3] == "Left out: okx (no live BTC mark)"


async def test_the_guard_uses_an_inverse_mark_only_when_nothing_linear_answers(
    engine: AsyncEngine,
) -> None:
    """As /liq and /pos do: Binance COIN-M alone answers, so its mark stands in rather than the
    guard going blind."""
    text = await _okx_position_alert(engine, {Venue.BINANCE_COINM: "57000"})
    lines = text.split("\n")
    assert lines[0] == "🚨 <b>BTC long: 4.74% from liquidation</b> (below your 5 % level)"
    assert lines[2].startswith("Mark 57,000.00 on binance_coinm")
    assert lines[3] == "Left out: okx (no live BTC mark)"
