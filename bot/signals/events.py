"""A cascade as an event with stages, per asset and side: early -> confirmed -> escalated -> over.

Stateful and pure (no I/O, no clock): feed it each tick's engine output and the time, get back
the warnings worth announcing. The replay/evaluate CLI and the live pipeline both use it, so a
replay shows exactly the messages a chat would have received.

- A cascade warning (long or short squeeze) with no open event of that asset and side opens one:
  announced at the engine's stage (`early` from price velocity and flow, `confirmed` when OI
  already shows the forced closes), stamped with the engine's onset (`event_start`).
- An open event announces `confirmed` once when OI confirms an early start, and `escalated`
  each time the severity rises above the highest announced. Repeats are not news.
- An event with no cascade reading for `quiet` is `over`, with a one-message summary: duration,
  price move, OI change in contracts and notional, liquidations per side when known.
- Other kinds are news when they start or escalate (the old WarningTracker rule).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.signals.cascade import flow_texts
from bot.signals.change import signed_change
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import Point, bar_high, bar_low
from bot.signals.tracker import WarningTracker
from bot.signals.warning import SignalWarning

RECENT_POINTS = 48  # 4 h of 5-minute points: enough to find any onset the engine reports


@dataclass
class _Event:
    first: SignalWarning  # as announced: carries kind, asset, stage and event_start
    start: datetime
    stage: Stage
    severity: Severity
    last_seen: datetime
    last: SignalWarning
    before: Point | None  # the market at the onset (last point at or before it)
    points: dict[datetime, Point] = field(default_factory=dict)  # since the onset, by stamp


@dataclass(frozen=True)
class EventSummary:
    minutes: float
    price_pct: float | None  # onset -> now
    extreme_pct: float | None  # onset -> the low (longs) or high (shorts) of the event
    oi_pct: float | None  # contracts
    oi_contracts: float | None
    oi_usd: float | None  # notional change
    liq_long_usd: float | None
    liq_short_usd: float | None

    def numbers(self) -> dict[str, float]:
        named = {
            "duration min": self.minutes,
            "price pct": self.price_pct,
            "price extreme pct": self.extreme_pct,
            "OI (contracts) pct": self.oi_pct,
            "OI contracts change": self.oi_contracts,
            "OI notional change USD": self.oi_usd,
            "longs liquidated USD": self.liq_long_usd,
            "shorts liquidated USD": self.liq_short_usd,
        }
        return {key: value for key, value in named.items() if value is not None}


def _pct(now: float | None, then: float | None) -> float | None:
    return (now / then - 1) * 100 if now is not None and then else None


def _diff(now: float | None, then: float | None) -> float | None:
    return now - then if now is not None and then is not None else None


def _summary(event: _Event, now: datetime) -> EventSummary:
    points = [event.points[ts] for ts in sorted(event.points)]
    before, last = event.before, points[-1] if points else None
    long = event.first.kind == WarningKind.LONG_SQUEEZE
    extreme = None
    if before is not None and points:
        lows = [bar_low(p) for p in points]
        highs = [bar_high(p) for p in points]
        extreme = _pct(min(lows) if long else max(highs), before.close)
    liq_long = [p.liq_long_usd for p in points if p.liq_long_usd is not None]
    liq_short = [p.liq_short_usd for p in points if p.liq_short_usd is not None]
    return EventSummary(
        minutes=(now - event.start).total_seconds() / 60,
        price_pct=_pct(last.close, before.close) if last and before else None,
        extreme_pct=extreme,
        oi_pct=_pct(last.oi, before.oi) if last and before else None,
        oi_contracts=_diff(last.oi, before.oi) if last and before else None,
        oi_usd=_diff(last.oi_usd, before.oi_usd) if last and before else None,
        liq_long_usd=sum(liq_long) if liq_long else None,
        liq_short_usd=sum(liq_short) if liq_short else None,
    )


def _escalated_text(warning: SignalWarning, was: Severity, now: Severity) -> str:
    """The escalation as its own sentence with the reading's current numbers: from the onset
    while only price and flow speak (an early reading), from the OI peak once OI does."""
    n = warning.numbers
    side, who = (
        ("long", "longs") if warning.kind == WarningKind.LONG_SQUEEZE else ("short", "shorts")
    )
    head = f"{warning.asset} {side} squeeze intensifying ({was} → {now}): "
    if "price from onset pct" in n:
        volume, forced = flow_texts(n.get("volume x usual"), who, n.get(f"{who} liquidated USD"))
        return (
            f"{head}price {signed_change(n['price from onset pct'])}% in "
            f"{n['minutes since onset']:.0f} min{volume}, "
            f"OI {signed_change(n['OI (contracts) from onset pct'])}%{forced}; "
            f"more {who} are being forced out"
        )
    move = abs(n["price from OI peak pct"])
    return (
        f"{head}OI {signed_change(n['OI (contracts) from peak pct'])}% from its peak while price "
        f"{'fell' if side == 'long' else 'rose'} {move:.1f}%; more {who} are being force-closed"
    )


def _over_text(event: _Event, summary: EventSummary) -> str:
    kind = event.first.kind.replace("_", " ")
    parts = [f"{event.first.asset} {kind} over after {summary.minutes:.0f} min"]
    if summary.price_pct is not None:
        parts.append(f"price {signed_change(summary.price_pct)}% since onset")
    if summary.extreme_pct is not None:
        parts.append(
            f"{'low' if kind.startswith('long') else 'high'} {signed_change(summary.extreme_pct)}%"
        )
    if summary.oi_pct is not None and summary.oi_contracts is not None:
        notional = (
            f", {signed_change(summary.oi_usd / 1e6, 1, group=True)}M USD notional"
            if summary.oi_usd is not None
            else ""
        )
        contracts = signed_change(summary.oi_contracts, 0, group=True)
        noun = "contract" if abs(float(contracts.replace(",", ""))) == 1 else "contracts"
        parts.append(f"OI {signed_change(summary.oi_pct)}% ({contracts} {noun}{notional})")
    if summary.liq_long_usd is not None or summary.liq_short_usd is not None:
        parts.append(
            f"liquidated: longs {(summary.liq_long_usd or 0) / 1e6:,.1f}M USD, "
            f"shorts {(summary.liq_short_usd or 0) / 1e6:,.1f}M USD"
        )
    return "; ".join(parts)


@dataclass
class CascadeTracker:
    quiet: timedelta = timedelta(minutes=30)
    _events: dict[tuple[str, WarningKind], _Event] = field(default_factory=dict)
    _closed: dict[tuple[str, WarningKind], datetime] = field(default_factory=dict)
    """When each asset and side's last event was last seen: later readings of that event (its
    OI still bleeding hours on) are not a new one."""
    _recent: dict[str, deque[Point]] = field(default_factory=dict)
    _others: WarningTracker = field(default_factory=WarningTracker)

    def __post_init__(self) -> None:
        self._others.quiet = self.quiet

    def fork(self) -> CascadeTracker:
        """A copy to work a tick on, kept once that tick's alerts are stored (the pipeline).
        It copies what `update` changes and shares the points and warnings, which nothing
        changes (frozen; a later stage is a `replace`): deepcopy took 61-126 ms a tick in a
        market-wide cascade of 500 assets (bench/bench_live_path.py)."""
        return CascadeTracker(
            self.quiet,
            {key: replace(event, points=dict(event.points)) for key, event in self._events.items()},
            dict(self._closed),
            {asset: recent.copy() for asset, recent in self._recent.items()},
            WarningTracker(self.quiet, dict(self._others._active)),
        )

    def active(self, asset: str) -> list[SignalWarning]:
        """The open events of one asset, as last announced or seen."""
        return [e.last for (a, _), e in self._events.items() if a == asset]

    def before_events(self, asset: str, points: Sequence[Point]) -> Sequence[Point]:
        """`points` up to the onset of the asset's earliest event under way: the market an
        event is measured against (usual volume, volatility, OI drawdowns) when a bot resumes
        it. Measured on its own crash bars, a crash is its usual, and the OI that follows
        confirms nothing a bot that ran through the calm would have confirmed."""
        starts = [e.start for (a, _), e in self._events.items() if a == asset]
        if not starts:
            return points
        onset = min(starts)
        return [p for p in points if p.ts <= onset]

    def update(
        self,
        asset: str,
        warnings: Iterable[SignalWarning],
        now: datetime,
        series: Sequence[Point] = (),
    ) -> list[SignalWarning]:
        """The transitions to announce this tick. `series`, the asset's points up to now
        (oldest first), feeds the `over` summary: its newest point each tick, and on the
        asset's first tick (a start, a takeover) its last 4 hours, so an event that opens soon
        after has the market before it. Without it the summary has the duration only."""
        latest = series[-1] if series else None
        if latest is not None:
            recent = self._recent.get(asset)
            if recent is None:
                recent = self._recent[asset] = deque(series[-RECENT_POINTS:], RECENT_POINTS)
            elif recent[-1].ts == latest.ts:
                recent[-1] = latest  # a live bucket re-read within its 5 minutes: the newest
            else:
                recent.append(latest)
        ended: list[SignalWarning] = []  # events closed this tick: their summaries go first
        # One message per event and tick: the latest stage.
        news: dict[WarningKind, SignalWarning] = {}
        others: list[SignalWarning] = []
        for warning in warnings:
            if warning.kind.cascade:
                found = self._cascade(asset, warning, now, ended)
                if found is not None:
                    news[found.kind] = found
            else:
                others.append(warning)
        for key, event in list(self._events.items()):
            if key[0] != asset:
                continue
            if latest is not None and latest.ts >= event.start:
                event.points[latest.ts] = latest
            if now - event.last_seen > self.quiet:
                ended.append(self._over(event, now))
                self._closed[key] = event.last_seen
                del self._events[key]
        return ended + list(news.values()) + self._others.news(others, now)

    def _cascade(
        self, asset: str, warning: SignalWarning, now: datetime, ended: list[SignalWarning]
    ) -> SignalWarning | None:
        kind, severity = warning.kind, warning.severity
        stage = warning.stage or Stage.CONFIRMED
        event = self._events.get((asset, kind))
        if event is not None and self._new_leg(event, warning):
            ended.append(self._over(event, now))
            self._closed[(asset, kind)] = event.last_seen
            del self._events[(asset, kind)]
            event = None
        if event is None:
            start = warning.event_start or warning.ts
            closed = self._closed.get((asset, kind))
            if closed is not None and start <= closed:
                return None
            recent = self._recent.get(asset, ())
            before = next((p for p in reversed(recent) if p.ts <= start), None)
            announced = replace(warning, stage=stage, event_start=start)
            event = _Event(announced, start, stage, severity, now, announced, before)
            event.points = {p.ts: p for p in recent if p.ts > start}
            self._events[(asset, kind)] = event
            return announced
        event.last_seen = now
        event.last = replace(warning, event_start=event.start)
        if stage is Stage.CONFIRMED and event.stage is Stage.EARLY:
            event.stage = Stage.CONFIRMED
            event.severity = max(event.severity, severity, key=lambda s: s.rank)
            return replace(event.last, stage=Stage.CONFIRMED, severity=event.severity)
        if severity.rank > event.severity.rank:
            was, event.severity = event.severity, severity
            return replace(
                event.last,
                stage=Stage.ESCALATED,
                summary=_escalated_text(warning, was, severity),
                escalated_from=was,
            )
        return None

    def _new_leg(self, event: _Event, warning: SignalWarning) -> bool:
        """A fresh price shock well after the event began is its own event (SVB's three steps):
        the old one is over, the new one rings. Only the early reading dates a shock as it
        happens; OI still falling later belongs to the event it came from."""
        start = warning.event_start
        return (
            warning.stage is Stage.EARLY and start is not None and start - event.start > self.quiet
        )

    def _over(self, event: _Event, now: datetime) -> SignalWarning:
        summary = _summary(event, now)
        return replace(
            event.last,
            severity=event.severity,
            stage=Stage.OVER,
            ts=now,
            window="event",
            summary=_over_text(event, summary),
            numbers=summary.numbers(),
            checks=(1, 2) + ((5,) if summary.liq_long_usd or summary.liq_short_usd else ()),
            data_age_s=0.0,
        )
