"""Every threshold the engine uses, named and documented (docs/signals.md lists them).

Relative thresholds compare a move with the asset's own recent history (robust z-score: median
and MAD), so BTC and a small cap are each judged against their own normal; the fixed floors stop
a very quiet history from turning noise into a warning.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class SignalSettings:
    # Cascade (squeeze / unwind): price run, early stage
    cascade_price_z: float = 4.0
    """The run (1-3 bars) moves price this many of the asset's own 5-minute deviations
    (x sqrt(bars)), from the close before it to its extreme."""
    cascade_price_floor_pct: float = 1.0
    """...and at least this far: smaller moves liquidate little, whatever the asset's calm."""
    cascade_bar_range_pct: float = 1.0
    """Early: one bar of the run spans at least this much by itself (its true range, from the
    close before it): a cascade is a sharp bar, a slide of small bars is selling, not forced
    closing (the onset rule's flush bar spans 1 %)."""
    cascade_volume_ratio: float = 2.0
    """Run (or since-peak) volume vs the usual bar (skipped if volume unknown)."""
    taker_lean: float = 0.0
    """Taker sell share minus one half, toward the move (skipped if the venue does not say)."""
    early_oi_z: float = 3.0
    """Early: OI already down this many of its own 5-minute deviations (x sqrt(bars))..."""
    early_oi_floor_pct: float = 1.0
    """...and at least this much: a 0.5 % dip is noise even for BTC (the onset rule's 1 %)."""
    early_oi_lag_bars: int = 2
    """OI answers a shock a row or two late: a run that ended up to this many bars ago is read
    with its OI up to now."""
    early_liq_oi_pct: float = 0.1
    """Or, with liquidation streams: the move's side liquidated over the run at least this % of
    OI notional (twice the other side's), while OI is not rising."""

    # Cascade, confirmed stage
    squeeze_oi_drop_pct: float = 2.0
    """Floor: OI (contracts) at least this far below its recent peak: twice what the early
    stage needs, so confirmation means more than the flush that announced it."""
    squeeze_oi_z: float = 4.0
    """...and beyond its usual drawdown from the rolling OI peak by this many robust deviations."""
    squeeze_lag_bars: int = 8
    """OI keeps falling 20-40 min after the price extreme: look back this much further."""
    squeeze_high_x: float = 2.0
    """Severity high at this multiple of the asset's own bar for the OI drop, extreme at..."""
    squeeze_extreme_x: float = 4.0

    # Overheating (pre-cascade)
    overheat_oi_growth_pct: float = 2.5
    """Floor: OI growth over the window."""
    overheat_oi_z: float = 3.0
    overheat_price_move_pct: float = 1.0
    """Price must be moving (accelerating one way), not ranging."""
    overheat_acceleration: float = 1.2
    """OI growth in the window's second half at least this multiple of the first half."""

    # Accumulation, divergences, crowding
    accumulation_oi_growth_pct: float = 3.0
    accumulation_price_range_pct: float = 1.5
    divergence_price_pct: float = 1.5
    divergence_oi_pct: float = 2.0
    crowding_funding_z: float = 3.0
    """Funding (8h equivalent) this many robust deviations from its own history."""
    crowding_funding_floor: float = 0.0003
    """...and at least 0.03 % per 8h away from neutral (0.01 %)."""
    crowding_oi_growth_pct: float = 2.0
    basis_widening_pct: float = 0.15
    """|basis| must widen by this many percentage points over 4h (with OI up) to warn."""

    # Readings
    flat_price_pct: float = 0.1
    flat_oi_pct: float = 0.2
    baseline_min_samples: int = 48
    """Fewer samples than this: only the floors apply."""
    volatility_min_samples: int = 12
    """5-minute moves needed before the asset's own volatility is trusted (an hour)."""


DEFAULT_SETTINGS = SignalSettings()


@dataclass(frozen=True)
class Robust:
    median: float
    scale: float  # 1.4826 x MAD: a standard deviation for normal data, robust to outliers

    def z(self, value: float) -> float:
        return (value - self.median) / self.scale if self.scale > 0 else 0.0


def robust(values: list[float], min_samples: int) -> Robust | None:
    if len(values) < min_samples:
        return None
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    return Robust(median, 1.4826 * mad)
