"""Position side, shared by risk math, market data (liquidation flow) and signals."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        """+1 for a long, -1 for a short: the `side` factor of the venue formulas."""
        return 1 if self is Side.LONG else -1
