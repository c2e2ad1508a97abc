"""The cascade tracker saved and loaded between ticks tells what an uninterrupted one tells."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.signals import event_state
from bot.signals.events import CascadeTracker
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import BAR
from bot.signals.warning import SignalWarning
from tests.unit.test_cascade_events import T0, point, squeeze

PRICES = [100, 100, 97, 95, 94, 94, 95] + [95] * 8
OIS = [1000, 1000, 1000, 960, 930, 925, 925] + [925] * 8
FEED = {
    2: [squeeze(2, Stage.EARLY)],
    3: [squeeze(3, Stage.EARLY)],
    4: [squeeze(4, Stage.CONFIRMED)],
    5: [squeeze(5, Stage.CONFIRMED, "high")],
    6: [squeeze(6, Stage.CONFIRMED, "high")],
    14: [squeeze(5, Stage.CONFIRMED)],  # OI still bleeding from the event over at bar 13
}
HOT = SignalWarning(
    WarningKind.OVERHEATING_LONG, Severity.MODERATE, "ETH", "1h", T0, "hot", {}, (1,), 0.0
)


def told(restart_from: int | None) -> list[SignalWarning]:
    """Every warning of the scenario, with the tracker saved and loaded after each bar from
    `restart_from` on (None: never)."""
    tracker = CascadeTracker()
    out = []
    for i in range(len(PRICES)):
        now = T0 + BAR * i
        out += tracker.update("BTC", FEED.get(i, []), now, point(i, PRICES[i], OIS[i], 1e6))
        out += tracker.update("ETH", [HOT], now)
        if restart_from is not None and i >= restart_from:
            tracker = event_state.loads(event_state.dumps(tracker), tracker.quiet)
    return out


def test_a_restart_after_every_bar_of_an_event_changes_nothing_said() -> None:
    """Restarted after each bar once the event opened: the same stages at the same bars, the
    same escalation text, the same summary with its numbers; a late reading of the event
    that is over opens nothing; the ongoing overheating of ETH is not news again."""
    uninterrupted = told(None)
    assert [(w.asset, w.stage) for w in uninterrupted] == [
        ("ETH", None),
        ("BTC", Stage.EARLY),
        ("BTC", Stage.CONFIRMED),
        ("BTC", Stage.ESCALATED),
        ("BTC", Stage.OVER),
    ]
    assert told(restart_from=2) == uninterrupted


def test_a_state_it_cannot_read_gives_a_fresh_tracker() -> None:
    quiet = timedelta(minutes=45)
    unreadable = (None, '{"version": 0}', "{", '{"version": 1, "events": [{}]}', "null", "[]")
    for text in unreadable:
        tracker = event_state.loads(text, quiet)
        assert tracker.quiet == quiet and tracker.active("BTC") == []


def test_a_tick_worked_on_a_fork_and_dropped_changes_nothing_said() -> None:
    """Each bar first worked on a fork that is dropped, as the pipeline drops it when the
    outbox write fails: the tracker then tells that bar's news, every stage and summary as
    an uninterrupted one."""
    tracker = CascadeTracker()
    out = []
    for i in range(len(PRICES)):
        now = T0 + BAR * i
        for worked in (tracker.fork(), tracker):
            said = worked.update("BTC", FEED.get(i, []), now, point(i, PRICES[i], OIS[i], 1e6))
            said += worked.update("ETH", [HOT], now)
        out += said
    assert out == told(None)


def test_a_state_whose_times_lost_their_zone_gives_a_fresh_tracker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Read as it is, such a tracker raised on its next update, and on every one after: the
    pipeline keeps the tracker of its last good tick, so no alert went out again."""
    tracker = CascadeTracker()
    for i in range(4):
        tracker.update("BTC", FEED.get(i, []), T0 + BAR * i, point(i, PRICES[i], OIS[i], 1e6))
    zoneless = event_state.dumps(tracker).replace("+00:00", "")
    with caplog.at_level(logging.WARNING):
        tracker = event_state.loads(zoneless, tracker.quiet)
    assert tracker.active("BTC") == []
    assert [r.getMessage() for r in caplog.records] == [
        "cascade tracker state not readable (time '2026-01-01T12:10:00' has no zone): "
        "starting afresh"
    ]
    assert tracker.update("BTC", FEED[4], T0 + BAR * 4, point(4, PRICES[4], OIS[4], 1e6))
