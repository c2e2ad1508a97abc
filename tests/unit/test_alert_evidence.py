"""Alert evidence from the liquidation-cluster model, worked out by hand."""

from __future__ import annotations

from bot.alerts.render import next_band
from bot.alerts.warning_text import band_text
from bot.risk.clusters import Bar


def cluster_evidence(kind: str, bars: list[Bar]) -> str | None:
    band = next_band(kind, bars)
    return None if band is None else band_text(kind, band)


def test_squeeze_warnings_name_the_next_cluster_of_their_side() -> None:
    # 10 coin added at 60,000: 100x longs liquidate at 59,640, in the band 59,400-59,700
    # (0.5 % below), with 15 % of $600,000 = $90k; 100x shorts at 60,360 (0.5 % above).
    bars = [Bar(60000, 0), Bar(60000, 10)]
    assert cluster_evidence("long_squeeze", bars) == (
        "next long liquidations -0.5% (~$90k, model estimate)"
    )
    assert cluster_evidence("overheating_short", bars) == (
        "next short liquidations +0.5% (~$90k, model estimate)"
    )
    assert cluster_evidence("accumulation", bars) is None  # no side at risk
    # Price fell through every long level since: nothing left to name below.
    assert cluster_evidence("long_squeeze", [*bars, Bar(50000, 10)]) is None
