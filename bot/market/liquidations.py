"""Liquidation flow from the venues' websockets, summed per asset per minute, whatever the venue.

Each venue's frames and side conventions live in its module (bot/market/venues/); every feed is
a lower bound (Binance pushes at most one order per symbol per second), so "no liquidations
seen" never means calm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.market.models import LiquidationEvent, Venue
from bot.market.values import BadPayload, from_ms, per_coin, unscale
from bot.risk.side import Side

# A venue symbol -> its asset and the coins per contract unit (1000PEPEUSDT: PEPE, 1000).
AssetResolver = Callable[[str], tuple[str, Decimal] | None]
PING_S = 20.0  # Bybit asks for 20 s; OKX closes connections idle for 30 s


def liquidation_time(value: Any) -> datetime:
    ts = from_ms(value)
    if ts is None:
        raise BadPayload("liquidation without a time")
    return ts


def market_of_usdt_symbol(symbol: str) -> tuple[str, Decimal] | None:
    if not symbol.endswith("USDT"):
        return None
    return unscale(symbol.removesuffix("USDT"))


def forced_close(
    venue: Venue,
    symbol: str,
    market: tuple[str, Decimal],
    side: Side,
    quantity: Decimal,
    price: Decimal,
    ts: datetime,
) -> LiquidationEvent:
    """One liquidation from the quantity and price as quoted, in contract units (1000PEPE and
    its price): the event holds coins and the price of one coin, as the snapshots do, and the
    same USD."""
    asset, multiplier = market
    return LiquidationEvent(
        venue,
        symbol,
        asset,
        side,
        quantity * multiplier,
        per_coin(price, multiplier),
        quantity * price,
        ts,
    )


@dataclass(frozen=True, slots=True)
class MinuteFlow:
    venue: Venue
    asset: str
    minute: datetime
    long_usd: Decimal  # longs force-closed (market sells)
    short_usd: Decimal  # shorts force-closed (market buys)
    events: int


@dataclass
class LiquidationAggregator:
    _open: dict[tuple[Venue, str, datetime], list[Any]] = field(default_factory=dict)

    def add(self, event: LiquidationEvent) -> None:
        minute = event.ts.replace(second=0, microsecond=0)
        bucket = self._open.setdefault(
            (event.venue, event.asset, minute), [Decimal(0), Decimal(0), 0]
        )
        bucket[0 if event.side_liquidated is Side.LONG else 1] += event.usd
        bucket[2] += 1

    def drain(self) -> list[MinuteFlow]:
        """Everything gathered so far; minutes may come again later and are added up."""
        flows = [
            MinuteFlow(venue, asset, minute, long_usd, short_usd, count)
            for (venue, asset, minute), (long_usd, short_usd, count) in self._open.items()
        ]
        self._open.clear()
        return flows
