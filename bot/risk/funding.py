"""Funding cost over a hold, settlement counting, rate clamps and annualizing (risk-math §5).

A positive rate means longs pay shorts. Payment per settlement = notional x rate; a position
pays only at settlement times it is open through (open < t <= close).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from bot.i18n import _, ngettext
from bot.i18n.numbers import percent, ungrouped
from bot.risk.models import FundingQuote, FundingRequest, LiqRequest, RiskInputError
from bot.risk.quote import quote_liquidation
from bot.risk.side import Side

HOURS_PER_YEAR = Decimal(24 * 365)
ALLOWED_INTERVALS = (Decimal(1), Decimal(2), Decimal(4), Decimal(6), Decimal(8))
MAX_RATE = Decimal("0.05")  # 5 % per interval: beyond every venue's cap
MAX_HOLD_HOURS = Decimal(24 * 365)
MAX_NOTIONAL = Decimal(10) ** 12


def annualize_simple(rate: Decimal, interval_hours: Decimal) -> Decimal:
    return rate * HOURS_PER_YEAR / interval_hours


def annualize_compounded(rate: Decimal, interval_hours: Decimal) -> Decimal:
    periods = HOURS_PER_YEAR / interval_hours
    return Decimal(str(math.pow(1 + float(rate), float(periods)))) - 1


def per_8h_equivalent(rate: Decimal, interval_hours: Decimal) -> Decimal:
    return rate * 8 / interval_hours


def clamp_funding(
    premium: Decimal, interest: Decimal = Decimal("0.0001"), band: Decimal = Decimal("0.0005")
) -> Decimal:
    """Binance/Bybit/Hyperliquid form F = P + clamp(I - P, -band, +band), before cap/floor."""
    return premium + min(max(interest - premium, -band), band)


def cap_funding(rate: Decimal, cap: Decimal, floor: Decimal | None = None) -> Decimal:
    floor = -cap if floor is None else floor
    return min(max(rate, floor), cap)


def count_settlements(opened: datetime, closed: datetime, interval_hours: int) -> int:
    """Settlements at whole multiples of the interval from 00:00 UTC with open < t <= close."""
    step = timedelta(hours=interval_hours)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = (opened.astimezone(UTC) - epoch) // step + 1
    last = (closed.astimezone(UTC) - epoch) // step
    return max(0, last - first + 1)


def funding_cash_flow(
    side: Side, size: Decimal, settlements: Sequence[tuple[Decimal, Decimal]]
) -> Decimal:
    """Net cash to the holder over settlements of (mark, rate): negative when paying."""
    return sum((-side.sign * size * mark * rate for mark, rate in settlements), start=Decimal(0))


def liq_after_funding(liq: Decimal, side: Side, signed_funding: Decimal, size: Decimal) -> Decimal:
    """Isolated: paid funding comes out of the margin, received funding adds to it; either way
    the liquidation price moves by that amount per coin held."""
    return liq - side.sign * signed_funding / size


def _validate(req: FundingRequest) -> None:
    if not req.notional.is_finite() or not 0 < req.notional <= MAX_NOTIONAL:
        raise RiskInputError(_("notional must be a positive amount"))
    if not req.rate.is_finite() or abs(req.rate) > MAX_RATE:
        raise RiskInputError(_("rate must be within ±5% per interval"))
    if not req.hold_hours.is_finite() or not 0 < req.hold_hours <= MAX_HOLD_HOURS:
        raise RiskInputError(_("hold must be more than 0 and at most a year"))
    if req.interval_hours not in ALLOWED_INTERVALS:
        raise RiskInputError(_("interval must be 1h, 2h, 4h, 6h or 8h"))


def quote_funding(req: FundingRequest) -> FundingQuote:
    _validate(req)
    intervals = int((req.hold_hours / req.interval_hours).to_integral_value(ROUND_FLOOR))
    per_interval = req.notional * abs(req.rate)
    total = per_interval * intervals
    payer = None if req.rate == 0 else (Side.LONG if req.rate > 0 else Side.SHORT)
    you_pay = payer is req.side
    signed_total = -total if you_pay else (total if payer is not None else Decimal(0))
    interval = req.interval_hours.normalize()
    notes = [
        _("constant rate and notional"),
        ngettext(
            "{n} settlement at {interval}h intervals over the hold "
            "(one more if a settlement falls just inside your start)",
            "{n} settlements at {interval}h intervals over the hold "
            "(one more if a settlement falls just inside your start)",
            intervals,
            interval=ungrouped(interval),
        ),
    ]
    liq_before = liq_after = None
    if req.leverage is not None and req.entry is not None:
        size = req.notional / req.entry
        liq_before = quote_liquidation(
            LiqRequest(
                entry=req.entry, leverage=req.leverage, side=req.side, size=size, mmr=req.mmr
            )
        )
        # Received funding can pay for any fall: a long is then not liquidated by price at all.
        moved = liq_after_funding(liq_before.liquidation_price, req.side, signed_total, size)
        liq_after = max(moved, Decimal(0))
        mmr = percent(liq_before.mmr)
        notes.append(_("isolated, textbook formula, mmr {mmr}", mmr=mmr))
    return FundingQuote(
        request=req,
        payer=payer,
        you_pay=you_pay,
        intervals=intervals,
        per_interval=per_interval,
        total_cost=total,
        signed_total=signed_total,
        apr_simple=annualize_simple(req.rate, req.interval_hours),
        apr_compounded=annualize_compounded(req.rate, req.interval_hours),
        per_8h_equivalent=per_8h_equivalent(req.rate, req.interval_hours),
        liq_before=liq_before,
        liq_after=liq_after,
        assumptions=tuple(notes),
    )
