"""A venue's live mark as plain data, and the one rule for whose mark a quote or a guarded
position uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.positions.evaluate import MarketPoint
from storage.models import MarketSnapshot


@dataclass(frozen=True, slots=True)
class VenueMark:
    venue: str
    mark: Decimal
    ts: datetime
    oi_usd: float
    inverse: bool
    funding_rate: Decimal | None  # per interval
    funding_interval_hours: int | None

    @classmethod
    def of(cls, row: MarketSnapshot) -> VenueMark:
        return cls(
            venue=row.venue,
            mark=Decimal(str(row.mark)),
            ts=row.ts,
            oi_usd=row.oi_usd,
            inverse=row.inverse,
            funding_rate=None if row.funding_rate is None else Decimal(str(row.funding_rate)),
            funding_interval_hours=row.funding_interval_hours,
        )

    def point(self) -> MarketPoint:
        return MarketPoint(
            self.venue, self.mark, self.ts, self.funding_rate, self.funding_interval_hours
        )


def pick_mark(marks: Sequence[VenueMark], venue: str | None) -> VenueMark:
    """The named venue's mark, else the one of the venue with the most open interest; linear
    instruments first (an inverse one only when nothing else is live). Callers compare the
    answer's venue with the one asked for, and say so when another venue's mark stood in."""
    linear = [m for m in marks if not m.inverse] or list(marks)
    own = [m for m in linear if m.venue == venue]
    return own[0] if own else max(linear, key=lambda m: m.oi_usd)
