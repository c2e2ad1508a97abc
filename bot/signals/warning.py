"""One warning as the engine states it: kind, severity, the numbers it rests on, the checks of
the domain brief (§10) it used, and the data age, so a reader can verify it from the message.
Cascade warnings also carry their stage and the onset that identifies their event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.i18n import N_
from bot.market.overview_text import age_text, compact
from bot.signals.change import signed_change
from bot.signals.kinds import Severity, Stage, WarningKind

CHECKS = {
    1: N_("price regime"),
    2: N_("OI contracts vs notional"),
    3: N_("OI vs volume"),
    4: N_("funding"),
    5: N_("liquidations with falling OI"),
    6: N_("same unit across venues"),
    7: N_("taker flow"),
}


@dataclass(frozen=True)
class SignalWarning:
    kind: WarningKind
    severity: Severity
    asset: str
    window: str
    ts: datetime
    summary: str
    numbers: dict[str, float]
    checks: tuple[int, ...]
    data_age_s: float
    stage: Stage | None = None
    event_start: datetime | None = None
    """The onset of the cascade event (same value on every stage of one event)."""
    escalated_from: Severity | None = None
    """On an escalation, the severity it rose from (the chat words it in its own language)."""
    next_band: tuple[float, float] | None = None
    """(distance %, USD) of the nearest modelled liquidation band of the side at risk."""

    def __post_init__(self) -> None:
        # Callers that name a kind, severity or stage by its text get the member, so the
        # properties of the enums hold for every warning.
        object.__setattr__(self, "kind", WarningKind(self.kind))
        object.__setattr__(self, "severity", Severity(self.severity))
        if self.stage is not None:
            object.__setattr__(self, "stage", Stage(self.stage))
        if self.escalated_from is not None:
            object.__setattr__(self, "escalated_from", Severity(self.escalated_from))

    @property
    def urgent(self) -> bool:
        """Squeezes ring through quiet hours; the rest can wait for a digest."""
        return self.kind.cascade

    def evidence(self) -> str:
        parts = [
            f"{evidence_label(key)} {evidence_number(key, value)}"
            for key, value in self.numbers.items()
        ]
        checks = ", ".join(f"{n} {CHECKS[n]}" for n in self.checks)
        return (
            f"{', '.join(parts)}; window {self.window}; checks: {checks}; "
            f"data {age_text(self.data_age_s)} old"
        )


def evidence_label(key: str) -> str:
    """A number's key as a trader reads it: 'price from onset %', not '... pct'."""
    return key.removesuffix(" pct") + " %" if key.endswith(" pct") else key


def evidence_number(key: str, value: float) -> str:
    """One evidence number as a trader reads it, never in exponent notation: a percent to two
    places, dollars as 23.3M, a count of contracts or minutes whole with its thousands."""
    if "pct" in key:
        return signed_change(value, 2)
    if key.endswith("USD"):
        return compact(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
