"""Requests and answers of the risk math: plain data, Decimal money."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.errors import UserError
from bot.risk.side import Side


class MarginMode(StrEnum):
    ISOLATED = "isolated"
    CROSS = "cross"


class Formula(StrEnum):
    TEXTBOOK = "textbook"
    GENERIC_CROSS = "generic-cross"
    BINANCE_USDM = "binance-usdm"
    BINANCE_COINM = "binance-coinm"
    BYBIT_LINEAR = "bybit-linear"
    BYBIT_INVERSE = "bybit-inverse"
    INVERSE = "inverse"  # no venue named: coin-margined, maintenance valued at entry
    OKX = "okx"


class RiskInputError(UserError, ValueError):
    """A short sentence that is safe to show a user."""


class LiquidatedAtOnce(RiskInputError):
    """The position is below maintenance the moment it opens; the text says why."""


@dataclass(frozen=True, slots=True)
class LiqRequest:
    entry: Decimal
    leverage: Decimal
    side: Side
    mark: Decimal | None = None  # distance is measured from it; defaults to entry
    mmr: Decimal | None = None  # overrides any tier
    venue: str | None = None  # binance | bybit | okx | None (generic)
    symbol: str | None = None
    size: Decimal | None = None  # base coin (linear) or contracts (inverse)
    inverse: bool = False
    margin_mode: MarginMode = MarginMode.ISOLATED
    cross_balance: Decimal | None = None
    fee_rate: Decimal | None = None
    contract_size: Decimal | None = None  # USD per inverse contract


@dataclass(frozen=True, slots=True)
class TierInfo:
    venue: str
    symbol: str
    number: int
    floor: Decimal
    cap: Decimal
    max_leverage: Decimal
    mmr: Decimal
    maintenance_amount: Decimal
    table_date: str
    source: str


@dataclass(frozen=True, slots=True)
class LiqQuote:
    request: LiqRequest
    formula: Formula
    liquidation_price: Decimal
    distance_pct: Decimal  # percent units, positive = room left before liquidation
    distance_price: Decimal
    notional: Decimal  # USD at entry
    margin: Decimal  # initial margin, USD
    loss_at_liquidation: Decimal  # mark-to-market loss at the liquidation price, USD
    margin_at_risk: Decimal  # what is really lost: the isolated margin (or cross balance)
    mmr: Decimal
    maintenance_amount: Decimal
    tier: TierInfo | None
    fee_rate: Decimal | None
    size: Decimal  # base coin (linear) or contracts (inverse) actually used
    assumptions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FundingRequest:
    notional: Decimal
    rate: Decimal  # per interval, a fraction: 0.0001 = 0.01 %
    hold_hours: Decimal
    interval_hours: Decimal = Decimal(8)
    side: Side = Side.LONG
    leverage: Decimal | None = None
    entry: Decimal | None = None
    mmr: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FundingQuote:
    request: FundingRequest
    payer: Side | None  # who pays: longs when the rate is positive; nobody at 0
    you_pay: bool
    intervals: int
    per_interval: Decimal  # positive amount
    total_cost: Decimal  # positive amount
    signed_total: Decimal  # to the holder: negative when you pay
    apr_simple: Decimal  # fraction, signed like the rate
    apr_compounded: Decimal
    per_8h_equivalent: Decimal
    liq_before: LiqQuote | None
    liq_after: Decimal | None
    assumptions: tuple[str, ...]
