"""(observations, rules) -> firings; pure, indexed, edge-triggered with hysteresis.

A rule fires when its condition holds while it is *armed*; firing disarms it. It re-arms once
the value falls back past the threshold by a margin (hysteresis), so a value hovering at the
threshold does not ring every tick. Cooldown and mute only delay: an armed rule whose condition
still holds fires when they end. A built-in warning is news once, so the cooldown holds back
only a repeat of the same stage: an escalation or the next stage of an event always passes.

Cost per tick grows with what changes, not with the number of rules: rules of one
(asset, metric, window, venue, direction) sit in one array sorted by threshold, and a new value
only touches the slices between the previous value and the new one (of thresholds, and of
re-arm levels as it falls), plus the rules waiting out a cooldown (rules that matched recently).
"""

from __future__ import annotations

import bisect
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import chain

from bot.rules.model import ALL_ASSETS, BUILT_IN, Metric, Op, RuleSpec

# Re-arm once the value is back past threshold by this share of |threshold|, or by the floor
# (in the metric's own units) for thresholds near zero.
REARM_SHARE = 0.1
# A price level rings once per crossing: 10 % would re-arm `BTC price > 100k` only below 90k,
# days of moves later. Half a percent (500 at 100k) is still wider than the mark's tick-to-tick
# wobble, so a price hovering at the level does not ring every poll.
REARM_SHARE_OF = {Metric.PRICE_LEVEL: 0.005}
REARM_FLOOR = {
    Metric.OI: 0.002,
    Metric.OI_USD: 0.002,
    Metric.PRICE: 0.002,
    Metric.PRICE_LEVEL: 0.0,  # a level is always above zero, so its share is never zero
    Metric.FUNDING: 0.00002,
    Metric.BASIS: 0.0005,
    Metric.LIQ: 1_000_000.0,
}

ObservationKey = tuple[str, Metric, str | None, str | None]  # asset, metric, window, venue


@dataclass(frozen=True, slots=True)
class WatchRule:
    id: int
    chat_id: int
    spec: RuleSpec
    cooldown: timedelta = timedelta(minutes=30)
    revision: int = 0  # the stored rule's (WatchRuleRow.revision): its alerts carry it


@dataclass(frozen=True, slots=True)
class RuleState:
    """A value, replaced rather than changed: the half a million rules a cold start fires at
    once then share one (disarmed, fired now) instead of 64 bytes each, and the rules that never
    fired or were muted keep none (see Matcher.add)."""

    armed: bool = True
    last_fired: datetime | None = None
    muted_until: datetime | None = None
    # When each built-in stage last fired (see BuiltInEvent.stage); kept in memory only, so
    # after a restart one stage of an ongoing event may be said again, never one lost. None
    # until a stage fires: only built-in rules have stages. Replaced, never changed in place.
    stages: Mapping[str, datetime] | None = None

    def blocked(self, rule: WatchRule, now: datetime, stage: str | None = None) -> bool:
        if self.muted_until is not None and now < self.muted_until:
            return True
        if stage is None:
            last = self.last_fired
        else:
            last = None if self.stages is None else self.stages.get(stage)
        return last is not None and now - last < rule.cooldown


@dataclass(frozen=True, slots=True)
class Firing:
    rule: WatchRule
    asset: str
    value: float | None  # None for built-in warnings
    threshold: float | None
    stage: str | None = None  # the built-in event's stage (BuiltInEvent.stage)


@dataclass(frozen=True, slots=True)
class BuiltInEvent:
    """A warning that started (or escalated) this tick, from the signal engine."""

    asset: str
    metric: Metric  # OVERHEATING or SQUEEZE
    venue: str | None = None
    # What a repeat is ("long_squeeze:early", "long_squeeze:escalated:high": the same kind at
    # the same stage, at the same severity for escalations).
    # A different stage is news and passes the rule's cooldown; None keeps the plain cooldown.
    stage: str | None = None


DEFAULT_STATE = RuleState()


