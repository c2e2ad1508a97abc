"""Live only: the early stage of a cascade from the liquidation streams, before OI says much.

The engine's early stage needs OI already falling, because replayed history has no liquidation
feed. Live, the streams show the forced closes themselves within seconds, so a price run (the
engine's own `price_runs`: 1-3 bars from the close before it, beyond the asset's volatility
and its floor, on the open bar as re-read every poll) is called early when, over the run:
- that side's liquidations reach `LIQ_OF_OI_PCT` of open interest and `LIQ_X_USUAL` times the
  asset's usual bar (its 95th percentile over the last day), and are `ONE_SIDED` of the total;
- volume and taker flow do not contradict it (checked where known, as the engine does);
- OI did not rise past `settings.flat_oi_pct`: a fall with OI rising is shorts opening into it.
Every venue's feed is a lower bound (Binance pushes one order per symbol per second), so the
floors are set low and the one-sidedness does the filtering.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.market.overview_text import compact
from bot.signals.cascade import Run, price_runs
from bot.signals.engine import Baselines
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import Point
from bot.signals.thresholds import DEFAULT_SETTINGS, SignalSettings
from bot.signals.warning import Warning

LIQ_OF_OI_PCT = 0.01  # 0.01 % of OI: $2M on $20B of BTC in minutes is no daily churn
LIQ_X_USUAL = 5.0
ONE_SIDED = 2 / 3
HIGH_X = 4.0  # liquidations this many times what was needed: severity high
USUAL_QUANTILE = 0.95


def _usual(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[int(USUAL_QUANTILE * (len(ordered) - 1))] if ordered else 0.0


def _flow_against(run: Run, settings: SignalSettings) -> bool:
    """Volume or taker flow say this was no forced selling (buying); unknown never vetoes."""
    if run.volume_ratio is not None and run.volume_ratio < settings.cascade_volume_ratio:
        return True
    if run.sell_share is None:
        return False
    lean = run.sell_share - 0.5
    return (lean if run.long else -lean) < settings.taker_lean


def liquidation_early(
    asset: str,
    series: Sequence[Point],
    base: Baselines,
    now: datetime,
    age_s: float,
    settings: SignalSettings = DEFAULT_SETTINGS,
) -> Warning | None:
    last = series[-1] if series else None
    if last is None or last.liq_long_usd is None or not last.oi_usd:
        return None  # no liquidation stream for this view
    for run in price_runs(series, base.price_sigma_pct, base.bar_volume, settings):
        if _flow_against(run, settings):
            continue
        if run.oi_pct is not None and run.oi_pct > settings.flat_oi_pct:
            continue
        bars = series[-run.bars :]
        side = sum((p.liq_long_usd if run.long else p.liq_short_usd) or 0.0 for p in bars)
        total = sum((p.liq_long_usd or 0.0) + (p.liq_short_usd or 0.0) for p in bars)
        history = [
            (p.liq_long_usd if run.long else p.liq_short_usd) or 0.0 for p in series[: -run.bars]
        ]
        need = max(last.oi_usd * LIQ_OF_OI_PCT / 100, LIQ_X_USUAL * _usual(history) * run.bars)
        if side < need or side < ONE_SIDED * total:
            continue
        return _warning(asset, run, side, need, last, now, age_s)
    return None


def _warning(
    asset: str, run: Run, liquidated: float, need: float, last: Point, now: datetime, age_s: float
) -> Warning:
    who = "longs" if run.long else "shorts"
    minutes = max(0.0, (now - run.start).total_seconds() / 60)
    numbers = {
        "price from onset pct": run.close_pct,
        "price extreme pct": run.move_pct,
        "minutes since onset": minutes,
        f"{who} liquidated USD": liquidated,
        "liquidations x needed": liquidated / need,
    }
    checks = [1, 5]
    if run.oi_pct is not None:
        numbers["OI (contracts) from onset pct"] = run.oi_pct
        checks.insert(1, 2)
    if run.sigmas is not None:
        numbers["price x own volatility"] = run.sigmas
    if run.volume_ratio is not None:
        numbers["volume x usual"] = run.volume_ratio
        checks.append(3)
    if run.sell_share is not None:
        numbers["taker sell share pct"] = run.sell_share * 100
        checks.append(7)
    oi = f", OI {run.oi_pct:+.1f}%" if run.oi_pct is not None else ""
    summary = (
        f"{asset} likely {'long' if run.long else 'short'} squeeze starting: price "
        f"{run.close_pct:+.1f}% in {minutes:.0f} min, {who} liquidated ${compact(liquidated)}"
        f"{oi}; forced closes under way"
    )
    return Warning(
        WarningKind.LONG_SQUEEZE if run.long else WarningKind.SHORT_SQUEEZE,
        Severity.HIGH if liquidated >= HIGH_X * need else Severity.MODERATE,
        asset,
        "live",
        last.ts,
        summary,
        numbers,
        tuple(checks),
        age_s,
        stage=Stage.EARLY,
        event_start=run.start,
    )
