"""CascadeTracker: one event per asset and side, announced early, confirmed, escalated, over."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.signals.events import CascadeTracker
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import BAR, Point
from bot.signals.warning import SignalWarning

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
EARLY_NUMBERS = {"price from onset pct": -3.0, "OI (contracts) from onset pct": 0.0}
EARLY_NUMBERS |= {"minutes since onset": 5.0, "volume x usual": 4.2}
CONFIRMED_NUMBERS = {"OI (contracts) from peak pct": -7.5, "price from OI peak pct": -6.0}


def squeeze(
    i: int, stage: Stage, severity: str = "moderate", kind: str = "long_squeeze"
) -> SignalWarning:
    return SignalWarning(
        WarningKind(kind),
        Severity(severity),
        "BTC",
        "15m",
        T0 + BAR * i,
        "BTC long squeeze",
        dict(EARLY_NUMBERS if stage is Stage.EARLY else CONFIRMED_NUMBERS),
        (1,),
        0.0,
        stage=stage,
        event_start=T0 + BAR * (i - 1),
    )


def point(i: int, close: float, oi: float, liq_long: float = 0.0) -> Point:
    return Point(
        T0 + BAR * i,
        close,
        close,
        close,
        10.0,
        oi,
        oi * close,
        liq_long_usd=liq_long,
        liq_short_usd=0.0,
    )


def test_early_confirmed_escalated_over_with_one_onset_and_a_summary() -> None:
    tracker = CascadeTracker()
    prices = [100, 100, 97, 95, 94, 94, 95] + [95] * 8
    ois = [1000, 1000, 1000, 960, 930, 925, 925] + [925] * 8
    feed = {
        2: [squeeze(2, Stage.EARLY)],
        3: [squeeze(3, Stage.EARLY)],  # a repeat: not news
        4: [squeeze(4, Stage.CONFIRMED)],
        5: [squeeze(5, Stage.CONFIRMED, "high")],
        6: [squeeze(6, Stage.CONFIRMED, "high")],
    }
    told: list[tuple[int, Stage | None, str]] = []
    texts: dict[Stage | None, str] = {}
    last: SignalWarning | None = None
    for i in range(len(prices)):
        for warning in tracker.update(
            "BTC", feed.get(i, []), T0 + BAR * i, [point(i, prices[i], ois[i], liq_long=1e6)]
        ):
            told.append((i, warning.stage, warning.severity))
            texts[warning.stage] = warning.summary
            assert warning.event_start == T0 + BAR * 1  # the first stage's onset, always
            last = warning
    # 30 min without a reading after bar 6 -> over at bar 13.
    assert told == [
        (2, Stage.EARLY, "moderate"),
        (4, Stage.CONFIRMED, "moderate"),
        (5, Stage.ESCALATED, "high"),
        (13, Stage.OVER, "high"),
    ]
    # The escalation is its own sentence with the reading's numbers, not the earlier stage's.
    assert texts[Stage.ESCALATED] == (
        "BTC long squeeze intensifying (moderate → high): OI -7.5% from its peak while price "
        "fell 6.0%; more longs are being force-closed"
    )
    assert last is not None and last.kind == "long_squeeze"
    numbers = last.numbers
    assert numbers["duration min"] == 60  # onset bar 1 to bar 13
    assert numbers["price pct"] == pytest.approx(-5.0)
    assert numbers["price extreme pct"] == pytest.approx(-6.0)
    assert numbers["OI (contracts) pct"] == pytest.approx(-7.5)
    assert numbers["OI contracts change"] == pytest.approx(-75)
    assert numbers["OI notional change USD"] == pytest.approx(925 * 95 - 100_000)
    assert numbers["longs liquidated USD"] == pytest.approx(12e6)  # bars 2..13
    assert "over after 60 min" in last.summary


def test_sides_are_separate_events_and_other_kinds_pass_as_news() -> None:
    tracker = CascadeTracker()
    overheating = SignalWarning(
        WarningKind.OVERHEATING_LONG, Severity.MODERATE, "BTC", "1h", T0, "hot", {}, (1,), 0.0
    )
    first = tracker.update("BTC", [squeeze(1, Stage.CONFIRMED), overheating], T0)
    assert [(w.kind, w.stage) for w in first] == [
        ("long_squeeze", Stage.CONFIRMED),
        ("overheating_long", None),
    ]
    rebound = tracker.update("BTC", [squeeze(2, Stage.EARLY, kind="short_squeeze")], T0 + BAR)
    assert [(w.kind, w.stage) for w in rebound] == [("short_squeeze", Stage.EARLY)]
    assert tracker.update("BTC", [overheating], T0 + BAR * 2) == []
    assert {w.kind for w in tracker.active("BTC")} == {"long_squeeze", "short_squeeze"}


def test_a_fresh_shock_is_a_new_event_and_late_readings_of_an_ended_one_are_not() -> None:
    tracker = CascadeTracker()

    def feed(i: int, warning: SignalWarning | None) -> list[tuple[int, Stage | None]]:
        found = tracker.update("BTC", [warning] if warning else [], T0 + BAR * i)
        return [(i, w.stage) for w in found]

    told = feed(2, squeeze(2, Stage.EARLY))  # onset bar 1
    told += feed(4, squeeze(4, Stage.CONFIRMED))  # onset bar 3: same event, confirmed
    # A new early shock with its onset 35 min after the event's start: the old event is over.
    told += feed(9, squeeze(9, Stage.EARLY))  # onset bar 8
    assert told == [(2, Stage.EARLY), (4, Stage.CONFIRMED), (9, Stage.OVER), (9, Stage.EARLY)]
    assert [w.event_start for w in tracker.active("BTC")] == [T0 + BAR * 8]
    # That event ends (30 quiet minutes after bar 9); a confirmed reading later dated inside it
    # (OI still bleeding from it) opens nothing, a fresh onset after it does.
    assert feed(16, None) == [(16, Stage.OVER)]
    assert feed(17, squeeze(10, Stage.CONFIRMED)) == []
    assert feed(18, squeeze(18, Stage.CONFIRMED)) == [(18, Stage.CONFIRMED)]


def test_other_kinds_ring_again_only_when_their_severity_rises() -> None:
    tracker = CascadeTracker()

    def hot(severity: Severity, i: int) -> SignalWarning:
        return SignalWarning(
            WarningKind.OVERHEATING_LONG, severity, "BTC", "1h", T0 + BAR * i, "hot", {}, (1,), 0.0
        )

    assert len(tracker.update("BTC", [hot(Severity.HIGH, 0)], T0)) == 1
    assert tracker.update("BTC", [hot(Severity.MODERATE, 1)], T0 + BAR) == []
    assert tracker.update("BTC", [hot(Severity.HIGH, 2)], T0 + BAR * 2) == []
    [rose] = tracker.update("BTC", [hot(Severity.EXTREME, 3)], T0 + BAR * 3)
    assert rose.severity is Severity.EXTREME


@pytest.mark.parametrize(
    ("last_oi", "contracts"),
    [(999, "-1 contract,"), (998, "-2 contracts,"), (1001, "+1 contract,")],
)
def test_the_over_summary_counts_contracts_in_english(last_oi: float, contracts: str) -> None:
    tracker = CascadeTracker()
    over = []
    for i in range(10):
        ts = T0 + BAR * i
        warnings = [squeeze(i, Stage.CONFIRMED)] if i == 2 else []
        oi = last_oi if i > 1 else 1000
        over += tracker.update("BTC", warnings, ts, [point(i, 100 - (i > 1), oi)])
    [summary] = [w.summary for w in over if w.stage is Stage.OVER]
    assert f"({contracts} " in summary


def test_an_event_seen_first_after_a_start_is_measured_from_the_points_before_it() -> None:
    """A bot (re)started mid-fall has the stored series, not its own ticks: an event it opens
    on its first tick has the market before its onset, so its summary says the whole move."""
    prices = [100, 100, 100, 97, 95, 94] + [94] * 8
    ois = [1000, 1000, 1000, 990, 960, 950] + [950] * 8
    series = [point(i, prices[i], ois[i]) for i in range(len(prices))]
    tracker = CascadeTracker()
    told = tracker.update("BTC", [squeeze(5, Stage.EARLY)], T0 + BAR * 5, series[:6])
    assert [w.stage for w in told] == [Stage.EARLY]
    for i in range(6, len(series)):
        told += tracker.update("BTC", [], T0 + BAR * i, series[: i + 1])
    over = told[-1]
    assert over.stage is Stage.OVER
    # Measured from the point stamped at the onset (bar 4: 95, 960 contracts), which only the
    # stored series holds: the tracker's own first point is bar 5.
    assert over.numbers["price pct"] == pytest.approx(94 / 95 * 100 - 100)
    assert over.numbers["OI contracts change"] == pytest.approx(-10)