def _margin(metric: Metric, threshold: float) -> float:
    return max(abs(threshold) * REARM_SHARE_OF.get(metric, REARM_SHARE), REARM_FLOOR[metric])


@dataclass
class _Group:
    """Rules sharing (asset, metric, window, venue, op), sorted so that the satisfied ones are
    a prefix: ascending thresholds for `>`, descending (negated) for `<`.

    Whether a rule is disarmed is its RuleState's alone: a cold start fires half a million
    rules at once, and a second record of each (a set entry, a heap entry of the re-arm level)
    was 70 MB. Re-arming needs no heap: the re-arm level (key minus its margin) rises with the
    key, so the levels a falling value passes are a slice of the sorted keys too."""

    op: Op
    metric: Metric
    # Threshold in "satisfied if key < v" form, packed: 8 bytes a rule, where a list of float
    # objects took 32 (24 MB over a million rules).
    keys: array[float] = field(default_factory=lambda: array("d"))
    ids: list[int] = field(default_factory=list)
    last: float | None = None
    waiting: set[int] = field(default_factory=set)  # armed and satisfied, blocked by cooldown
    fresh: set[int] = field(default_factory=set)  # added since the last value: judge them once

    def key_of(self, value: float) -> float:
        return value if self.op is Op.ABOVE else -value

    def rearm_level(self, key: float) -> float:
        """Non-decreasing in the key: its margin grows by at most REARM_SHARE (< 1) of it."""
        return key - _margin(self.metric, key)

    def add(self, rule_id: int, threshold: float) -> None:
        key = self.key_of(threshold)
        at = bisect.bisect_left(self.keys, key)
        self.keys.insert(at, key)
        self.ids.insert(at, rule_id)
        self.fresh.add(rule_id)

    def remove(self, rule_id: int, threshold: float) -> None:
        at = bisect.bisect_left(self.keys, self.key_of(threshold))
        at = self.ids.index(rule_id, at)
        del self.keys[at], self.ids[at]
        for pending in (self.waiting, self.fresh):
            pending.discard(rule_id)

    def passed_rearm(self, v: float) -> list[int]:
        """The rules whose re-arm level lies in [v, last): a rule fires, and is disarmed, only
        below the value (its level lower still), so a disarmed rule re-arms in the tick whose
        value falls past its level. Rules added since (`fresh`) may be past it already."""
        if self.last is not None and v >= self.last:
            return []
        end = len(self.keys)
        if self.last is not None:
            end = bisect.bisect_left(self.keys, self.last, key=self.rearm_level)
        return self.ids[bisect.bisect_left(self.keys, v, 0, end, key=self.rearm_level) : end]

    def newly_satisfied(self, value: float) -> Iterable[int]:
        v = self.key_of(value)
        end = bisect.bisect_left(self.keys, v)
        start = 0 if self.last is None else min(end, bisect.bisect_left(self.keys, self.last))
        self.last = v
        return self.ids[start:end]


