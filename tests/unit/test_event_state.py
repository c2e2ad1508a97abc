"""The cascade tracker saved and loaded between ticks tells what an uninterrupted one tells."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

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
        out += tracker.update("BTC", FEED.get(i, []), now, [point(i, PRICES[i], OIS[i], 1e6)])
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
            said = worked.update("BTC", FEED.get(i, []), now, [point(i, PRICES[i], OIS[i], 1e6)])
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
        tracker.update("BTC", FEED.get(i, []), T0 + BAR * i, [point(i, PRICES[i], OIS[i], 1e6)])
    zoneless = event_state.dumps(tracker).replace("+00:00", "")
    with caplog.at_level(logging.WARNING):
        tracker = event_state.loads(zoneless, tracker.quiet)
    assert tracker.active("BTC") == []
    assert [r.getMessage() for r in caplog.records] == [
        "cascade tracker state not readable (events.0.first: Value error, ts "
        "2026-01-01T12:10:00 has no zone (and 6 more)): starting afresh"
    ]
    assert tracker.update("BTC", FEED[4], T0 + BAR * 4, [point(4, PRICES[4], OIS[4], 1e6)])


def mid_cascade() -> CascadeTracker:
    """BTC's long squeeze open since bar 1, escalated, with its points and the market before
    it (every number known, the prices written as ints); its short squeeze of bar 0 over at
    bar 7; ETH overheating, active."""
    feed = {**FEED, 0: [squeeze(0, Stage.EARLY, kind="short_squeeze")]}
    feed[6] = [replace(squeeze(6, Stage.CONFIRMED, "high"), next_band=(2.5, 4e6))]
    tracker = CascadeTracker()
    for i in range(9):
        full = replace(
            point(i, PRICES[i], OIS[i], 1e6),
            funding=1e-4,
            basis_pct=0.05,
            taker_buy_volume=4.0,
            taker_ratio=0.6,
            long_short_ratio=1.8,
            top_long_short_ratio=2.1,
        )
        tracker.update("BTC", feed.get(i, []), T0 + BAR * i, [full])
        tracker.update("ETH", [HOT], T0 + BAR * i)
    return tracker


def next_tick(tracker: CascadeTracker) -> list[tuple[str, WarningKind, Stage | None]]:
    """What bar 9 tells: BTC's squeeze still confirmed at high, ETH still overheating."""
    now = T0 + BAR * 9
    said = tracker.update("BTC", [squeeze(9, Stage.CONFIRMED, "high")], now, [point(9, 95, 925)])
    said += tracker.update("ETH", [HOT], now)
    return [(w.asset, w.kind, w.stage) for w in said]


def test_a_mid_cascade_tracker_is_loaded_as_it_was_saved() -> None:
    tracker = mid_cascade()
    loaded = event_state.loads(event_state.dumps(tracker), tracker.quiet)
    assert loaded._events == tracker._events and loaded._events
    assert loaded._closed == tracker._closed and loaded._closed
    assert loaded._others._active == tracker._others._active and loaded._others._active
    assert next_tick(loaded) == next_tick(tracker) == []


Mutation = Callable[[Any], None]


def put(*path: str | int, value: object) -> Mutation:
    def mutate(document: Any) -> None:
        *parents, last = path
        for key in parents:
            document = document[key]
        document[last] = value

    return mutate


def drop(*path: str | int) -> Mutation:
    def mutate(document: Any) -> None:
        *parents, last = path
        for key in parents:
            document = document[key]
        del document[last]

    return mutate


