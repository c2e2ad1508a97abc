"""The warning scorecard: median moves after each episode, from a series worked out by hand,
and how /score words it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.charts.service import Scorecard
from bot.signals.kinds import Stage
from bot.signals.score import KindScore, Outcome, score
from bot.signals.series import BAR, Point
from bot.signals.warning import SignalWarning
from handlers.charts import score_text

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _warning(kind: str, at: datetime) -> SignalWarning:
    return SignalWarning(kind, "high", "BTC", "1h", at, kind, {}, (), 0.0)


def test_median_moves_and_hit_rate_per_episode() -> None:
    # Price 100 rising 1 per bar for 10 h; OI flat at 1000 then 900 from bar 60.
    points = [Point(ts=T0 + BAR * i, close=100 + i, oi=1000 if i < 60 else 900) for i in range(120)]
    warnings = [
        _warning("short_squeeze", T0),  # 1h later bar 12: 112 / 100 -> +12 %
        _warning("short_squeeze", T0 + BAR * 6),  # 30 min on: the same episode escalating
        _warning("short_squeeze", T0 + BAR * 24),  # 2 h on, a new one: 136 / 124 -> +9.677 %
        _warning("long_squeeze", T0 + BAR * 60),  # 172 / 160 -> +7.5 % (wrong way)
        _warning("long_squeeze", T0 + BAR * 119),  # no bar 1h later: not counted
    ]
    rows = {row.kind: row for row in score(points, warnings)}
    shorts = rows["short_squeeze"]
    assert (shorts.episodes, shorts.messages) == (2, 3)
    assert shorts.outcomes["1h"].count == 2
    assert shorts.outcomes["1h"].price_pct == pytest.approx((12 + 9.6774194) / 2)
    assert shorts.outcomes["1h"].hit_rate == 1.0  # a short squeeze points up, price went up
    # 4h after bar 0 is bar 48 (OI still 1000); after bar 24 is bar 72 (900): -10 %.
    assert shorts.outcomes["4h"].oi_pct == pytest.approx(-5.0)
    longs = rows["long_squeeze"]
    assert (longs.episodes, longs.messages) == (2, 2)
    assert longs.outcomes["1h"].count == 1
    assert longs.outcomes["1h"].price_pct == pytest.approx(7.5)
    assert longs.outcomes["1h"].hit_rate == 0.0
    # 4h after bar 60 is bar 108: 208 / 160 -> +30 %; bar 119 has no 4h either.
    assert longs.outcomes["4h"].count == 1
    assert longs.outcomes["4h"].price_pct == pytest.approx(30.0)


def test_kinds_without_a_direction_have_no_hit_rate() -> None:
    points = [Point(ts=T0 + BAR * i, close=100.0, oi=1000.0) for i in range(20)]
    [row] = score(points, [_warning("accumulation", T0)])
    assert row.outcomes["1h"].price_pct == 0.0 and row.outcomes["1h"].hit_rate is None


def test_a_gap_in_the_series_is_not_read_as_the_horizon() -> None:
    # Bars stop 30 min in and resume 3 h later: the first bar after 1 h is 2.5 h late.
    points = [Point(ts=T0 + BAR * i, close=100.0) for i in range(6)] + [
        Point(ts=T0 + timedelta(hours=3, minutes=30), close=150.0)
    ]
    [row] = score(points, [_warning("short_squeeze", T0)])
    assert row.outcomes["1h"].count == 0


def _card(kind: str, episodes: int, hits: float | None, count: int) -> Scorecard:
    outcome = Outcome(count, -1.25, -3.0, hits)
    row = KindScore(
        kind, episodes, episodes + 2, {"1h": outcome, "4h": Outcome(0, None, None, None)}
    )
    return Scorecard([row], T0, T0 + timedelta(days=7))


def test_the_scorecard_counts_episodes_and_explains_as_warned() -> None:
    text = score_text("BTC", _card("long_squeeze", 6, 5 / 6, 6))
    assert "<b>long squeeze</b>: 6 episodes (8 messages)\n" in text
    assert "  1h: price -1.25%, OI -3.0% (n=6): 83% as warned\n" in text
    assert "  4h: no outcome yet (no data that long after an episode)\n" in text
    assert "As warned: price moved the way the warning pointed (down after a long squeeze" in text


def test_below_five_episodes_the_scorecard_says_too_little_history() -> None:
    text = score_text("BTC", _card("long_squeeze", 4, 1.0, 4))
    assert "(n=4): too little history to judge (5 episodes needed)" in text
    assert "as warned\n" not in text


def test_the_end_of_a_cascade_event_is_not_scored_as_a_warning() -> None:
    points = [Point(ts=T0 + BAR * i, close=100 + i, oi=1000) for i in range(30)]
    over = replace(_warning("long_squeeze", T0), stage=Stage.OVER)
    assert score(points, [over]) == []
    [row] = score(points, [_warning("long_squeeze", T0), over])
    assert (row.episodes, row.messages) == (1, 1)
