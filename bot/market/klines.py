"""One-minute klines from a venue websocket: what the poll cannot give (the bar's high and
low, traded volume, taker buy volume). The venue modules that have them (`has.klines`) parse
their frames into `KlineMinute`s; the book keeps the newest state of each minute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.market.values import BadPayload, positive


def prices(
    open_: Any, high: Any, low: Any, close: Any
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """A kline's open, high, low and close as the venue sends them: each a price, and the high
    and low the ends of the bar. A bar whose low is above its open or close (or whose high is
    below) is no bar a market traded: the answer is not as documented."""
    o, h, lo, c = (
        positive(value, name)
        for value, name in ((open_, "open"), (high, "high"), (low, "low"), (close, "close"))
    )
    if not lo <= min(o, c) <= max(o, c) <= h:
        raise BadPayload(f"kline low {lo} and high {h} do not hold open {o} and close {c}")
    return o, h, lo, c


@dataclass(frozen=True, slots=True)
class KlineMinute:
    venue: str
    asset: str
    minute: datetime  # the minute's open time
    open: float
    high: float
    low: float
    close: float
    volume: float  # coins traded
    taker_buy: float  # coins bought by takers; the rest was sold into bids


@dataclass
class KlineBook:
    """The newest state of every minute seen since the last drain."""

    _minutes: dict[tuple[str, str, datetime], KlineMinute] = field(default_factory=dict)

    def add(self, kline: KlineMinute) -> None:
        self._minutes[(kline.venue, kline.asset, kline.minute)] = kline

    def drain(self) -> list[KlineMinute]:
        minutes = list(self._minutes.values())
        self._minutes.clear()
        return minutes
