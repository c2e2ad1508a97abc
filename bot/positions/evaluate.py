"""One position against the live market: liquidation price (bot.risk, exactly as /liq), distance
in % and in ATRs, PnL and funding. Pure: the guard, /pos and the CLI all call this."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.positions.model import PositionClaim
from bot.risk.funding import liq_after_funding
from bot.risk.models import LiqQuote, MarginMode
from bot.risk.quote import quote_liquidation
from bot.risk.tiers import TierBook

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class MarketPoint:
    """The asset on one venue at one tick: the guard's only input about the market."""

    venue: str
    mark: Decimal
    ts: datetime
    funding_rate: Decimal | None = None  # per interval, a fraction
    funding_interval_hours: int | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    claim: PositionClaim
    quote: LiqQuote  # bot.risk's answer, as /liq gives it
    liquidation_price: Decimal  # after the funding paid or received (isolated)
    mark: Decimal
    venue: str
    distance_pct: Decimal  # room before liquidation, % of the mark
    distance_atr: Decimal | None  # the same room in the asset's hourly ATRs
    pnl: Decimal  # unrealized, USD
    roe_pct: Decimal  # PnL as % of the initial margin
    funding_paid: Decimal  # signed cash to the holder so far: negative when paying
    funding_per_day: Decimal | None  # signed, at the live rate
    funding_rate_8h: Decimal | None  # the venue's live rate per 8 h, longs paying when positive
    next_settlement: Decimal | None  # signed cash to the holder at the next settlement
    data_age_s: float

    @property
    def funding_against(self) -> Decimal | None:
        """The live rate per 8 h the position pays (negative: it receives)."""
        if self.funding_rate_8h is None:
            return None
        return self.funding_rate_8h * self.claim.side.sign

    def funding_breached(self) -> bool:
        """Funding against the position beyond its level, or the next settlement costing more
        than its limit."""
        against, limit = self.funding_against, self.claim.settlement_cost
        if against is None or self.next_settlement is None:
            return False
        return against > self.claim.funding_level or (
            limit is not None and -self.next_settlement > limit
        )

    def funding_calm(self) -> bool:
        """Back below half of both: the funding alert re-arms."""
        against, limit = self.funding_against, self.claim.settlement_cost
        if against is None or self.next_settlement is None:
            return False
        return against < self.claim.funding_level / 2 and (
            limit is None or -self.next_settlement < limit / 2
        )


def quote(
    claim: PositionClaim,
    *,
    tiers: TierBook | None = None,
    default_mmr: Decimal = Decimal("0.005"),
    mark: Decimal | None = None,
) -> LiqQuote:
    """Raises RiskInputError with a sentence for the user (leverage above the tier's, ...)."""
    return quote_liquidation(claim.liq_request(mark), tiers=tiers, default_mmr=default_mmr)


def effective_liquidation(claim: PositionClaim, base: Decimal, funding_paid: Decimal) -> Decimal:
    if claim.margin_mode is MarginMode.ISOLATED and funding_paid:
        return max(liq_after_funding(base, claim.side, funding_paid, claim.size), Decimal(0))
    return base


def distance_pct(claim: PositionClaim, liquidation: Decimal, mark: Decimal) -> Decimal:
    return (mark - liquidation) * claim.side.sign / mark * HUNDRED


def next_settlement(claim: PositionClaim, point: MarketPoint) -> Decimal | None:
    if point.funding_rate is None or not point.funding_interval_hours:
        return None
    return -claim.side.sign * claim.size * point.mark * point.funding_rate


def hourly_atr(marks: Iterable[tuple[datetime, float]]) -> Decimal | None:
    """Average true range of hourly bars built from polled marks (high, low, previous close)."""
    bars: dict[datetime, list[float]] = {}
    for ts, mark in sorted(marks):
        hour = ts.replace(minute=0, second=0, microsecond=0)
        bar = bars.setdefault(hour, [mark, mark, mark])
        bar[0], bar[1], bar[2] = max(bar[0], mark), min(bar[1], mark), mark
    ranges = []
    previous: float | None = None
    for high, low, close in bars.values():
        if previous is not None:
            ranges.append(max(high, previous) - min(low, previous))
        previous = close
    if not ranges or sum(ranges) <= 0:
        return None
    return Decimal(str(sum(ranges) / len(ranges)))


def evaluate(
    claim: PositionClaim,
    base: LiqQuote,
    point: MarketPoint,
    now: datetime,
    *,
    funding_paid: Decimal = Decimal(0),
    atr: Decimal | None = None,
) -> Evaluation:
    liquidation = effective_liquidation(claim, base.liquidation_price, funding_paid)
    room = (point.mark - liquidation) * claim.side.sign
    pnl = claim.side.sign * claim.size * (point.mark - claim.entry)
    settlement = next_settlement(claim, point)
    interval = point.funding_interval_hours
    return Evaluation(
        claim=claim,
        quote=base,
        liquidation_price=liquidation,
        mark=point.mark,
        venue=point.venue,
        distance_pct=distance_pct(claim, liquidation, point.mark),
        distance_atr=room / atr if atr else None,
        pnl=pnl,
        roe_pct=pnl / base.margin * HUNDRED,
        funding_paid=funding_paid,
        funding_per_day=None if settlement is None or not interval else settlement * 24 / interval,
        funding_rate_8h=(
            None
            if point.funding_rate is None or not interval
            else point.funding_rate * 8 / interval
        ),
        next_settlement=settlement,
        data_age_s=max(0.0, (now - point.ts).total_seconds()),
    )
