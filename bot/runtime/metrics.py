"""Prometheus metrics: counters bumped where things happen, plus live readings (sender totals,
data age, leadership) collected at scrape time. One registry per process, not the global one,
so tests can run several bots in one interpreter."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.feed.freshness import VenueHealth
from bot.market.models import TickResult
from bot.runtime.supervisor import Supervisor

# *_created series double the output and no dashboard reads them. prometheus_client leaves this
# one function unannotated.
disable_created_metrics()  # type: ignore[no-untyped-call]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
DELIVERY_BUCKETS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)


@dataclass
class LiveState:
    """What the collector reads at scrape time; the runner fills the callables in."""

    is_leader: Callable[[], bool] = lambda: False
    sender_totals: Callable[[], dict[str, int]] = dict
    venue_health: Callable[[], dict[str, VenueHealth]] = dict
    tasks: Callable[[], Supervisor] = Supervisor
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


class _LiveCollector(Collector):
    def __init__(self, state: LiveState) -> None:
        self.state = state

    def collect(self) -> Iterable[Metric]:
        leader = GaugeMetricFamily("oiwatch_leader", "1 if this replica runs the jobs and sender")
        leader.add_metric([], 1.0 if self.state.is_leader() else 0.0)
        yield leader
        totals = self.state.sender_totals()
        sent = CounterMetricFamily("oiwatch_alerts_sent", "Alerts delivered to Telegram")
        sent.add_metric([], totals.get("sent", 0))
        yield sent
        failed = CounterMetricFamily(
            "oiwatch_alerts_failed", "Alert send attempts that failed", labels=["outcome"]
        )
        for outcome in ("retried", "dead"):
            failed.add_metric([outcome], totals.get(outcome, 0))
        yield failed
        gone = CounterMetricFamily(
            "oiwatch_chats_deactivated",
            "Chats whose rules were paused because Telegram refused them (blocked, chat gone)",
        )
        gone.add_metric([], totals.get("chats_deactivated", 0))
        yield gone
        paid = CounterMetricFamily(
            "oiwatch_paid_broadcast_sent",
            "Urgent alerts sent with allow_paid_broadcast (paid in Stars)",
        )
        paid.add_metric([], totals.get("paid", 0))
        yield paid
        today = GaugeMetricFamily(
            "oiwatch_paid_broadcast_today", "Paid messages spent of today's budget (UTC day)"
        )
        today.add_metric([], totals.get("paid_today", 0))
        yield today
        age = GaugeMetricFamily(
            "oiwatch_data_age_seconds",
            "Seconds since a venue last answered (never: since its first failed poll)",
            labels=["venue"],
        )
        now = self.state.clock()
        for venue, health in sorted(self.state.venue_health().items()):
            # A venue that never answered counts too, or `data_age > 600` would never fire
            # for a wrong URL or a venue refusing this host from the start.
            if (since := health.silent_since) is not None:
                age.add_metric([venue], (now - since).total_seconds())
        yield age
        yield from _task_metrics(self.state.tasks())


def _task_metrics(supervisor: Supervisor) -> Iterable[Metric]:
    up = GaugeMetricFamily("oiwatch_task_up", "1 while a background task runs", labels=["task"])
    restarts = CounterMetricFamily(
        "oiwatch_task_restarts", "Times a background task was restarted", labels=["task"]
    )
    success = GaugeMetricFamily(
        "oiwatch_task_last_success_timestamp_seconds",
        "When a background task last did its job (Unix time)",
        labels=["task"],
    )
    for name, state in sorted(supervisor.states.items()):
        up.add_metric([name], 1.0 if state.up else 0.0)
        restarts.add_metric([name], state.restarts)
        if state.last_success is not None:
            success.add_metric([name], state.last_success.timestamp())
    yield from (up, restarts, success)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.live = LiveState()
        self.registry.register(_LiveCollector(self.live))
        self.updates = Counter(
            "oiwatch_updates", "Telegram updates handled", ["kind"], registry=self.registry
        )
        self.command_seconds = Histogram(
            "oiwatch_command_seconds",
            "Time to handle one update, by command",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.alerts_queued = Counter(
            "oiwatch_alerts_queued", "Alerts written to the outbox", registry=self.registry
        )
        self.alert_delivery_seconds = Histogram(
            "oiwatch_alert_delivery_seconds",
            "From the evidence seen to Telegram accepting the alert, by priority",
            ["priority"],
            buckets=DELIVERY_BUCKETS,
            registry=self.registry,
        )
        self.venue_errors = Counter(
            "oiwatch_venue_errors", "Polls a venue failed", ["venue"], registry=self.registry
        )
        self._update_children: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
        self.tick_seconds = Histogram(
            "oiwatch_tick_seconds",
            "Wall time of one market poll, all venues",
            buckets=(0.25, 0.5, 1, 2, 5, 10, 20, 40, 60),
            registry=self.registry,
        )

    def observe_update(self, kind: str, command: str, seconds: float) -> None:
        # The labelled children once per (kind, command): `labels()` validates and locks on
        # every call, and this runs on every update. Both label sets are closed (the app
        # maps unknown commands to "other"), so the map stays small.
        children = self._update_children.get((kind, command))
        if children is None:
            children = self._update_children[kind, command] = (
                self.updates.labels(kind),
                self.command_seconds.labels(command),
            )
        counter, histogram = children
        counter.inc()
        histogram.observe(seconds)

    def observe_delivery(self, priority: str, seconds: float) -> None:
        self.alert_delivery_seconds.labels(priority).observe(seconds)

    def observe_tick(self, tick: TickResult, seconds: float) -> None:
        self.tick_seconds.observe(seconds)
        for venue in tick.degraded():
            self.venue_errors.labels(str(venue)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
