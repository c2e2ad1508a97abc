"""The live early stage from liquidations: a run beyond the asset's normal, that side's forced
closes beyond its usual and one-sided, and OI not rising."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.signals.engine import baselines
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.liquidation_early import liquidation_early
from bot.signals.series import BAR, Point

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OI = 350_000.0  # coins: $21B at 60,000


def _calm(bars: int = 36, liq: float = 0.0) -> list[Point]:
    return [
        Point(
            ts=T0 + BAR * i,
            close=60000 * (1 + 0.0004 * (i % 3 - 1)),
            oi=OI,
            oi_usd=OI * 60000,
            liq_long_usd=liq,
            liq_short_usd=0.0,
        )
        for i in range(bars)
    ]


def _crash(history: list[Point], *, long_usd: float, short_usd: float = 0.0, oi: float = OI):
    live = Point(
        ts=history[-1].ts + BAR,
        close=58200.0,
        high=60000.0,
        low=58100.0,
        oi=oi,
        oi_usd=oi * 58200,
        liq_long_usd=long_usd,
        liq_short_usd=short_usd,
    )
    return [*history, live]


def _early(series: list[Point]):
    now = series[-1].ts - BAR + BAR / 5  # one minute into the open bar
    return liquidation_early("BTC", series, baselines(series[:-1]), now, 12.0)


def test_a_crash_with_long_liquidations_is_an_early_long_squeeze() -> None:
    history = _calm()
    warning = _early(_crash(history, long_usd=2_500_000))
    assert warning is not None
    assert (warning.kind, warning.stage, warning.severity) == (
        WarningKind.LONG_SQUEEZE,
        Stage.EARLY,
        Severity.MODERATE,
    )
    assert warning.event_start == history[-1].ts  # the close before the run
    assert warning.summary == (
        "BTC likely long squeeze starting: price -3.0% in 1 min, longs liquidated $2.5M, "
        "OI +0.0%; forced closes under way"
    )
    # from the last calm close, 60,024, to the low 58,100
    assert warning.numbers["price extreme pct"] == pytest.approx((58100 / 60024 - 1) * 100)
    # need: 0.01 % of $20.37B open interest
    assert warning.numbers["liquidations x needed"] == pytest.approx(2.5e6 / (OI * 58200 * 1e-4))
    assert warning.data_age_s == 12.0 and warning.checks == (1, 2, 5)
    big = _early(_crash(history, long_usd=9_000_000))
    assert big is not None and big.severity is Severity.HIGH


def test_the_rise_mirrors_it_for_shorts() -> None:
    history = _calm()
    live = replace(
        _crash(history, long_usd=0.0)[-1],
        close=61800.0,
        high=61900.0,
        low=60000.0,
        liq_short_usd=2_500_000,
    )
    warning = _early([*history, replace(live, oi_usd=OI * 61800)])
    assert warning is not None and warning.kind is WarningKind.SHORT_SQUEEZE
    assert warning.summary.startswith("BTC likely short squeeze starting: price +3.0%")


@pytest.mark.parametrize(
    ("series", "why"),
    [
        (_crash(_calm(), long_usd=1_500_000), "under 0.01 % of open interest"),
        (_crash(_calm(), long_usd=2_500_000, short_usd=2_000_000), "not one-sided"),
        (_crash(_calm(), long_usd=2_500_000, oi=OI * 1.01), "OI rising: shorts opening"),
        (_crash(_calm(liq=1_000_000), long_usd=2_500_000), "within 5x the usual bar"),
        (
            [
                replace(p, liq_long_usd=None, liq_short_usd=None)
                for p in _crash(_calm(), long_usd=0)
            ],
            "no liquidation stream",
        ),
    ],
)
def test_no_early_warning_when(series: list[Point], why: str) -> None:
    assert _early(series) is None, why


def test_a_calm_bar_with_liquidations_is_no_run() -> None:
    calm = _calm(37)
    assert _early([*calm[:-1], replace(calm[-1], liq_long_usd=5_000_000)]) is None
