"""The liquidation-cluster model, checked against numbers worked out by hand."""

from __future__ import annotations

import pytest

from bot.risk.clusters import Bar, LeverageShare, liquidation_clusters

TEN_X = (LeverageShare(10, 1.0, 0.004),)


def test_added_oi_projects_to_both_sides_and_shrinks_when_oi_falls() -> None:
    # 100 coin added at 110, then OI falls 1100 -> 1050: everyone closes 1050/1100 of their
    # size, so 95.4545 coin remain from the 110 entries = $10,500 of entry notional per side.
    # 10x long: 110 x (1 - 0.1 + 0.004) = 99.44; 10x short: 110 x (1 + 0.1 - 0.004) = 120.56.
    # Bands are 1 % of the price (105 -> 1.05 wide) counted from 105.
    model = liquidation_clusters(
        [Bar(100, 1000), Bar(110, 1100), Bar(105, 1050)], mix=TEN_X, bin_pct=1.0
    )
    [long] = model.nearest("long")
    assert (long.low, long.high) == pytest.approx((98.7, 99.75))  # 105 - 6 x 1.05, - 5 x 1.05
    assert long.usd == pytest.approx(10500)
    assert long.distance_pct == pytest.approx(5.0)  # 99.75 / 105 - 1
    [short] = model.nearest("short")
    assert (short.low, short.high) == pytest.approx((119.7, 120.75))  # 105 + 14 x, + 15 x 1.05
    assert short.usd == pytest.approx(10500)
    assert short.distance_pct == pytest.approx(14.0)
    assert model.within("long", 5.01) == pytest.approx(10500)
    assert model.within("long", 4.9) == 0


def test_levels_price_has_crossed_are_gone() -> None:
    # Longs opened at 100 (10x -> 90.4) were wiped when price touched 90; shorts opened at 100
    # (109.6) survive, and so do the longs opened at 90 (81.36), which price never reached.
    model = liquidation_clusters(
        [Bar(100, 0), Bar(100, 10), Bar(90, 20), Bar(95, 20)], mix=TEN_X, bin_pct=1.0
    )
    longs = model.nearest("long", 10)
    assert [round(c.usd) for c in longs] == [900]  # 10 coin x 90, the 100-entry band is gone
    assert longs[0].low <= 81.36 <= longs[0].high
    shorts = model.nearest("short", 10)
    assert [round(c.usd) for c in shorts] == [900, 1000]  # 90 entry at 98.64, 100 at 109.6
    assert shorts[0].low <= 98.64 <= shorts[0].high


def test_the_default_mix_splits_by_share_and_skips_levels_beyond_the_span() -> None:
    # At 60,000 longs liquidate at 100x 59,640 (0.994), 50x 59,040 (0.984), 25x 57,840 (0.964);
    # 10x at 54,240 (0.904) is 9.6 % below: outside a 5 % span, so it is not drawn.
    model = liquidation_clusters([Bar(60000, 0), Bar(60000, 10)], bin_pct=0.5, span_pct=5.0)
    longs = model.nearest("long", 10)
    assert [round(c.usd) for c in longs] == [90000, 120000, 180000]  # 15, 20, 30 % of $600k
    assert longs[0].low <= 59640 <= longs[0].high


def test_no_bars_is_an_error_not_an_empty_map() -> None:
    with pytest.raises(ValueError):
        liquidation_clusters([])
