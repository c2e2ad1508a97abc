"""Levels for relative thresholds (`/watch BTC funding > p95`): the asset's own distribution of
the metric over recent history, in the rule grammar's units (fractions; USD for liq). Pure.

Windowed metrics use every overlapping window in the history (the 1h OI change ending at each
5-minute bar), so "p95" means "a move this big happens 5 % of the time for this asset".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.alerts.observations import AssetData, signal_series
from bot.rules.matcher import ObservationKey
from bot.rules.model import Metric
from bot.signals.series import WINDOW_BARS

HISTORY = timedelta(days=7)
MIN_SAMPLES = 50  # fewer and a p95 is noise: such rules wait for more history
Wants = Mapping[tuple[Metric, str | None, str | None], set[int]]


def nearest_rank(ordered: Sequence[float], percentile: int) -> float:
    """The smallest sample with at least `percentile` % of samples at or below it."""
    return ordered[max(0, math.ceil(percentile / 100 * len(ordered)) - 1)]


def samples(data: AssetData, metric: Metric, window: str | None) -> list[float]:
    if metric is Metric.BASIS:
        return [p.mark / p.index_price - 1 for p in data.history if p.index_price]
    series = signal_series(data)
    if metric is Metric.FUNDING:
        return [p.funding for p in series if p.funding is not None]
    n = WINDOW_BARS[window or "1h"]
    if metric is Metric.LIQ:
        flows = [(p.liq_long_usd or 0.0) + (p.liq_short_usd or 0.0) for p in series]
        if all(p.liq_long_usd is None for p in series):
            return []  # no liquidation stream: unknown, not zero
        return [sum(flows[i - n : i]) for i in range(n, len(flows) + 1)]
    by_metric: dict[Metric, list[float | None]] = {
        Metric.OI: [p.oi for p in series],
        Metric.OI_USD: [p.oi_usd for p in series],
        Metric.PRICE: [p.close for p in series],
    }
    values = by_metric[metric]
    return [b / a - 1 for a, b in zip(values, values[n:], strict=False) if a and b is not None]


def percentile_levels(data: AssetData, wants: Wants) -> dict[tuple[ObservationKey, int], float]:
    levels: dict[tuple[ObservationKey, int], float] = {}
    for (metric, window, venue), percentiles in wants.items():
        view = data if venue is None else data.on_venue(venue)
        ordered = sorted(samples(view, metric, window))
        if len(ordered) < MIN_SAMPLES:
            continue
        for percentile in percentiles:
            levels[((data.asset, metric, window, venue), percentile)] = nearest_rank(
                ordered, percentile
            )
    return levels
