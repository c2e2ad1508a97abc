"""Where liquidations probably sit: a model estimate, not venue data (venues do not publish
where their users' liquidation prices are).

Assumptions, shown to users with every answer:
- Open interest added in a bar was opened at that bar's price, by one new long and one new
  short of the same size (every contract has both sides).
- Those positions use a fixed leverage mix (LEVERAGE_MIX) at the Binance BTCUSDT first-tier
  maintenance rate, isolated margin, no fees: liquidation at `textbook` prices.
- OI that falls closes every open position in proportion (nobody knows whose).
- A level price has already traded through is gone (those positions were liquidated).
Only OI added inside the series is placed; older OI has unknown entries and is left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.risk.formulas import textbook
from bot.risk.side import Side


@dataclass(frozen=True)
class LeverageShare:
    leverage: int
    share: float  # of the OI added
    mmr: float


LEVERAGE_MIX: tuple[LeverageShare, ...] = (
    LeverageShare(10, 0.35, 0.004),
    LeverageShare(25, 0.30, 0.004),
    LeverageShare(50, 0.20, 0.004),
    LeverageShare(100, 0.15, 0.004),
)


@dataclass(frozen=True)
class Bar:
    price: float
    oi: float  # coin


@dataclass(frozen=True)
class Cluster:
    side: Side  # long: liquidated below price; short: above
    low: float
    high: float
    usd: float  # notional at entry that this band would liquidate
    distance_pct: float  # from the current price to the band's near edge


@dataclass(frozen=True)
class ClusterMap:
    price: float
    bin_pct: float
    clusters: list[Cluster]  # every non-empty band, nearest first per side

    def nearest(self, side: Side, count: int = 3) -> list[Cluster]:
        return [c for c in self.clusters if c.side == side][:count]

    def within(self, side: Side, pct: float) -> float:
        """USD that would liquidate if price moved `pct` % towards that side."""
        return sum(c.usd for c in self.clusters if c.side == side and c.distance_pct <= pct)


def _factor(share: LeverageShare, side: int) -> float:
    return float(textbook(Decimal(1), Decimal(share.leverage), Decimal(str(share.mmr)), side))


def liquidation_clusters(
    bars: Sequence[Bar],
    *,
    mix: Sequence[LeverageShare] = LEVERAGE_MIX,
    bin_pct: float = 0.5,
    span_pct: float = 20.0,
) -> ClusterMap:
    """Bands of `bin_pct` % of the current price, within `span_pct` % of it on either side."""
    if not bars:
        raise ValueError("no bars")
    price = bars[-1].price
    width = price * bin_pct / 100
    # Lowest and highest price after each bar: a level crossed since its entry is gone.
    after_low = [math.inf] * len(bars)
    after_high = [-math.inf] * len(bars)
    for i in range(len(bars) - 2, -1, -1):
        after_low[i] = min(after_low[i + 1], bars[i + 1].price)
        after_high[i] = max(after_high[i + 1], bars[i + 1].price)
    # Closing scales every open position alike, so keep sizes in units of the running scale
    # (one multiply per bar instead of rescaling every earlier entry).
    sizes: list[float] = [0.0] * len(bars)
    scale = 1.0
    for i in range(1, len(bars)):
        before, now = bars[i - 1].oi, bars[i].oi
        if now > before:
            sizes[i] = (now - before) / scale
        elif now <= 0:
            sizes, scale = [0.0] * len(bars), 1.0  # everything closed
        elif now < before:
            scale *= now / before
    sizes = [size * scale for size in sizes]
    bands: dict[tuple[Side, int], float] = {}
    for side in Side:
        sign = side.sign
        for share in mix:
            factor = _factor(share, sign)
            for i, size in enumerate(sizes):
                if size <= 0:
                    continue
                level = bars[i].price * factor
                swept = after_low[i] <= level if sign == 1 else after_high[i] >= level
                if swept or abs(level / price - 1) * 100 > span_pct:
                    continue
                key = (side, math.floor((level - price) / width))
                bands[key] = bands.get(key, 0.0) + size * share.share * bars[i].price
    clusters = []
    for (side, index), usd in bands.items():
        low, high = price + index * width, price + (index + 1) * width
        near = high if side is Side.LONG else low
        clusters.append(Cluster(side, low, high, usd, abs(near / price - 1) * 100))
    clusters.sort(key=lambda c: (c.side, c.distance_pct))
    return ClusterMap(price, bin_pct, clusters)
