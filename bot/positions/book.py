"""Every guarded position as numpy columns, so one tick checks 100,000 of them in a few array
operations; only positions whose level or funding state changes go on to exact Decimal math.

A feed is one (asset, venue) pair ("" = the asset's venue with the most OI): positions read the
mark and funding of their feed, passed in per tick as arrays (NaN = no fresh data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Feed = tuple[str, str]
Floats = npt.NDArray[np.float64]
# Floats only pre-select: the exact decision is Decimal math on the few selected, so a distance
# a hair from a level is selected rather than missed.
SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class Thresholds:
    """One position's triggers: alert when the distance (%) falls below `below`, re-arm above
    `above`; funding alert when the rate it pays per 8 h exceeds `funding` (re-arm below half)."""

    liquidation: float
    below: float | None
    above: float | None
    funding: float
    funding_sent: bool


class PositionBook:
    def __init__(self, capacity: int = 1024) -> None:
        self.feeds: dict[Feed, int] = {}
        self._slot: dict[int, int] = {}
        self._free: list[int] = []
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._feed = np.zeros(capacity, dtype=np.int64)
        self._sign = np.zeros(capacity)
        self._liq = np.zeros(capacity)
        self._below = np.full(capacity, -np.inf)
        self._above = np.full(capacity, np.inf)
        self._funding = np.full(capacity, np.inf)
        self._funding_sent = np.zeros(capacity, dtype=bool)
        self._active = np.zeros(capacity, dtype=bool)
        self._used = 0

    def __len__(self) -> int:
        return len(self._slot)

    def feed_index(self, feed: Feed) -> int:
        return self.feeds.setdefault(feed, len(self.feeds))

    def put(self, position_id: int, feed: Feed, sign: int, t: Thresholds) -> None:
        slot = self._slot.get(position_id)
        if slot is None:
            slot = self._free.pop() if self._free else self._grow()
            self._slot[position_id] = slot
        self._ids[slot] = position_id
        self._feed[slot] = self.feed_index(feed)
        self._sign[slot] = sign
        self._liq[slot] = t.liquidation
        self._below[slot] = -np.inf if t.below is None else t.below
        self._above[slot] = np.inf if t.above is None else t.above
        self._funding[slot] = t.funding
        self._funding_sent[slot] = t.funding_sent
        self._active[slot] = True

    def retrigger(
        self, position_id: int, below: float | None, above: float | None, funding_sent: bool
    ) -> None:
        """New triggers after a step: the liquidation price did not change."""
        slot = self._slot[position_id]
        self._below[slot] = -np.inf if below is None else below
        self._above[slot] = np.inf if above is None else above
        self._funding_sent[slot] = funding_sent

    def remove(self, position_id: int) -> None:
        slot = self._slot.pop(position_id, None)
        if slot is not None:
            self._active[slot] = False
            self._free.append(slot)

    def _grow(self) -> int:
        if self._used == len(self._ids):
            for name in (
                "_ids",
                "_feed",
                "_sign",
                "_liq",
                "_below",
                "_above",
                "_funding",
                "_funding_sent",
                "_active",
            ):
                old = getattr(self, name)
                new = np.zeros(len(old) * 2, dtype=old.dtype)
                new[: len(old)] = old
                setattr(self, name, new)
        self._used += 1
        return self._used - 1

    def scan(self, marks: Floats, pays_8h: Floats) -> tuple[list[int], list[int]]:
        """(ids whose distance crossed a trigger, ids whose funding crossed one). `marks` and
        `pays_8h` (the funding rate per 8 h, longs paying when positive) are per feed index."""
        n = self._used
        feed = self._feed[:n]
        mark = marks[feed]
        live = self._active[:n] & ~np.isnan(mark)
        with np.errstate(invalid="ignore", divide="ignore"):
            distance = (mark - self._liq[:n]) * self._sign[:n] / mark * 100.0
            paying = pays_8h[feed] * self._sign[:n]
            half = self._funding[:n] / 2
        moved = live & ((distance < self._below[:n] + SLACK) | (distance > self._above[:n] - SLACK))
        sent = self._funding_sent[:n]
        funded = live & (
            (~sent & (paying > self._funding[:n] - SLACK)) | (sent & (paying < half + SLACK))
        )
        return self._ids[:n][moved].tolist(), self._ids[:n][funded].tolist()
