"""A venue's live mark as plain data, and the one rule for whose mark a quote or a guarded
position uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, TypeVar

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


class Priced(Protocol):
    """A live mark as the rule sees it: a VenueMark, or a poll's Snapshot."""

    @property
    def venue(self) -> str: ...
    @property
    def oi_usd(self) -> Decimal | float: ...
    @property
    def inverse(self) -> bool: ...


P = TypeVar("P", bound=Priced)
M = TypeVar("M")  # whatever stands for a mark once picked (the guard keeps MarketPoints)
FALLBACK = ""  # marks_by_venue's key for the mark a quote or position without its own uses


def marks_by_venue(marks: Iterable[P]) -> dict[str, P]:
    """One asset's live marks by who uses them: each venue's own, and under FALLBACK the one of
    the venue with the most open interest; linear instruments first (an inverse one only when
    nothing else is live). Empty when nothing is live. The guard builds this once a tick for
    every asset; `pick_mark` is the same rule for one quote."""
    every = list(marks)
    linear = [m for m in every if not m.inverse] or every
    chosen: dict[str, P] = {}
    for m in linear:
        chosen.setdefault(str(m.venue), m)
    if linear:
        chosen[FALLBACK] = max(linear, key=lambda m: m.oi_usd)
    return chosen


def mark_for(by_venue: Mapping[str, M], venue: str | None) -> M | None:
    """The mark a quote or position on `venue` (None: no venue named) uses; None when nothing
    is live."""
    return by_venue.get(venue or FALLBACK) or by_venue.get(FALLBACK)


def pick_mark(marks: Iterable[VenueMark], venue: str | None) -> VenueMark:
    """The named venue's mark, else the fallback (`marks_by_venue`). Callers compare the
    answer's venue with the one asked for, and say so when another venue's mark stood in.
    `marks` is never empty: MarketService.marks raises DataUnavailable first."""
    chosen = mark_for(marks_by_venue(marks), venue)
    if chosen is None:
        raise ValueError("pick_mark needs at least one live mark")
    return chosen
