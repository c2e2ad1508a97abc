"""The names the engine, the tracker, the rules and the chat share. StrEnums, so existing code
that compares `warning.kind == "long_squeeze"` or stores the value as text keeps working."""

from __future__ import annotations

from enum import StrEnum


class WarningKind(StrEnum):
    LONG_SQUEEZE = "long_squeeze"
    SHORT_SQUEEZE = "short_squeeze"
    OVERHEATING_LONG = "overheating_long"
    OVERHEATING_SHORT = "overheating_short"
    ACCUMULATION = "accumulation"
    DIVERGENCE_CLOSES = "divergence_closes"
    DIVERGENCE_SHORTS = "divergence_shorts"
    CROWDING_LONG = "crowding_long"
    CROWDING_SHORT = "crowding_short"
    BASIS_WIDENING = "basis_widening"

    @property
    def cascade(self) -> bool:
        """A forced-close cascade in progress: tracked as an event with stages."""
        return self in (WarningKind.LONG_SQUEEZE, WarningKind.SHORT_SQUEEZE)


class Stage(StrEnum):
    """One cascade event's life: announced early, confirmed by OI, escalated, over."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    ESCALATED = "escalated"
    OVER = "over"


class Severity(StrEnum):
    MODERATE = "moderate"
    HIGH = "high"
    EXTREME = "extreme"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.MODERATE: 0, Severity.HIGH: 1, Severity.EXTREME: 2}


class Phase(StrEnum):
    """Where one window of the market stands (domain brief §4)."""

    ACCUMULATION = "accumulation"
    ACCELERATION = "acceleration"
    OVERHEATING = "overheating"
    UNWIND = "unwind"
    NONE = "none"


class OIDropCause(StrEnum):
    """Why OI fell sharply over a window (domain brief §5)."""

    LIQUIDATION = "liquidation"
    VOLUNTARY = "voluntary closing"
    EXPIRY = "expiry"
    POST_IMPULSE = "post-impulse closing"
