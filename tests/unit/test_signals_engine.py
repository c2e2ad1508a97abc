"""Synthetic series for every warning, phase, OI-drop cause and trap of the signal engine."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.signals.engine import evaluate
from bot.signals.kinds import Stage
from bot.signals.series import BAR, Point, despiked_oi
from bot.signals.thresholds import SignalSettings, robust

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def series(
    prices: list[float],
    ois: list[float],
    volumes: list[float] | None = None,
    fundings: list[float] | None = None,
) -> list[Point]:
    return [
        Point(
            ts=T0 + BAR * i,
            close=p,
            high=p,
            low=p,
            volume=volumes[i] if volumes else 100.0,
            oi=o,
            oi_usd=o * p,
            funding=fundings[i] if fundings else 0.0001,
        )
        for i, (p, o) in enumerate(zip(prices, ois, strict=True))
    ]


def calm(n: int, price: float = 100.0, oi: float = 1000.0) -> tuple[list[float], list[float]]:
    # A gentle wobble so baselines have a (small) spread, as real calm data does.
    return [price * (1 + 0.0005 * (i % 3 - 1)) for i in range(n)], [
        oi * (1 + 0.0004 * (i % 4 - 1.5)) for i in range(n)
    ]


def kinds(points: list[Point]) -> list[str]:
    """Each kind once: a cascade may report its early and confirmed stage in one tick."""
    return list(dict.fromkeys(w.kind for w in evaluate("TEST", points).warnings))


def test_long_squeeze_price_down_oi_down_heavy_volume() -> None:
    prices, ois = calm(100)
    prices += [99, 96, 92, 90]
    ois += [990, 960, 930, 910]
    volumes = [100.0] * 100 + [800, 1500, 1500, 900]
    readings = evaluate("TEST", series(prices, ois, volumes))
    early, confirmed = readings.warnings
    # The last bar alone: -2.2 % on 9x volume with OI -2.2 %, from the 92 close at 08:30.
    assert (early.kind, early.stage, early.window) == ("long_squeeze", Stage.EARLY, "5m")
    assert early.event_start == T0 + BAR * 102
    assert early.numbers["price from onset pct"] == pytest.approx(-2.174, abs=0.001)
    assert early.numbers["OI (contracts) from onset pct"] == pytest.approx(-2.151, abs=0.001)
    assert early.numbers["volume x usual"] == 9.0
    # OI 9 % below its peak, six times the 1.5 % floor: extreme; dated by the latest shock.
    assert (confirmed.kind, confirmed.stage, confirmed.severity) == (
        "long_squeeze",
        Stage.CONFIRMED,
        "extreme",
    )
    assert confirmed.numbers["OI (contracts) from peak pct"] == pytest.approx(-9.02, abs=0.01)
    assert confirmed.checks == (1, 2, 3, 4)
    assert readings.windows["15m"].oi_drop_cause == "liquidation"
    assert readings.windows["15m"].phase == "unwind"


def test_fall_with_oi_rising_is_not_a_long_squeeze() -> None:
    # The same crash on the same volume, but OI climbs: shorts opening into it (LUNA's CPI bar).
    prices, ois = calm(100)
    prices += [99, 96, 92, 90]
    ois += [1010, 1030, 1050, 1060]
    volumes = [100.0] * 100 + [800, 1500, 1500, 900]
    assert "long_squeeze" not in kinds(series(prices, ois, volumes))


def test_side_is_the_move_since_the_onset_not_the_bar_before() -> None:
    # The bar before the flush spiked up (a wick to 106) and closed at 100: the following fall
    # with OI down is a long squeeze, whatever that wick says.
    prices, ois = calm(100)
    points = series(prices, ois)
    points[-1] = Point(points[-1].ts, 100.0, 106.0, 99.9, 100.0, 1000.0, 100000.0, 0.0001)
    crash = [(97.0, 985.0), (95.0, 970.0)]
    points += [
        Point(T0 + BAR * (100 + i), p, p, p, 1000.0, o, o * p, 0.0001)
        for i, (p, o) in enumerate(crash)
    ]
    assert kinds(points) == ["long_squeeze"]


def test_taker_buying_into_a_fall_vetoes_the_early_stage() -> None:
    prices, ois = calm(100)
    points = series([*prices, 97.0], [*ois, 985.0], [100.0] * 100 + [900.0])
    sold = replace(points[-1], taker_buy_volume=300.0)  # 67 % sold by takers
    bought = replace(points[-1], taker_buy_volume=700.0)  # takers bought the dip
    assert [w.stage for w in evaluate("TEST", [*points[:-1], sold]).warnings] == [Stage.EARLY]
    assert evaluate("TEST", [*points[:-1], bought]).warnings == []


def test_short_squeeze_price_up_oi_down() -> None:
    prices, ois = calm(100)
    prices += [101, 104, 108, 110]
    ois += [990, 960, 930, 910]
    volumes = [100.0] * 100 + [800, 1500, 1500, 900]
    assert kinds(series(prices, ois, volumes)) == ["short_squeeze"]


def test_oi_drop_on_thin_volume_is_closing_not_a_squeeze() -> None:
    prices, ois = calm(100)
    prices += [99.5, 99, 98.5, 98]
    ois += [990, 970, 950, 930]
    readings = evaluate("TEST", series(prices, ois))
    assert readings.warnings == []
    assert readings.windows["15m"].oi_drop_cause == "voluntary closing"


def test_oi_drop_without_volume_or_price_move_reads_as_expiry() -> None:
    prices, ois = calm(100)
    prices += [100.0] * 4
    ois += [990, 960, 940, 930]
    volumes = [100.0] * 100 + [50.0] * 4
    readings = evaluate("TEST", series(prices, ois, volumes))
    assert readings.windows["15m"].oi_drop_cause == "expiry"
    assert readings.warnings == []


def test_post_impulse_closing_after_a_move() -> None:
    prices, ois = calm(100)
    prices += [104, 108, 112, 112, 112, 112]
    ois += [1000, 1000, 1000, 980, 960, 950]
    volumes = [100.0] * 100 + [300, 300, 300, 60, 60, 60]
    readings = evaluate("TEST", series(prices, ois, volumes))
    assert readings.windows["15m"].oi_drop_cause == "post-impulse closing"


def test_one_sample_oi_glitch_does_not_fire() -> None:
    prices, ois = calm(100)
    ois[-2] = ois[-2] * 1.087  # +8.7 % then back (2025-10-10 21:45)
    volumes = [100.0] * 100
    volumes[-3:] = [1200.0, 1200.0, 1200.0]  # with heavy volume too
    assert despiked_oi(series(prices, ois, volumes))[-2] == pytest.approx(ois[-3], rel=0.002)
    assert kinds(series(prices, ois, volumes)) == []


def test_lone_volume_spike_does_not_fire() -> None:
    prices, ois = calm(100)
    volumes = [100.0] * 99 + [1250.0]  # 12.5x, nothing else (2025-01-01 09:25)
    assert kinds(series(prices, ois, volumes)) == []


def test_oi_falling_after_the_price_low_still_fires() -> None:
    # Price crashes and bounces; OI keeps falling for 30 min after the low (the lag trap).
    prices, ois = calm(100)
    prices += [95, 88, 91, 93, 94, 94, 95, 95]
    ois += [995, 990, 985, 970, 950, 930, 915, 905]
    volumes = [100.0] * 100 + [900, 1500, 900, 500, 400, 400, 300, 300]
    points = series(prices, ois, volumes)
    assert (points[-1].close / points[-7].close - 1) * 100 > 0  # same-window price is UP
    assert kinds(points) == ["long_squeeze"]


def test_overheating_needs_accelerating_oi_with_a_moving_price() -> None:
    prices, ois = calm(200)
    # 4h: OI grows +2 % in the first 2 h and +6 % in the last 2 h while price climbs.
    prices += [100 + 0.05 * i for i in range(48)]
    ois += [
        1000 * (1 + 0.02 * i / 24) if i < 24 else 1020 * (1 + 0.06 * (i - 24) / 24)
        for i in range(48)
    ]
    found = evaluate("TEST", series(prices, ois)).warnings
    assert [w.kind for w in found] == ["overheating_long"]
    assert found[0].window == "4h"
    assert found[0].numbers["OI second half pct"] > found[0].numbers["OI first half pct"]


def test_steady_oi_growth_without_acceleration_is_not_overheating() -> None:
    prices, ois = calm(200)
    prices += [100 + 0.05 * i for i in range(48)]
    ois += [1000 * (1 + 0.08 * i / 48) for i in range(48)]
    assert "overheating_long" not in kinds(series(prices, ois))


def test_overheating_does_not_need_extreme_funding() -> None:
    prices, ois = calm(200)
    prices += [100 - 0.05 * i for i in range(48)]
    ois += [
        1000 * (1 + 0.02 * i / 24) if i < 24 else 1020 * (1 + 0.06 * (i - 24) / 24)
        for i in range(48)
    ]
    points = series(prices, ois, fundings=[0.0001] * 248)  # neutral funding throughout
    assert kinds(points) == ["overheating_short"]


def test_accumulation_oi_up_in_a_flat_range() -> None:
    prices, ois = calm(300)
    ois = ois[:252] + [1000 * (1 + 0.04 * i / 48) for i in range(48)]
    readings = evaluate("TEST", series(prices, ois))
    assert [w.kind for w in readings.warnings] == ["accumulation"]
    assert readings.windows["4h"].phase == "accumulation"
    assert readings.windows["4h"].row.reading == "positions building in a range (accumulation)"


@pytest.mark.parametrize(
    ("price_end", "oi_end", "kind"),
    [(103.0, 970.0, "divergence_closes"), (97.0, 1025.0, "divergence_shorts")],
)
def test_divergences(price_end: float, oi_end: float, kind: str) -> None:
    prices, ois = calm(100)
    prices += [100 + (price_end - 100) * i / 12 for i in range(1, 13)]
    ois += [1000 + (oi_end - 1000) * i / 12 for i in range(1, 13)]
    assert kinds(series(prices, ois)) == [kind]


@pytest.mark.parametrize(
    ("funding", "kind"), [(0.0008, "crowding_long"), (-0.0006, "crowding_short")]
)
def test_crowding_oi_up_with_stretched_funding(funding: float, kind: str) -> None:
    prices, ois = calm(200)
    ois = ois[:152] + [1000 * (1 + 0.025 * i / 48) for i in range(48)]
    fundings = [0.0001 + 0.00001 * (i % 3 - 1) for i in range(199)] + [funding]
    found = evaluate("TEST", series(prices, ois, fundings=fundings)).warnings
    assert [w.kind for w in found] == [kind]
    assert found[0].checks == (2, 4)


def test_notional_up_mostly_because_price_rose_is_flagged() -> None:
    prices, ois = calm(100)
    prices += [100 + 3 * i / 12 for i in range(1, 13)]
    ois += [1000.0] * 12
    reading = evaluate("TEST", series(prices, ois)).windows["1h"]
    assert reading.notional_mostly_price
    assert reading.oi_usd_pct == pytest.approx(3.0, abs=0.1)


@pytest.mark.parametrize(("noise", "fires"), [(0.0004, True), (0.02, False)])
def test_each_asset_is_judged_against_its_own_normal(noise: float, fires: bool) -> None:
    # The same 6 % fall from the recent OI peak, with a price drop and heavy volume: a cascade
    # for a quiet asset (BTC-like), routine for one whose OI swings ~2 % a bar (a small cap).
    rng = random.Random(3)
    ois = [1000 * (1 + rng.gauss(0, noise)) for _ in range(300)]
    prices = [100 * (1 + rng.gauss(0, noise)) for _ in range(300)]
    prices[-3:] = [97, 95, 94]
    peak = max(ois[-14:-3])
    ois[-3:] = [peak * 0.97, peak * 0.95, peak * 0.94]
    volumes = [100.0] * 297 + [600.0, 600.0, 600.0]
    assert ("long_squeeze" in kinds(series(prices, ois, volumes))) is fires


def test_robust_baseline_ignores_outliers() -> None:
    base = robust([1.0] * 50 + [100.0], 48)
    assert base is not None and base.median == 1.0
    assert robust([1.0] * 10, 48) is None


def test_custom_settings_are_honoured() -> None:
    prices, ois = calm(100)
    prices += [99, 96, 92, 90]
    ois += [990, 960, 930, 910]
    volumes = [100.0] * 100 + [800, 1500, 1500, 900]
    strict = SignalSettings(squeeze_oi_drop_pct=10.0, early_oi_floor_pct=10.0)
    assert evaluate("TEST", series(prices, ois, volumes), settings=strict).warnings == []


def test_basis_widening_with_oi_and_not_without() -> None:
    prices, ois = calm(100)
    ois = ois[:52] + [1000 * (1 + 0.025 * i / 48) for i in range(48)]
    points = [
        Point(
            p.ts,
            p.close,
            p.high,
            p.low,
            p.volume,
            p.oi,
            p.oi_usd,
            p.funding,
            basis_pct=0.05 + 0.3 * max(0, i - 52) / 48,
        )
        for i, p in enumerate(series(prices, ois))
    ]
    found = evaluate("TEST", points).warnings
    assert [w.kind for w in found] == ["basis_widening"]
    assert found[0].numbers["basis now pct"] == pytest.approx(0.344, abs=0.01)
    flat_oi = [
        Point(
            p.ts, p.close, p.high, p.low, p.volume, 1000.0, 1000.0 * p.close, p.funding, p.basis_pct
        )
        for p in points
    ]
    assert evaluate("TEST", flat_oi).warnings == []  # basis alone: arbitrage, not crowding


def test_phases_acceleration_and_overheating() -> None:
    prices, ois = calm(200)
    prices += [100 + 0.2 * i for i in range(48)]  # +2.4 % an hour
    ois += [
        1000 * (1 + 0.02 * i / 24) if i < 24 else 1020 * (1 + 0.06 * (i - 24) / 24)
        for i in range(48)
    ]
    volumes = [100.0] * 200 + [200.0] * 48
    readings = evaluate("TEST", series(prices, ois, volumes))
    assert readings.windows["4h"].phase == "overheating"
    assert readings.windows["1h"].phase == "acceleration"  # new highs, volume and OI rising


def test_bounce_inside_a_long_cascade_is_not_a_short_squeeze() -> None:
    # -6 % on heavy volume with OI falling, then +3 % while OI keeps falling (lagging closes).
    # OI confirmation is set out of reach so the early reading alone decides.
    early_only = SignalSettings(squeeze_oi_drop_pct=50.0)
    prices, ois = calm(100)
    prices += [97, 94, 95.5, 97]
    ois += [985, 970, 955, 940]
    volumes = [100.0] * 100 + [900, 900, 900, 900]

    def found(points: list[Point]) -> list[tuple[str, Stage | None]]:
        return [(w.kind, w.stage) for w in evaluate("T", points, settings=early_only).warnings]

    assert found(series(prices, ois, volumes)) == []
    # The same +3 % after a fall on rising OI (shorts opened into it): those shorts are squeezed.
    rising = [*ois[:100], 1010, 1030, 1015, 1000]
    assert found(series(prices, rising, volumes)) == [("short_squeeze", Stage.EARLY)]


def early_reading(
    points: list[Point], settings: SignalSettings
) -> tuple[str, Stage | None, datetime | None, float, float, float]:
    """The one warning, an early reading: kind, stage, onset, and its price and OI (%, to two
    places) and minutes from the onset."""
    [early] = evaluate("T", points, settings=settings).warnings
    n = early.numbers
    return (
        early.kind,
        early.stage,
        early.event_start,
        round(n["price from onset pct"], 2),
        round(n["OI (contracts) from onset pct"], 2),
        n["minutes since onset"],
    )


def test_oi_answering_a_row_late_still_announces_the_flush() -> None:
    # A wick to -3 % on 9x volume closing -0.55 % with OI flat in its row, then a quiet bar
    # back near the start with OI -2 % (2023-10-23 18:40): the wick is read with its OI up to
    # now, dated at its onset, its minutes counted to now. Read as one 2-bar run it would be
    # a wick that closed back, and no flush.
    early_only = SignalSettings(squeeze_oi_drop_pct=50.0)
    prices, ois = calm(100)
    points = series([*prices, 99.4, 99.9], [*ois, 1000.0, 980.0], [100.0] * 100 + [900.0, 150.0])
    points[100] = replace(points[100], low=97.0)
    assert evaluate("T", points[:101], settings=early_only).warnings == []
    assert early_reading(points, early_only) == (
        "long_squeeze",
        Stage.EARLY,
        T0 + BAR * 99,
        -2.95,
        -2.06,
        10,
    )
    # Had price run back up since, the later OI drop could be the bounce's as well: no side
    # (and the bounce, smaller than the fall, is not a short squeeze either).
    back = replace(points[101], close=102.0, high=102.0, low=99.4, volume=900.0)
    bounced = [*points[:101], back]
    assert evaluate("T", bounced, settings=early_only).warnings == []


def test_a_bounce_carrying_the_flush_s_late_oi_drop_is_not_a_short_squeeze() -> None:
    # -3 % with OI flat in its row, then +1.5 % while OI falls 2 %: OI answered the flush a row
    # late, so the bounce is that flush's, not shorts being squeezed.
    early_only = SignalSettings(squeeze_oi_drop_pct=50.0)
    prices, ois = calm(100)
    points = series([*prices, 97.0, 98.5], [*ois, 1000.0, 980.0], [100.0] * 100 + [900.0] * 2)
    assert "short_squeeze" not in kinds_with(points, early_only)


def kinds_with(points: list[Point], settings: SignalSettings) -> list[str]:
    return [w.kind for w in evaluate("T", points, settings=settings).warnings]


def test_a_fresh_dip_hours_after_a_crash_is_not_confirmed_by_the_crash_s_oi() -> None:
    # A crash (-10 %, OI -9 %), two flat hours, then -1.5 % on 9x volume with OI flat: the 4h
    # OI peak still stands before the crash, but that drop is not this dip's (2024-04-13 22:10
    # read "OI -14.6 % from its peak" off the Iran crash two hours before).
    prices, ois = calm(100)
    prices += [97, 94, 92, 90] + [90.0] * 24 + [88.6]
    ois += [985, 960, 930, 910] + [910.0] * 24 + [910.0]
    volumes = [100.0] * 100 + [900.0] * 4 + [100.0] * 24 + [900.0]
    assert [(w.kind, w.stage) for w in evaluate("T", series(prices, ois, volumes)).warnings] == []
    # The same dip with OI -2 % in its bar is a flush of its own.
    fresh = [*ois[:-1], 891.8]
    found = [(w.kind, w.stage) for w in evaluate("T", series(prices, fresh, volumes)).warnings]
    assert ("long_squeeze", Stage.EARLY) in found


def test_live_liquidation_burst_announces_the_early_stage_before_oi_moves() -> None:
    # -3 % in one bar on 6x volume, OI -0.2 % (under the 1 % early floor); $2M of longs
    # liquidated = 0.2 % of $1B OI notional (the floor is 0.1 %). Without the burst, with OI
    # rising, or with both sides liquidated alike: nothing.
    prices, ois = calm(100)
    base = series(prices, ois)
    crash = Point(T0 + BAR * 100, 97.0, 100.0, 96.8, 600.0, 999.0, 999.0 * 97, 0.0001)

    def found(point: Point) -> list[tuple[str, Stage | None, str]]:
        return [(w.kind, w.stage, w.summary) for w in evaluate("BTC", [*base, point]).warnings]

    burst = replace(crash, oi_usd=1e9, liq_long_usd=2e6, liq_short_usd=1e5)
    [(kind, stage, summary)] = found(burst)
    assert (kind, stage) == ("long_squeeze", Stage.EARLY)
    assert summary == (
        "BTC likely long squeeze starting: price -3.2% in 5 min on 6x volume, OI -0.2%, "
        "longs liquidated $2.0M; longs are being forced out"
    )
    assert found(crash) == []
    assert found(replace(burst, oi=1012.0)) == []  # OI rising: shorts opening, not a squeeze
    assert found(replace(burst, liq_short_usd=1.5e6)) == []  # both sides: not one-sided


def test_a_gap_in_the_data_is_not_price_speed() -> None:
    # Ten hours missing, then price 5 % higher and OI 3 % lower: no bar moved that fast.
    prices, ois = calm(100)
    points = series(prices, ois)
    after = T0 + BAR * 220
    points.append(Point(after, 105.0, 105.0, 105.0, 600.0, 970.0, 970.0 * 105, 0.0001))
    assert [w for w in evaluate("TEST", points).warnings if w.kind.endswith("squeeze")] == []
    contiguous = [*points[:-1], replace(points[-1], ts=T0 + BAR * 100)]
    assert kinds(contiguous) == ["short_squeeze"]


def test_a_slide_of_small_bars_is_not_an_early_squeeze_one_sharp_bar_is() -> None:
    # Both fall 1.2-1.7 % over the last two bars on 9x volume while OI falls 1.4 %. The slide's
    # bars move 0.6 % each (SVB 2023-03-09 16:50: no bar of 1 %); the flush does it in one
    # bar of 1.6 %, as the onset rule's flush bar does. OI confirmation is out of reach so the
    # early reading alone decides.
    early_only = SignalSettings(squeeze_oi_drop_pct=50.0)
    prices, ois = calm(100)
    volumes = [100.0] * 100 + [900.0] * 3
    slide = series([*prices, 99.4, 98.8, 98.2], [*ois, 993.0, 986.0, 979.0], volumes)
    sharp = series([*prices, 99.9, 99.8, 98.2], [*ois, 993.0, 986.0, 979.0], volumes)
    assert evaluate("T", slide, settings=early_only).warnings == []
    assert early_reading(sharp, early_only) == (
        "long_squeeze",
        Stage.EARLY,
        T0 + BAR * 100,
        -1.70,
        -1.41,
        10,
    )
    # Without the one-bar mark the slide rang as the same early squeeze.
    no_bar_mark = replace(early_only, cascade_bar_range_pct=0.0)
    assert [(w.kind, w.stage) for w in evaluate("T", slide, settings=no_bar_mark).warnings] == [
        ("long_squeeze", Stage.EARLY)
    ]
    # Without klines (a mark proxy's closes, no high or low) a bar's range is unknown and does
    # not veto, as unknown volume does not: 2025-02-03 replayed from its metrics alone would
    # lose its flush, whose proxy moved 0.9-1.1 % a row.
    no_klines = [replace(p, high=None, low=None) for p in slide]
    assert [(w.kind, w.stage) for w in evaluate("T", no_klines, settings=early_only).warnings] == [
        ("long_squeeze", Stage.EARLY)
    ]
