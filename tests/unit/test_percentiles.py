"""Relative thresholds: the asset's own distribution, with the boundary worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerts.observations import AssetData
from bot.alerts.percentiles import nearest_rank, percentile_levels
from bot.rules.model import Metric
from bot.signals.series import BAR
from tests.unit.test_market_overview import P

T0 = datetime(2026, 11, 24, tzinfo=UTC)


def test_nearest_rank() -> None:
    assert nearest_rank([1, 2, 3, 4], 50) == 2
    assert nearest_rank([1, 2, 3, 4], 51) == 3
    assert nearest_rank([1, 2, 3, 4], 99) == 4
    assert nearest_rank([7], 1) == 7


def test_oi_change_levels_come_from_every_overlapping_window() -> None:
    # 100 five-minute bars; OI doubles at bar 60. The 88 one-hour changes: 76 are 0, the 12
    # windows that span bar 60 are +100 %. p86 -> rank ceil(75.68) = 76 -> 0; p87 -> 77 -> 1.0.
    history = [P("binance", T0 + BAR * i, 100.0, 100.0 if i < 60 else 200.0) for i in range(100)]
    levels = percentile_levels(
        AssetData("BTC", [], history, []),
        {(Metric.OI, "1h", None): {86, 87}, (Metric.OI, "1h", "binance"): {95}},
    )
    assert levels == {
        (("BTC", Metric.OI, "1h", None), 86): 0.0,
        (("BTC", Metric.OI, "1h", None), 87): 1.0,
        (("BTC", Metric.OI, "1h", "binance"), 95): 1.0,
    }


def test_too_little_history_gives_no_level() -> None:
    history = [P("binance", T0 + BAR * i, 100.0, 100.0) for i in range(30)]
    wants = {(Metric.FUNDING, None, None): {95}, (Metric.LIQ, "1h", None): {95}}
    assert percentile_levels(AssetData("BTC", [], history, []), wants) == {}
