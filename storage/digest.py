"""A quiet-hours digest kept as the alerts it was held from, not only as its merged text: an
alert whose rules are removed (/unwatch, a channel unlinked) leaves it, and the rest still goes
as one message in the order held; an alert it holds already (its tick run again after a crash)
is not added twice. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace

DIGEST_MAX_CHARS = 3900  # Telegram allows 4096
SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class HeldAlert:
    text: str
    # The watch rules it is for; () when no rule made it (an operator's post, a built-in
    # warning). None: held before outbox rows kept their rules (migration 0011), see `gone`.
    rules: tuple[int, ...] | None = ()
    # Its dedup key: the same alert held again is held once. "" when held before digests kept
    # keys: such an alert matches none.
    key: str = ""

    def gone(self, removed: set[int], *, no_rules_left: bool) -> bool:
        """Its rules are all removed. Only rules' alerts were held before 0011, so one held
        then is known gone once its chat has no rules at all (an unlink removes them all);
        an alert no rule made never is."""
        if self.rules is None:
            return no_rules_left
        return bool(self.rules) and set(self.rules) <= removed


@dataclass(frozen=True, slots=True)
class Digest:
    header: str
    alerts: tuple[HeldAlert, ...]
    # Once an alert did not fit: the closing line that says so, and nothing is added after it
    # (nor once some leave: what was left out is not kept, so some alert still was).
    full: str = ""

    @property
    def text(self) -> str:
        header = [self.header] if self.header else []
        return SEPARATOR.join(header + [a.text for a in self.alerts]) + self.full

    @property
    def rules(self) -> tuple[int, ...]:
        return tuple(sorted({rule for alert in self.alerts for rule in alert.rules or ()}))

    def add(self, alert: HeldAlert, full: str) -> Digest:
        """With `alert` at the end if it fits in one message (the first always does), else
        closed by `full` (kept open without one: a shorter alert may still fit). An alert it
        holds already (same key) leaves it as it is."""
        if self.full or (alert.key and any(a.key == alert.key for a in self.alerts)):
            return self
        if not self.alerts or len(self.text) + len(SEPARATOR + alert.text) <= DIGEST_MAX_CHARS:
            return replace(self, alerts=(*self.alerts, alert))
        return replace(self, full=full)

    def without(self, removed: set[int], *, no_rules_left: bool) -> Digest | None:
        """The digest less the alerts of the removed rules; None when none is left."""
        kept = tuple(a for a in self.alerts if not a.gone(removed, no_rules_left=no_rules_left))
        return replace(self, alerts=kept) if kept else None
