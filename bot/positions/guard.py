"""The position guard's tick: after every poll the leader checks every guarded position against
this tick's data (never older), and writes alerts to the owner's private chat through the outbox.

Alerts are urgent: they are never held for quiet hours. One alert per level per episode; a venue
outage long enough makes one "blind" notice per asset instead of silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

import numpy as np

from bot.alerts.languages import owner_languages
from bot.alerts.warning_text import summary_text
from bot.delivery.priority import Priority
from bot.feed.freshness import FRESH
from bot.i18n import ENGLISH, use_language
from bot.market.models import Snapshot, TickResult
from bot.positions import render
from bot.positions.book import Feed, PositionBook, Thresholds
from bot.positions.evaluate import (
    Evaluation,
    MarketPoint,
    effective_liquidation,
    evaluate,
    quote,
)
from bot.positions.levels import next_below, rearm_above, step
from bot.positions.marks import mark_for, marks_by_venue
from bot.positions.model import GuardedPosition
from bot.risk.funding import funding_cash_flow
from bot.risk.models import LiqQuote, RiskInputError
from bot.risk.side import Side
from bot.risk.tiers import TierBook
from bot.signals.kinds import Stage, WarningKind
from bot.signals.warning import SignalWarning
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.contacts import ContactRepository
from storage.repositories.outbox import OutboxRepository, OutgoingAlert, tick_stamp
from storage.repositories.positions import PositionRepository

log = logging.getLogger(__name__)

SYNC_OVERLAP = timedelta(minutes=2)  # replicas' clocks differ a little: re-read recent changes
# A liquidation price moving by less than this share of the room left (mark to liquidation)
# is not news.
MOVE_SHARE = Decimal("0.05")
SQUEEZE_AGAINST = {WarningKind.LONG_SQUEEZE: Side.LONG, WarningKind.SHORT_SQUEEZE: Side.SHORT}
# This tick's marks: asset -> marks_by_venue (each venue's own, and the fallback).
Points = dict[str, dict[str, MarketPoint]]


@dataclass
class _Live:
    position: GuardedPosition
    base: LiqQuote  # bot.risk's quote before funding


def _point(s: Snapshot) -> MarketPoint:
    return MarketPoint(str(s.venue), s.mark, s.ts, s.funding_rate, s.funding_interval_hours)


@dataclass
class PositionGuard:
    repository: PositionRepository
    outbox: OutboxRepository
    wake: asyncio.Event
    tiers: Callable[[], TierBook]
    default_mmr: Decimal = Decimal("0.005")
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    atr: Callable[[str], Decimal | None] = field(default=lambda asset: None)
    blind_after: timedelta = timedelta(minutes=1)
    chat_settings: ChatSettingsRepository | None = None
    """For each owner's /settings lang; without it and `contacts` the alerts are English."""
    contacts: ContactRepository | None = None  # each owner's Telegram language_code
    book: PositionBook = field(default_factory=PositionBook)
    _live: dict[int, _Live] = field(default_factory=dict)
    _by_asset: dict[str, dict[int, _Live]] = field(default_factory=dict)
    _cost_watch: set[int] = field(default_factory=set)  # settlement cost limits: few, by hand
    _synced: datetime | None = None
    _tier_book: TierBook | None = None
    _blind_since: dict[str, datetime] = field(default_factory=dict)
    _blind_told: set[str] = field(default_factory=set)
    _settles: dict[tuple[str, str], Snapshot] = field(default_factory=dict)

    @property
    def assets(self) -> set[str]:
        return set(self._by_asset)

    # -- keeping the book in step with the database --------------------------------------------

    async def load(self) -> int:
        """Every active position, with its state (a start or a takeover begins here)."""
        self._synced = self.clock()
        self._tier_book = self.tiers()
        for position in await self.repository.active():
            self._put(position)
        return len(self._live)

    async def sync(self, now: datetime) -> None:
        """Positions a user added, changed or closed since the last tick, on any replica."""
        since = (self._synced or now) - SYNC_OVERLAP
        self._synced = now
        changed = await self.repository.changed_since(since)
        stale = [
            pid
            for pid, active, version in changed
            if (pid in self._live) != active
            or (active and self._live[pid].position.version != version)
        ]
        for pid in stale:
            self._drop(pid)
        for position in await self.repository.by_ids(
            [pid for pid, active, _ in changed if active and pid in stale]
        ):
            self._put(position)

    def _put(self, position: GuardedPosition) -> None:
        try:
            base = quote(position.claim, tiers=self.tiers(), default_mmr=self.default_mmr)
        except RiskInputError as error:
            log.warning("position #%d cannot be guarded: %s", position.id, error)
            return
        live = self._live[position.id] = _Live(position, base)
        self._by_asset.setdefault(position.claim.asset, {})[position.id] = live
        if position.claim.settlement_cost is not None:
            self._cost_watch.add(position.id)
        self._rebook(live)

    def _drop(self, position_id: int) -> None:
        live = self._live.pop(position_id, None)
        self._cost_watch.discard(position_id)
        if live is not None:
            asset = live.position.claim.asset
            self._by_asset[asset].pop(position_id, None)
            if not self._by_asset[asset]:
                del self._by_asset[asset]
        self.book.remove(position_id)

    def _liquidation(self, live: _Live) -> Decimal:
        return effective_liquidation(
            live.position.claim, live.base.liquidation_price, live.position.state.funding_paid
        )

    def _retrigger(self, live: _Live) -> None:
        s, levels = live.position.state, live.position.claim.levels
        below, above = next_below(levels, s.levels_sent), rearm_above(levels, s.levels_sent)
        self.book.retrigger(
            live.position.id,
            None if below is None else float(below),
            None if above is None else float(above),
            s.funding_sent,
        )

    def _rebook(self, live: _Live) -> None:
        p, s = live.position, live.position.state
        levels = p.claim.levels
        below, above = next_below(levels, s.levels_sent), rearm_above(levels, s.levels_sent)
        self.book.put(
            p.id,
            (p.claim.asset, p.claim.venue or ""),
            p.claim.side.sign,
            Thresholds(
                float(self._liquidation(live)),
                None if below is None else float(below),
                None if above is None else float(above),
                float(p.claim.funding_level),
                s.funding_sent,
            ),
        )

    # -- the tick -----------------------------------------------------------------------------

    async def after_poll(
        self, tick: TickResult | None, warnings: Sequence[SignalWarning] = ()
    ) -> int:
        if tick is None:
            return 0
        now = self.clock()
        await self.sync(now)
        if not self._live:
            return 0
        points = self._points(tick, now)
        # Written once the tick knows who is told anything: only those owners' languages
        # are looked up.
        pending: list[tuple[int, Callable[[], str], Callable[[str], OutgoingAlert]]] = []
        changed: dict[int, GuardedPosition] = {}
        stamp = tick_stamp(now)

        def send(live: _Live, kind: str, write: Callable[[], str], ev: Evaluation) -> None:
            p = live.position
            changed[p.id] = p
            if not p.snoozed(now):
                alert = partial(
                    OutgoingAlert,
                    p.chat_id,
                    f"pos:{p.id}:{kind}:{stamp}",
                    priority=Priority.URGENT,  # rings through quiet hours, claimed first
                    thread=f"pos:{p.id}",  # one position's alerts reply to its first
                    seen_at=now - timedelta(seconds=ev.data_age_s),
                )
                pending.append((p.chat_id, write, alert))

        pending += self._blind(tick, points, now, stamp)
        for live, reason in self._moves(tick, now):
            ev = self._evaluate(live, points, now)
            state = live.position.state
            changed[live.position.id] = live.position
            before = state.liq_told
            if ev is None or before is None:
                continue
            moved = abs(ev.liquidation_price - before)
            if moved and moved >= MOVE_SHARE * abs(ev.mark - before):
                state.liq_told = ev.liquidation_price
                send(
                    live,
                    "moved",
                    partial(render.moved_alert, live.position, ev, before, reason),
                    ev,
                )
        level_ids, funding_ids = self._scan(points)
        for pid in level_ids:
            live = self._live[pid]
            ev = self._evaluate(live, points, now)
            if ev is None:
                continue
            state = live.position.state
            state.levels_sent, level = step(
                live.position.claim.levels, state.levels_sent, ev.distance_pct
            )
            changed[pid] = live.position
            if level is not None:
                send(
                    live, f"level{level}", partial(render.level_alert, live.position, ev, level), ev
                )
            self._retrigger(live)
        for pid in sorted(set(funding_ids) | self._cost_watch):
            live = self._live[pid]
            ev = self._evaluate(live, points, now)
            if ev is None:
                continue
            state = live.position.state
            if not state.funding_sent and ev.funding_breached():
                state.funding_sent = True
                send(live, "funding", partial(render.funding_alert, live.position, ev), ev)
            elif state.funding_sent and ev.funding_calm():
                state.funding_sent = False
                changed[pid] = live.position
            self._retrigger(live)
        for warning in warnings:
            side = SQUEEZE_AGAINST.get(warning.kind)
            stage = warning.stage
            if stage is Stage.OVER:
                continue  # the cascade ended: the level alerts speak for the position now
            for live in self._by_asset.get(warning.asset, {}).values():
                if side is None or live.position.claim.side is not side:
                    continue
                ev = self._evaluate(live, points, now)
                if ev is not None:
                    send(live, warning.kind, partial(_squeeze, live.position, ev, warning), ev)
        owners = sorted({chat_id for chat_id, _write, _alert in pending})
        languages = await owner_languages(self.chat_settings, self.contacts, owners)
        alerts = []
        for chat_id, write, alert in pending:
            with use_language(languages.get(chat_id, ENGLISH)):
                alerts.append(alert(write()))
        # Outbox first: a crash between the two then repeats an alert rather than losing it.
        queued = await self.outbox.enqueue(alerts, now)
        await self.repository.save_states(changed.values())
        if queued:
            log.info("position guard: %d alerts queued", queued)
            self.wake.set()
        return queued

    def _points(self, tick: TickResult, now: datetime) -> Points:
        """This tick's marks by the rule /liq and /pos use (`marks_by_venue`). A degraded venue
        is absent, and a venue serving old data is left out too: nothing here is stale."""
        fresh: dict[str, list[Snapshot]] = defaultdict(list)
        for s in tick.snapshots():
            if s.ts >= now - FRESH:
                fresh[s.asset].append(s)
        return {
            asset: {venue: _point(s) for venue, s in marks_by_venue(snapshots).items()}
            for asset, snapshots in fresh.items()
        }

    @staticmethod
    def _mark(points: Points, feed: Feed) -> MarketPoint | None:
        asset, venue = feed
        return mark_for(points.get(asset, {}), venue)

    def _evaluate(self, live: _Live, points: Points, now: datetime) -> Evaluation | None:
        claim = live.position.claim
        point = self._mark(points, (claim.asset, claim.venue or ""))
        if point is None:
            return None
        return evaluate(
            live.position.claim,
            live.base,
            point,
            now,
            funding_paid=live.position.state.funding_paid,
            atr=self.atr(live.position.claim.asset),
        )

    def _scan(self, points: Points) -> tuple[list[int], list[int]]:
        size = len(self.book.feeds)
        marks = np.full(size, np.nan)
        pays = np.zeros(size)
        for feed, index in self.book.feeds.items():
            point = self._mark(points, feed)
            if point is None:
                continue
            marks[index] = float(point.mark)
            if point.funding_rate is not None:
                pays[index] = float(point.funding_rate) * 8 / (point.funding_interval_hours or 8)
        return self.book.scan(marks, pays)

    def _moves(self, tick: TickResult, now: datetime) -> list[tuple[_Live, str]]:
        """Positions whose liquidation price may have moved: a new tier table, or a funding
        settlement paid from (or into) the isolated margin."""
        reasons: dict[int, str] = {}
        book = self.tiers()
        if book is not self._tier_book:
            self._tier_book = book
            for live in self._live.values():
                try:
                    live.base = quote(live.position.claim, tiers=book, default_mmr=self.default_mmr)
                except RiskInputError:
                    continue
                reasons[live.position.id] = "new tier table"
        for live, paid in self._settlements(tick, now):
            live.position.state.funding_paid += paid
            reasons[live.position.id] = "funding " + ("received" if paid > 0 else "paid")
        for pid in reasons:
            self._rebook(self._live[pid])
        return [(self._live[pid], reason) for pid, reason in reasons.items()]

    def _settlements(self, tick: TickResult, now: datetime) -> Iterable[tuple[_Live, Decimal]]:
        """A venue's next funding time moving on means the previous one settled, at the rate
        and mark seen before it: each position held through it pays or receives that once."""
        for s in tick.snapshots():
            key = (s.asset, str(s.venue))
            previous = self._settles.get(key)
            self._settles[key] = s
            if s.inverse or previous is None or previous.next_funding_time is None:
                continue
            settled = previous.next_funding_time
            if previous.funding_rate is None or s.next_funding_time in (None, settled):
                continue
            if settled > now:
                continue
            most_oi = self._most_oi_venue(s.asset)
            holders = [
                live
                for live in self._by_asset.get(s.asset, {}).values()
                if (live.position.claim.venue or most_oi) == str(s.venue)
            ]
            for live in holders:
                state = live.position.state
                if live.position.created_at >= settled or (
                    state.funding_seen is not None and state.funding_seen >= settled
                ):
                    continue
                state.funding_seen = settled
                claim = live.position.claim
                yield (
                    live,
                    funding_cash_flow(
                        claim.side, claim.size, [(previous.mark, previous.funding_rate)]
                    ),
                )

    def _most_oi_venue(self, asset: str) -> str | None:
        """A position without a venue pays funding where the asset's most OI is."""
        best = mark_for(
            marks_by_venue(s for (a, _), s in self._settles.items() if a == asset), None
        )
        return None if best is None else str(best.venue)

    def _blind(
        self, tick: TickResult, points: Points, now: datetime, stamp: str
    ) -> list[tuple[int, Callable[[], str], Callable[[str], OutgoingAlert]]]:
        reasons = {str(v): r for v, r in tick.degraded().items()}
        notices: list[tuple[int, Callable[[], str], Callable[[str], OutgoingAlert]]] = []
        for asset, lives in self._by_asset.items():
            if asset in points:
                self._blind_since.pop(asset, None)
                self._blind_told.discard(asset)
                continue
            since = self._blind_since.setdefault(asset, now)
            if now - since < self.blind_after or asset in self._blind_told:
                continue
            self._blind_told.add(asset)
            by_chat: dict[int, list[int]] = defaultdict(list)
            for live in lives.values():
                by_chat[live.position.chat_id].append(live.position.id)
            notices += [
                (
                    chat_id,
                    partial(render.blind_notice, asset, reasons, ids),
                    partial(
                        OutgoingAlert,
                        chat_id,
                        f"pos:blind:{asset}:{chat_id}:{stamp}",
                        priority=Priority.URGENT,
                    ),
                )
                for chat_id, ids in by_chat.items()
            ]
        return notices


def _squeeze(position: GuardedPosition, ev: Evaluation, warning: SignalWarning) -> str:
    """The engine's sentence in the owner's language, under the position's own head."""
    stage = warning.stage
    return render.squeeze_alert(position, ev, warning.kind, stage, summary_text(warning))
