"""The cascade tracker saved and loaded between ticks tells what an uninterrupted one tells."""

from __future__ import annotations

from datetime import timedelta

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
    for text in (None, '{"version": 0}', "{", '{"version": 1, "events": [{}]}'):
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
