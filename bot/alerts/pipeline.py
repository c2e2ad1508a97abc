"""After every poll: readings and rules -> alerts per chat, written to the outbox.

Only venues that answered this tick count: a degraded venue's numbers are left out of every
observation, and chats with rules on that venue get one "data degraded" notice per episode
instead of an alert.

A cascade is one event told in stages (early, confirmed, escalated, over) by the cascade
tracker; each stage is its own message in the event's thread (the first rings, the later ones
reply to it quietly), while everything else a chat gets in one tick is merged into one
message. What the tracker has announced is kept only once the outbox holds it: a tick that
fails to queue its alerts announces the same stages again on the next one.

A restart mid-event is invisible in the chat: whether a stage rings is asked of the outbox (a
message of that chat and thread already queued or sent: it replies quietly), and the tracker
is saved after every tick and loaded on the first, so the event goes on at its stage, measured
against the market's usual from before it, as the bot that saw it open measured it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from bot.alerts.languages import chat_languages
from bot.alerts.observations import AssetData, level_marks, observations, signal_series
from bot.alerts.percentiles import HISTORY as PERCENTILE_HISTORY
from bot.alerts.percentiles import percentile_levels
from bot.alerts.quiet import QuietHours
from bot.alerts.render import DIGEST_FULL, WarningKey, chat_alert, next_band, warning_key
from bot.alerts.saved_tracker import SavedTracker
from bot.alerts.warning_text import band_text
from bot.alerts.watched_rules import WatchedRules
from bot.delivery.channels import channel_posts
from bot.delivery.priority import Priority
from bot.delivery.render import whole_parts
from bot.feed.market_feed import MarketFeed
from bot.i18n import ENGLISH, Language, _, current_language, set_language, use_language
from bot.i18n.dates import clock_time
from bot.market.models import TickResult
from bot.market.overview_text import named
from bot.risk.clusters import Bar
from bot.rules.matcher import BuiltInEvent, Firing, ObservationKey
from bot.rules.model import ALL_ASSETS, BUILT_IN, Metric
from bot.signals.engine import Baselines, baselines, evaluate
from bot.signals.events import CascadeTracker
from bot.signals.kinds import Stage, WarningKind
from bot.signals.warning import SignalWarning
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import Hold, OutboxRepository, OutgoingAlert, tick_stamp

log = logging.getLogger(__name__)

HISTORY = timedelta(hours=24, minutes=10)
BASELINE_EVERY = timedelta(hours=1)
URGENT = frozenset({Metric.SQUEEZE})  # rings through quiet hours: a cascade will not wait
TRACKER_STATE = "cascade_tracker"  # the tracker's name in saved_state
KIND_METRIC = {
    WarningKind.LONG_SQUEEZE: Metric.SQUEEZE,
    WarningKind.SHORT_SQUEEZE: Metric.SQUEEZE,
    WarningKind.OVERHEATING_LONG: Metric.OVERHEATING,
    WarningKind.OVERHEATING_SHORT: Metric.OVERHEATING,
}


def stage_key(warning: SignalWarning) -> str:
    """What a repeat is, for the rule cooldown: the same kind at the same stage, and for an
    escalation (or a warning without stages) at the same severity."""
    if warning.stage is None or warning.stage is Stage.ESCALATED:
        return ":".join(filter(None, (warning.kind, warning.stage, warning.severity)))
    return f"{warning.kind}:{warning.stage}"


def thread_of(warning: SignalWarning) -> str | None:
    """Every stage of one cascade event shares this thread (asset label, kind, onset)."""
    if warning.event_start is None:
        return None
    return f"{warning.asset}:{warning.kind}:{warning.event_start:%Y%m%dT%H%M}"


@dataclass
class AlertPipeline:
    market: MarketFeed
    watched: WatchedRules
    outbox: OutboxRepository
    wake: asyncio.Event
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    chat_settings: ChatSettingsRepository | None = None
    tracker: CascadeTracker = field(default_factory=CascadeTracker)
    channels: dict[str, int] = field(default_factory=dict)  # asset or * -> broadcast channel
    # Where the tracker is saved after each tick and loaded from on the first: a restart or a
    # takeover mid-event continues it rather than announcing it anew. None: memory only.
    saved: SavedTracker | None = None
    _baselines: dict[str, tuple[datetime, Baselines]] = field(default_factory=dict)
    _degraded: set[str] = field(default_factory=set)
    _levels: dict[
        str, tuple[datetime, frozenset[object], dict[tuple[ObservationKey, int], float]]
    ] = field(default_factory=dict)

    async def after_poll(self) -> int:
        tick = self.market.last_tick
        if tick is None:
            return 0
        now = self.clock()
        await self.watched.sync(now)
        if self.saved is not None:
            self.tracker = await self.saved.resumed(self.tracker)
        degraded = {str(v) for v in tick.degraded()}
        await self._degraded_notices(degraded, now, tick)
        observed: dict[ObservationKey, float] = {}
        events: list[BuiltInEvent] = []
        warnings: dict[WarningKey, SignalWarning] = {}
        ages: dict[str, float] = {}
        level_venues: dict[str, str] = {}  # whose mark is each asset's price, for the alert
        targets = self._built_in_targets()
        # Worked on copies, kept once the alerts are in the outbox (see the module docstring).
        tracker = self.tracker.fork()
        for asset in self._watched_assets():
            data = await self._asset_data(asset, now)
            if data is None:
                continue
            ages[asset] = max((now - p.ts).total_seconds() for p in data.latest)
            marks = level_marks(data.latest)
            if (mark := marks.get(None)) is not None:
                level_venues[asset] = mark.venue
            observed.update(observations(data, now, marks))
            for venue in targets.get(asset, set()) | targets.get(ALL_ASSETS, set()):
                view = data if venue is None else data.on_venue(venue)
                if not view.latest:
                    continue  # that venue is degraded or does not list the asset
                for warning in self._news(tracker, view, venue, now):
                    metric = KIND_METRIC.get(warning.kind)
                    if metric is not None:
                        key = stage_key(warning)
                        events.append(BuiltInEvent(asset, metric, venue, key))
                        warnings[(asset, metric, venue, key)] = warning
        matcher = self.watched.matcher
        firings = matcher.evaluate(
            observed, now, events=events, percentiles=await self._percentiles(observed, now)
        )
        # Outbox first: a crash between the two then repeats an alert rather than losing it.
        try:
            queued = await self._enqueue(firings, warnings, ages, now, level_venues)
        except Exception:
            set_language(ENGLISH)  # _enqueue sets each chat's; none may outlive a failed tick
            matcher.retract(firings)  # not sent, so not a repeat when it comes again
            raise
        self.tracker = tracker
        if self.saved is not None:
            await self.saved.save(tracker, now)
        await self.watched.persist_states(matcher.pop_changed())
        return queued

    async def _percentiles(
        self, observed: dict[ObservationKey, float], now: datetime
    ) -> dict[tuple[ObservationKey, int], float]:
        """Levels for `p95`-style rules, from each asset's last week, refreshed hourly."""
        levels: dict[tuple[ObservationKey, int], float] = {}
        for asset in {key[0] for key in observed}:
            wants = self.watched.matcher.percentile_wants(asset)
            if not wants:
                continue
            signature = frozenset((key, frozenset(ps)) for key, ps in wants.items())
            cached = self._levels.get(asset)
            if cached is None or cached[1] != signature or now - cached[0] > BASELINE_EVERY:
                data = await self.market.history(asset, now - PERCENTILE_HISTORY)
                cached = (now, signature, percentile_levels(data, wants))
                self._levels[asset] = cached
            levels.update(cached[2])
        return levels

    async def _quiet_hours(self, chat_ids: list[int]) -> dict[int, QuietHours]:
        if self.chat_settings is None or not chat_ids:
            return {}
        return {
            chat_id: QuietHours(row.quiet_start, row.quiet_end, row.timezone)
            for chat_id, row in (await self.chat_settings.for_chats(chat_ids)).items()
            if row.quiet_start is not None and row.quiet_end is not None
        }

    async def _languages(self, chat_ids: list[int]) -> dict[int, Language]:
        return await chat_languages(self.chat_settings, chat_ids)

    def _watched_assets(self) -> set[str]:
        assets = {rule.spec.asset for rule in self.watched.matcher.rules.values()} | set(
            self.channels
        )
        if ALL_ASSETS in assets:
            assets |= self.market.known_assets
        return assets - {ALL_ASSETS}

    def _built_in_targets(self) -> dict[str, set[str | None]]:
        """asset -> the venues (None = aggregated) that built-in rules watch it on."""
        targets: dict[str, set[str | None]] = defaultdict(set)
        for rule in self.watched.matcher.rules.values():
            if rule.spec.metric in BUILT_IN:
                targets[rule.spec.asset].add(rule.spec.venue)
        for asset in self.channels:
            targets[asset].add(None)
        return targets

    async def _asset_data(self, asset: str, now: datetime) -> AssetData | None:
        # The same rule as every reply: nothing stale, failing or missing from its venue's
        # last answer reaches an observation.
        latest = (await self.market.current(asset)).rows
        if not latest:
            return None
        return replace(await self.market.history(asset, now - HISTORY), latest=latest)

    def _news(
        self, tracker: CascadeTracker, data: AssetData, venue: str | None, now: datetime
    ) -> list[SignalWarning]:
        """Stage transitions and new warnings for the asset aggregated across venues, or on
        one venue. The open bar is re-read every poll, with the liquidations and klines
        streamed into it, so the early stage does not wait for the bar to close."""
        series = signal_series(data, now)
        if len(series) < 4:
            return []
        label = data.asset if venue is None else f"{data.asset} on {venue}"
        cached = self._baselines.get(label)
        if cached is None or now - cached[0] > BASELINE_EVERY:
            # On a start or a takeover, the events resumed from the saved tracker are measured
            # against the market before them, as by the bot that saw them open.
            usual = tracker.before_events(label, series) if cached is None else series
            cached = (now, baselines(usual))
            self._baselines[label] = cached
        readings = evaluate(label, series, now=now, base=cached[1])
        news = tracker.update(label, readings.warnings, now, series)
        if not news:
            return news
        bars = [Bar(p.close, p.oi) for p in series if p.oi is not None]
        return [self._with_clusters(warning, bars) for warning in news]

    @staticmethod
    def _with_clusters(warning: SignalWarning, bars: list[Bar]) -> SignalWarning:
        if warning.stage is Stage.OVER:
            return warning  # a summary of what happened: where the next band was is moot
        band = next_band(warning.kind, bars)
        if band is None:
            return warning
        summary = f"{warning.summary}; {band_text(warning.kind, band)}"
        return replace(warning, summary=summary, next_band=band)

    async def _enqueue(
        self,
        firings: list[Firing],
        warnings: dict[WarningKey, SignalWarning],
        ages: dict[str, float],
        now: datetime,
        level_venues: dict[str, str],
    ) -> int:
        by_chat: dict[int, list[Firing]] = defaultdict(list)
        for firing in firings:
            by_chat[firing.rule.chat_id].append(firing)
        stamp = tick_stamp(now)
        alerts = []
        quiet = await self._quiet_hours(list(by_chat))
        languages = await self._languages(list(by_chat))
        holds: list[Hold] = []
        staged: list[OutgoingAlert] = []  # cascade stages: silent once their thread has begun
        for chat_id, chat_firings in by_chat.items():
            set_language(languages.get(chat_id, ENGLISH))
            hours = quiet.get(chat_id)
            until = hours.until(now) if hours is not None else None
            ringing = [f for f in chat_firings if until is None or f.rule.spec.metric in URGENT]
            held = [f for f in chat_firings if f not in ringing]
            merged = []
            for firing in ringing:
                warning = warnings.get(warning_key(firing))
                thread = thread_of(warning) if warning is not None else None
                if warning is None or thread is None:
                    merged.append(firing)
                    continue
                text, markup = chat_alert([firing], warnings, ages, level_venues)
                staged.append(
                    OutgoingAlert(
                        chat_id,
                        f"{thread}:{firing.stage}:{chat_id}",
                        text,
                        markup,
                        priority=Priority.URGENT,
                        thread=thread,
                        seen_at=now - timedelta(seconds=ages.get(firing.asset, 0.0)),
                        rules=(firing.rule.id,),
                        revisions=(firing.rule.revision,),
                    )
                )
            if merged:
                alerts += self._chat_alerts(
                    chat_id, merged, warnings, ages, stamp, now, level_venues
                )
            if held and hours is not None and until is not None:
                digest = f"digest:{chat_id}:{until:%Y%m%dT%H%M}"
                held_at = clock_time(now, ZoneInfo(hours.zone))
                header = _(
                    "🌙 <b>Held during quiet hours</b> ({hours})", hours=escape(hours.text())
                )
                # One alert per firing, so a rule removed before the digest goes takes its
                # own lines out of it and leaves the other rules' of the same tick.
                for firing in held:
                    text, _markup = chat_alert([firing], warnings, ages, level_venues)
                    rule, stage = firing.rule.id, firing.stage or ""
                    key = f"held:{stamp}:{chat_id}:{rule}:{firing.asset}:{stage}"
                    alert = OutgoingAlert(
                        chat_id,
                        key,
                        f"<i>{held_at}</i> {text}",
                        rules=(rule,),
                        revisions=(firing.rule.revision,),
                    )
                    holds.append(Hold(alert, digest, until, header))
        set_language(ENGLISH)
        # An event's first message in a chat rings (a chat that joins mid-event too), the later
        # ones reply quietly: what the outbox holds decides, so a restart changes nothing.
        begun = await self.outbox.threads_begun({(a.chat_id, a.thread) for a in staged if a.thread})
        alerts += [replace(a, silent=(a.chat_id, a.thread) in begun) for a in staged]
        # Channels get one post per tick, every stage of it, unthreaded.
        market_wide = {key[:3]: warning for key, warning in warnings.items()}
        channel_languages = await self._languages(sorted(set(self.channels.values())))
        alerts += channel_posts(self.channels, market_wide, stamp, now, channel_languages)
        queued = await self.outbox.enqueue(alerts, now)
        await self.outbox.hold_many(holds, now, full=DIGEST_FULL)
        if queued:
            log.info("%d alerts queued for %d chats", queued, len(by_chat))
            self.wake.set()
        return queued

    @staticmethod
    def _chat_alerts(
        chat_id: int,
        firings: list[Firing],
        warnings: dict[WarningKey, SignalWarning],
        ages: dict[str, float],
        stamp: str,
        now: datetime,
        level_venues: dict[str, str] | None = None,
    ) -> list[OutgoingAlert]:
        """One message, or several split between whole alerts past Telegram's 4,096
        characters; urgent when it carries a squeeze; seen when its oldest data was. In the
        language set, as is each built again without some of its rules."""
        language = current_language()

        def alert(part: Sequence[Firing], key: str) -> OutgoingAlert:
            with use_language(language):
                text, markup = chat_alert(part, warnings, ages, level_venues)
            urgent = any(f.rule.spec.metric in URGENT for f in part)
            return OutgoingAlert(
                chat_id,
                key,
                text,
                markup,
                priority=Priority.URGENT if urgent else Priority.NORMAL,
                seen_at=now - timedelta(seconds=max(ages.get(f.asset, 0.0) for f in part)),
                rules=tuple(f.rule.id for f in part),
                revisions=tuple(f.rule.revision for f in part),
                without=lambda stale: alert([f for f in part if f.rule.id not in stale], key),
            )

        parts = whole_parts(
            firings, lambda group: chat_alert(group, warnings, ages, level_venues)[0]
        )
        return [
            alert(part, f"tick:{stamp}:{chat_id}" + (f":{n + 1}" if n else ""))
            for n, part in enumerate(parts)
        ]

    async def _degraded_notices(self, degraded: set[str], now: datetime, tick: TickResult) -> None:
        started = degraded - self._degraded
        self._degraded = degraded
        if not started:
            return
        reasons = {str(v): reason for v, reason in tick.degraded().items()}
        chats: dict[int, set[str]] = defaultdict(set)
        # The notice is about these rules: it goes with them (a channel unlinked).
        rules: dict[int, list[int]] = defaultdict(list)
        for rule in self.watched.matcher.rules.values():
            if rule.spec.venue in started:
                chats[rule.chat_id].add(rule.spec.venue)
                rules[rule.chat_id].append(rule.id)
        # Named as every reply names a left-out venue: since when, and why.
        health = self.market.health
        stamp = tick_stamp(now)
        languages = await self._languages(list(chats))
        notices = []
        for chat_id, venues in chats.items():
            with use_language(languages.get(chat_id, ENGLISH)):
                why = {
                    venue: health[venue].problem(now)
                    if venue in health and health[venue].failing_since is not None
                    else f"({reasons[venue]})"
                    for venue in venues
                    if venue in reasons
                }
                which = escape(named(why))
                text = _(
                    "⚠️ Data degraded: {venues}. Rules on it wait for good data; nothing is "
                    "alerted from partial numbers.",
                    venues=which,
                )
            notices.append(
                OutgoingAlert(
                    chat_id, f"degraded:{stamp}:{chat_id}", text, rules=tuple(rules[chat_id])
                )
            )
        if await self.outbox.enqueue(notices, now):
            self.wake.set()
