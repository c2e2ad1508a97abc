"""Normalized market data: one Snapshot per (venue, instrument, tick), units in the names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.market.reasons import NO_ANSWER, Reason
from bot.risk.side import Side

HUNDRED = Decimal(100)


class Venue(StrEnum):
    BINANCE = "binance"
    BINANCE_COINM = "binance_coinm"
    BYBIT = "bybit"
    BYBIT_INVERSE = "bybit_inverse"
    OKX = "okx"
    HYPERLIQUID = "hyperliquid"


@dataclass(frozen=True, slots=True)
class Snapshot:
    venue: Venue
    symbol: str  # the venue's own id: BTCUSDT, BTC-USDT-SWAP, BTC
    asset: str  # base asset, scaled tickers unscaled: 1000PEPEUSDT and kPEPE -> PEPE
    inverse: bool
    ts: datetime  # the venue's time of the data (UTC)
    mark: Decimal  # USD per coin: a 1000PEPEUSDT or kPEPE quote / 1000, as every venue of PEPE
    index: Decimal | None
    last: Decimal | None
    oi_contracts: Decimal
    oi_coin: Decimal
    oi_usd: Decimal
    funding_rate: Decimal | None  # per interval, a fraction; None when the venue has none
    funding_interval_hours: int | None
    next_funding_time: datetime | None
    volume_24h_coin: Decimal | None
    volume_24h_usd: Decimal | None

    @property
    def basis_pct(self) -> Decimal | None:
        if self.index is None or self.index == 0:
            return None
        return (self.mark - self.index) / self.index * HUNDRED


@dataclass(frozen=True, slots=True)
class VenueResult:
    venue: Venue
    snapshots: tuple[Snapshot, ...]
    degraded: bool  # nothing from this venue may be used this tick
    reason: Reason | None  # why degraded
    requests: int
    elapsed_s: float
    fetched_at: datetime
    note: str | None = None  # for the operator: what was partial (e.g. symbols dropped)


@dataclass(frozen=True, slots=True)
class TickResult:
    results: dict[Venue, VenueResult] = field(default_factory=dict)

    def snapshots(self) -> list[Snapshot]:
        return [s for r in self.results.values() if not r.degraded for s in r.snapshots]

    def for_asset(self, asset: str) -> list[Snapshot]:
        return [s for s in self.snapshots() if s.asset == asset]

    def degraded(self) -> dict[Venue, Reason]:
        return {v: r.reason or NO_ANSWER for v, r in self.results.items() if r.degraded}


@dataclass(frozen=True, slots=True)
class LiquidationEvent:
    venue: Venue
    symbol: str
    asset: str
    side_liquidated: Side  # the position that was force-closed
    qty_coin: Decimal
    price: Decimal
    usd: Decimal
    ts: datetime