EVENT = ("events", 0)
POINT = (*EVENT, "points", 0)
FIRST, LAST = (*EVENT, "first"), (*EVENT, "last")
NUMBER, WHOLE = "Input should be a valid number", "Input should be a valid integer"
MISSING, UNKNOWN = "Field required", "Unexpected keyword argument"
MUTATIONS = [
    # A point of the event, or the market before it
    # Read as it was, the event's summary took the lowest of 97 and texts: its over raised,
    # and so every later tick, since the event stayed open.
    pytest.param(
        put(*POINT, "low", value="97"), f"events.0.points.0.low: {NUMBER}", id="point low as text"
    ),
    pytest.param(
        put(*EVENT, "points", 1, "oi", value=[960]),
        f"events.0.points.1.oi: {NUMBER}",
        id="point oi as list",
    ),
    # A NaN close was written as null: no price to measure the event by.
    pytest.param(
        put(*EVENT, "before", "close", value=None),
        f"events.0.before.close: {NUMBER}",
        id="point close NaN as null",
    ),
    pytest.param(
        drop(*EVENT, "points", 2, "close"),
        f"events.0.points.2.close: {MISSING}",
        id="point without close",
    ),
    pytest.param(drop(*POINT, "ts"), f"events.0.points.0.ts: {MISSING}", id="point without ts"),
    pytest.param(
        put(*POINT, "mark", value=97.0),
        f"events.0.points.0.mark: {UNKNOWN}",
        id="point unknown field",
    ),
    pytest.param(
        put(*POINT, "ts", value=1767269400),
        "events.0.points.0.ts: Input should be a valid datetime",
        id="point ts as number",
    ),
    pytest.param(
        put(*POINT, "ts", value="2026-01-01T12:10:00"),
        "events.0.points.0: Value error, ts 2026-01-01T12:10:00 has no zone",
        id="point ts without zone",
    ),
    pytest.param(
        put(*EVENT, "before", value="none"),
        "events.0.before: Input should be an object",
        id="before as text",
    ),
    pytest.param(
        put(*EVENT, "points", value={}),
        "events.0.points: Input should be a valid array",
        id="points as object",
    ),
    # A warning of the event: as announced first, as last seen
    pytest.param(
        put(*FIRST, "numbers", value=[-3.0]),
        "events.0.first.numbers: Input should be an object",
        id="numbers as list",
    ),
    pytest.param(
        put(*LAST, "numbers", "price from OI peak pct", value="-6.0"),
        f"events.0.last.numbers.price from OI peak pct: {NUMBER}",
        id="number as text",
    ),
    pytest.param(
        put(*FIRST, "severity", value=1),
        "events.0.first.severity: Input should be 'moderate', 'high' or 'extreme'",
        id="severity as number",
    ),
    pytest.param(
        put(*LAST, "data_age_s", value=True),
        f"events.0.last.data_age_s: {NUMBER}",
        id="data age as bool",
    ),
    pytest.param(
        put(*FIRST, "checks", value=[1.5]), f"events.0.first.checks.0: {WHOLE}", id="check as float"
    ),
    pytest.param(
        put(*LAST, "next_band", value=[None, 4e6]),
        f"events.0.last.next_band.0: {NUMBER}",
        id="next band NaN as null",
    ),
    pytest.param(
        drop(*LAST, "summary"), f"events.0.last.summary: {MISSING}", id="warning without summary"
    ),
    pytest.param(
        put(*FIRST, "colour", value="red"),
        f"events.0.first.colour: {UNKNOWN}",
        id="warning unknown field",
    ),
    pytest.param(
        put(*FIRST, "event_start", value="2026-01-01T12:05:00"),
        "events.0.first: Value error, event_start 2026-01-01T12:05:00 has no zone",
        id="warning onset without zone",
    ),
    # The event
    pytest.param(
        put(*EVENT, "stage", value="late"),
        "events.0.stage: Input should be 'early', 'confirmed', 'escalated' or 'over'",
        id="stage unknown",
    ),
    pytest.param(
        put(*EVENT, "kind", value="long_squeez"),
        "events.0.kind: Input should be 'long_squeeze', 'short_squeeze', 'overheating_long', "
        "'overheating_short', 'accumulation', 'divergence_closes', 'divergence_shorts', "
        "'crowding_long', 'crowding_short' or 'basis_widening'",
        id="kind unknown",
    ),
    pytest.param(
        put(*EVENT, "asset", value=1),
        "events.0.asset: Input should be a valid string",
        id="asset as number",
    ),
    pytest.param(
        put(*EVENT, "start", value="2026-01-01T12:05:00"),
        "events.0.start: Input should have timezone info",
        id="onset without zone",
    ),
    pytest.param(drop(*EVENT, "before"), f"events.0.before: {MISSING}", id="event without before"),
    pytest.param(
        put(*EVENT, "ended", value=None),
        "events.0.ended: Extra inputs are not permitted",
        id="event unknown field",
    ),
    # The document
    pytest.param(
        put("events", value={"BTC": []}),
        "events: Input should be a valid array",
        id="events as object",
    ),
    pytest.param(
        put("closed", 0, value=["BTC", "short_squeeze"]),
        f"closed.0.2: {MISSING}",
        id="closed entry short",
    ),
    pytest.param(
        put("closed", 0, 2, value="2026-01-01T12:00:00"),
        "closed.0.2: Input should have timezone info",
        id="closed time without zone",
    ),
    pytest.param(put("others", 0, 3, value="0"), f"others.0.3: {WHOLE}", id="others level as text"),
    pytest.param(
        put("others", 0, 3, value=0.5), f"others.0.3: {WHOLE}", id="others level as float"
    ),
    pytest.param(put("version", value=2), "version: Input should be 1", id="version 2"),
    pytest.param(
        put("recent", value=[]), "recent: Extra inputs are not permitted", id="unknown top field"
    ),
]


@pytest.mark.parametrize(("mutate", "reason"), MUTATIONS)
def test_a_saved_tracker_with_a_field_it_cannot_read_is_one_log_line_and_a_fresh_tracker(
    mutate: Mutation, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Read as it was, a text where a number belongs, a list where a dict does, an unknown
    field, was taken as it stood: a tracker that could raise on every later tick (the
    pipeline keeps the tracker of its last good tick, so no rule rang again). Each field is
    now checked, and the first thing wrong is told on the one line."""
    tracker = mid_cascade()
    document = json.loads(event_state.dumps(tracker))
    mutate(document)
    with caplog.at_level(logging.WARNING):
        loaded = event_state.loads(json.dumps(document), tracker.quiet)
    assert [r.getMessage() for r in caplog.records] == [
        f"cascade tracker state not readable ({reason}): starting afresh"
    ]
    assert (loaded.quiet, loaded._events, loaded._closed, loaded._others._active) == (
        tracker.quiet,
        {},
        {},
        {},
    )
    # Afresh: the event under way and the ongoing warning are news again, as before saving.
    assert next_tick(loaded) == [
        ("BTC", WarningKind.LONG_SQUEEZE, Stage.CONFIRMED),
        ("ETH", WarningKind.OVERHEATING_LONG, None),
    ]
