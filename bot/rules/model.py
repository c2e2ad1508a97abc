"""Watch rules as plain data: what a user asked to be told about."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Metric(StrEnum):
    OI = "oi"  # OI change % over a window, in contracts (coin)
    OI_USD = "oi$"  # OI change % over a window, in notional
    FUNDING = "funding"  # current rate, normalized to its 8h equivalent
    BASIS = "basis"  # (mark - index) / index, %
    PRICE = "price"  # price change % over a window
    # The price itself, in USD: typed `price` with no window (`BTC price > 100k`). The value
    # has a space so no typed word names it; `word` gives back the one the user types.
    PRICE_LEVEL = "price level"
    LIQ = "liq"  # USD force-closed over a window (both sides)
    OVERHEATING = "overheating"  # built-in warning from the signal engine
    SQUEEZE = "squeeze"  # built-in warning: long or short squeeze in progress

    @property
    def word(self) -> str:
        """The metric as a rule spells it."""
        return "price" if self is Metric.PRICE_LEVEL else str(self)


WINDOWED = frozenset({Metric.OI, Metric.OI_USD, Metric.PRICE, Metric.LIQ})
BUILT_IN = frozenset({Metric.OVERHEATING, Metric.SQUEEZE})
PERCENT = frozenset({Metric.OI, Metric.OI_USD, Metric.FUNDING, Metric.BASIS, Metric.PRICE})
WINDOWS = ("5m", "15m", "1h", "4h", "24h")
ALL_ASSETS = "*"


class Op(StrEnum):
    ABOVE = ">"
    BELOW = "<"


@dataclass(frozen=True, slots=True)
class Threshold:
    """A fixed value (fraction for % metrics, USD for liq) or a percentile of the asset's own
    history (`p95`), resolved at evaluation time."""

    value: Decimal | None = None
    percentile: int | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.percentile is None):
            raise ValueError("a threshold is a value or a percentile, not both")


@dataclass(frozen=True, slots=True)
class RuleSpec:
    asset: str  # "BTC", or "*" for every asset
    metric: Metric
    window: str | None = None
    op: Op | None = None
    threshold: Threshold | None = None
    venue: str | None = None  # None = aggregated across venues

    @property
    def built_in(self) -> bool:
        return self.metric in BUILT_IN