class Matcher:
    def __init__(self) -> None:
        self.rules: dict[int, WatchRule] = {}
        self.states: dict[int, RuleState] = {}  # only rules that ever fired or were muted
        # Rules whose state changed since the last pop_changed, repeats and all: a list takes 8
        # bytes a rule where a set took 32, while a cold start's 489k firings are being built.
        self.changed: list[int] = []
        self._just_fired: RuleState | None = None  # shared by the plain rules fired at its time
        self._groups: dict[tuple[str, Metric, str | None, str | None, Op], _Group] = {}
        self._percentile: dict[tuple[str, Metric, str | None, str | None], set[int]] = defaultdict(
            set
        )
        self._built_in: dict[tuple[str, Metric, str | None], set[int]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self.rules)

    def percentile_wants(self, asset: str) -> dict[tuple[Metric, str | None, str | None], set[int]]:
        """(metric, window, venue) -> the percentiles that rules on `asset` (or on every asset)
        compare against: what the pipeline must compute from the asset's history."""
        wants: dict[tuple[Metric, str | None, str | None], set[int]] = defaultdict(set)
        for (owner, metric, window, venue), ids in self._percentile.items():
            if owner in (asset, ALL_ASSETS):
                for rule_id in ids:
                    threshold = self.rules[rule_id].spec.threshold
                    assert threshold is not None and threshold.percentile is not None
                    wants[(metric, window, venue)].add(threshold.percentile)
        return wants

    def add(self, rule: WatchRule, state: RuleState | None = None) -> None:
        spec = rule.spec
        self.rules[rule.id] = rule
        # A restart loads every rule with its stored state, most of them the default: a million
        # default states, each its own object, took 195 MB (bench_matcher's rules: 522 MB RSS).
        if state is not None and state != DEFAULT_STATE:
            self.states[rule.id] = state
        if spec.metric in BUILT_IN:
            self._built_in[(spec.asset, spec.metric, spec.venue)].add(rule.id)
            return
        assert spec.op is not None and spec.threshold is not None
        if spec.threshold.percentile is not None:
            self._percentile[(spec.asset, spec.metric, spec.window, spec.venue)].add(rule.id)
            return
        assert spec.threshold.value is not None
        group = self._groups.setdefault(
            (spec.asset, spec.metric, spec.window, spec.venue, spec.op),
            _Group(spec.op, spec.metric),
        )
        group.add(rule.id, float(spec.threshold.value))

    def remove(self, rule_id: int) -> None:
        rule = self.rules.pop(rule_id)
        self.states.pop(rule_id, None)
        spec = rule.spec
        if spec.metric in BUILT_IN:
            self._built_in[(spec.asset, spec.metric, spec.venue)].discard(rule_id)
        elif spec.threshold is not None and spec.threshold.percentile is not None:
            self._percentile[(spec.asset, spec.metric, spec.window, spec.venue)].discard(rule_id)
        else:
            assert spec.op is not None and spec.threshold is not None
            assert spec.threshold.value is not None
            group = self._groups[(spec.asset, spec.metric, spec.window, spec.venue, spec.op)]
            group.remove(rule_id, float(spec.threshold.value))

    def retract(self, firings: Iterable[Firing]) -> None:
        """Firings that never reached the outbox: their stages are not repeats next time."""
        for firing in firings:
            state = self.states.get(firing.rule.id)
            if firing.stage is not None and state is not None and state.stages is not None:
                stages = {s: at for s, at in state.stages.items() if s != firing.stage}
                self.states[firing.rule.id] = replace(state, stages=stages)

    def pop_changed(self) -> set[int]:
        """Rules to persist after a tick (fired or re-armed), then forgotten."""
        changed, self.changed = set(self.changed), []
        return changed

    def state(self, rule_id: int) -> RuleState:
        """The rule's state: most rules never fire, so most have none kept and are the default."""
        return self.states.get(rule_id, DEFAULT_STATE)

    def mute(self, rule_id: int, until: datetime | None) -> None:
        self.states[rule_id] = replace(self.state(rule_id), muted_until=until)

    def _rearm(self, rule_id: int, state: RuleState) -> None:
        self.states[rule_id] = replace(state, armed=True)
        self.changed.append(rule_id)

    def evaluate(
        self,
        observations: Mapping[ObservationKey, float],
        now: datetime,
        *,
        events: Iterable[BuiltInEvent] = (),
        percentiles: Mapping[tuple[ObservationKey, int], float] | None = None,
    ) -> list[Firing]:
        """Observations absent from the mapping (stale or degraded data) fire nothing."""
        firings: list[Firing] = []
        for (asset, metric, window, venue), value in observations.items():
            for owner in (asset, ALL_ASSETS):
                for op in (Op.ABOVE, Op.BELOW):
                    group = self._groups.get((owner, metric, window, venue, op))
                    if group is not None:
                        self._update_group(group, asset, value, now, firings)
                for rule_id in self._percentile.get((owner, metric, window, venue), ()):
                    self._check_percentile(rule_id, asset, value, now, percentiles, firings)
        for event in events:
            for owner in (event.asset, ALL_ASSETS):
                for rule_id in self._built_in.get((owner, event.metric, event.venue), ()):
                    self._try_fire(rule_id, event.asset, None, None, now, firings, event.stage)
        return firings

    def _update_group(
        self,
        group: _Group,
        asset: str,
        value: float,
        now: datetime,
        firings: list[Firing],
    ) -> None:
        v = group.key_of(value)
        # One float per distinct threshold, not one per rule: the firings keep it, and the
        # 489k of a cold start share a few dozen a group (users pick round thresholds).
        floats: dict[Decimal, float] = {}
        for rule_id in chain(group.passed_rearm(v), group.fresh):
            state = self.states.get(rule_id)
            if state is None or state.armed:
                continue
            if group.rearm_level(group.key_of(self._threshold(rule_id, floats))) >= v:
                self._rearm(rule_id, state)
        # A new rule is judged against the current value, not only against future moves.
        candidates = set(group.newly_satisfied(value)) | group.waiting | group.fresh
        group.waiting, group.fresh = set(), set()
        for rule_id in candidates:
            threshold = self._threshold(rule_id, floats)
            if group.key_of(threshold) >= v:
                continue  # not satisfied (any more)
            state = self.states.get(rule_id)
            if state is not None and not state.armed:
                continue  # fired and not yet re-armed
            if not self._try_fire(rule_id, asset, value, threshold, now, firings):
                group.waiting.add(rule_id)

    def _threshold(self, rule_id: int, floats: dict[Decimal, float]) -> float:
        threshold = self.rules[rule_id].spec.threshold
        assert threshold is not None and threshold.value is not None
        number = floats.get(threshold.value)
        if number is None:
            number = floats[threshold.value] = float(threshold.value)
        return number

    def _check_percentile(
        self,
        rule_id: int,
        asset: str,
        value: float,
        now: datetime,
        percentiles: Mapping[tuple[ObservationKey, int], float] | None,
        firings: list[Firing],
    ) -> None:
        spec = self.rules[rule_id].spec
        assert spec.threshold is not None and spec.threshold.percentile is not None
        level = (percentiles or {}).get(
            ((asset, spec.metric, spec.window, spec.venue), spec.threshold.percentile)
        )
        if level is None:
            return  # not enough history for this asset yet
        state = self.state(rule_id)
        above = spec.op is Op.ABOVE
        satisfied = value > level if above else value < level
        margin = _margin(spec.metric, level)
        armed = state.armed or (value <= level - margin if above else value >= level + margin)
        if armed and not state.armed:
            self._rearm(rule_id, state)
        if satisfied and armed:
            self._try_fire(rule_id, asset, value, level, now, firings)

    def _try_fire(
        self,
        rule_id: int,
        asset: str,
        value: float | None,
        threshold: float | None,
        now: datetime,
        firings: list[Firing],
        stage: str | None = None,
    ) -> bool:
        rule, state = self.rules[rule_id], self.states.get(rule_id)
        if state is not None and state.blocked(rule, now, stage):
            return False
        firings.append(Firing(rule, asset, value, threshold, stage))
        self.changed.append(rule_id)
        disarm = rule.spec.metric not in BUILT_IN
        if disarm and (state is None or (state.muted_until is None and state.stages is None)):
            self.states[rule_id] = self._fired_at(now)  # nothing of its own to keep
            return True
        state = state or DEFAULT_STATE
        stages = state.stages if stage is None else {**(state.stages or {}), stage: now}
        armed = state.armed and not disarm
        self.states[rule_id] = replace(state, armed=armed, last_fired=now, stages=stages)
        return True

    def _fired_at(self, now: datetime) -> RuleState:
        if self._just_fired is None or self._just_fired.last_fired != now:
            self._just_fired = RuleState(armed=False, last_fired=now)
        return self._just_fired
