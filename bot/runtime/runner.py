"""Process lifecycle: open the database, migrate, poll Telegram until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.alerts.pipeline import TRACKER_STATE, AlertPipeline
from bot.alerts.saved_tracker import SavedTracker
from bot.alerts.watched_rules import WatchedRules
from bot.app import TelegramApp, broadcast_bot, build_application, publish_menu
from bot.charts.service import PictureService
from bot.config import RunMode, Settings
from bot.delivery.channels import resolve_channels
from bot.delivery.sender import Sender
from bot.errors import StartupError
from bot.feed.market_feed import MarketFeed
from bot.market.collector import Collector, poll_deadline
from bot.market.models import Venue
from bot.market.venues.registry import make_fetchers
from bot.positions.guard import PositionGuard
from bot.positions.job import GuardJob
from bot.positions.market_watch import TRACKER_STATE as GUARD_TRACKER_STATE
from bot.positions.market_watch import MarketWatch
from bot.runtime.health import HealthCheck
from bot.runtime.ratelimit import INLINE_PER_COMMAND, CommandLimiter
from bot.runtime.startup import (
    bot_api_refused,
    bot_api_unreachable,
    migrated_engine,
    ptb_request_log_muted,
    token_refused,
)
from bot.runtime.supervisor import Supervisor
from bot.runtime.web import build_web_app
from bot.scheduler.jobs import start_market_jobs
from bot.scheduler.leader import LeaderLock
from bot.services import Services
from bot.signals.events import CascadeTracker
from bot.usecases.channels import ChannelService
from bot.usecases.edits import CommandOrigins
from bot.usecases.market_data import MarketService
from bot.usecases.positions import PositionService
from bot.usecases.quotes import QuoteService
from bot.usecases.settings import SettingsService
from bot.usecases.watches import WatchService
from storage.db import make_session_factory
from storage.repositories.channels import ChannelRepository
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.contacts import ContactRepository
from storage.repositories.origins import OriginRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.positions import PositionRepository
from storage.repositories.rules import RuleRepository
from storage.repositories.saved_state import SavedStateRepository
from storage.repositories.snapshots import SnapshotRepository

log = logging.getLogger(__name__)

TIER_REFRESH_TIMEOUT_S = 300.0
SENDER_MIN_STALE = timedelta(seconds=3)


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    async with migrated_engine(settings.database_url) as engine:
        sessions = make_session_factory(engine)
        watched = WatchedRules(RuleRepository(sessions))
        outbox = OutboxRepository(sessions)
        watch = WatchService(watched, settings.rules_per_chat, outbox)
        leader = LeaderLock(engine, settings.leader_retry)
        if not leader.shared:
            # One process: it leads from the start. Replicas load rules when they take over,
            # so followers do not hold every rule in memory for nothing.
            await watched.load()
        snapshots = SnapshotRepository(sessions)
        collector = (
            Collector(
                make_fetchers(settings.endpoints, [Venue(v) for v in settings.venues]),
                settings.symbols,
                deadline_s=poll_deadline(settings.poll_seconds),
            )
            if settings.venues
            else None
        )
        feed = MarketFeed(
            snapshots,
            collector,
            {s.upper() for s in settings.symbols} | set(await snapshots.assets()),
        )
        market = MarketService(feed)
        quiet = timedelta(minutes=settings.cascade_quiet_minutes)
        pictures = PictureService(feed, quiet=quiet)
        contacts = ContactRepository(sessions)
        chat_settings = ChatSettingsRepository(sessions)
        # The closures read the container built just below: tiers, leadership and tasks
        # change while the process runs.
        positions = PositionService(
            PositionRepository(sessions),
            market,
            lambda: services.tiers,
            settings.default_mmr,
            settings.positions_per_user,
        )
        health = HealthCheck(
            sessions,
            snapshots,
            list(settings.venues),
            is_leader=lambda: services.leading,
            clock=feed.clock,
            fresh=feed.venue_fresh,
            tasks=lambda: services.tasks,
        )
        services = Services(
            settings=settings,
            contacts=contacts,
            limiter=CommandLimiter(settings.command_rate_per_minute),
            inline_limiter=CommandLimiter(settings.command_rate_per_minute * INLINE_PER_COMMAND),
            watched=watched,
            watch=watch,
            positions=positions,
            origins=CommandOrigins(OriginRepository(sessions)),
            channels=ChannelService(ChannelRepository(sessions), watch),
            feed=feed,
            market=market,
            quotes=QuoteService(market, lambda: services.tiers, settings.default_mmr),
            outbox=outbox,
            pictures=pictures,
            chat_settings=chat_settings,
            chat_preferences=SettingsService(chat_settings, watch),
            saved_state=SavedStateRepository(sessions),
            health=health,
            leader=leader,
        )
        live = services.metrics.live
        live.is_leader = lambda: services.leading
        live.venue_health = lambda: feed.health
        live.tasks = lambda: services.tasks
        try:
            yield services
        finally:
            await contacts.aclose()
            pictures.close()
            if collector is not None:
                await collector.aclose()


async def serve(settings: Settings, stop: asyncio.Event, *, poll_timeout: int = 10) -> None:
    """Everything `oiwatch run` does; tests call it with their own stop event.

    Every replica answers updates (webhook mode; in polling mode only the leader may call
    getUpdates) and serves /healthz and /metrics; the leader alone runs the jobs and sender."""
    async with open_services(settings) as services:
        app = build_application(settings, services, metrics=services.metrics)
        try:
            with ptb_request_log_muted():
                await app.initialize()  # getMe: a refused token or a wrong URL shows here
        except InvalidToken as error:
            raise token_refused(settings.telegram_api_url, error) from None
        except NetworkError as error:
            raise bot_api_unreachable(settings.telegram_api_url, error) from None
        except TelegramError as error:
            raise bot_api_refused(settings.telegram_api_url, error) from None
        async with app:
            await app.start()
            _freeze_long_lived()
            try:
                async with http_server(settings, services, app):
                    await lead(settings, services, app, stop, poll_timeout)
            finally:
                await app.stop()
        log.info("stopped")


def _freeze_long_lived() -> None:
    """What start-up built (modules, catalogs, tiers, the rule index) lives as long as the
    process, and what taking the lead loads (guarded positions) as long as the leadership: out
    of the collector's sight, a full collection walks only what commands and ticks allocate
    since. Frozen objects are still freed when their last reference goes; only cycles among
    them would stay (the guard's positions are plain rows). Unfrozen, a full collection of the
    ~130 MB start-up heap stopped the loop for 200+ ms (every command queued behind it,
    bench/bench_load.py; paid broadcast held back by a fifth, bench/bench_fanout.py), and one
    over 100,000 guarded positions made every ~16th guard tick 220 ms (bench/bench_positions.py)."""
    gc.collect()
    gc.freeze()


async def lead(
    settings: Settings, services: Services, app: TelegramApp, stop: asyncio.Event, poll_timeout: int
) -> None:
    """Follower until the leader lock is ours, leader until it is lost or we stop; again."""
    lock, watched = services.leader, services.watched
    webhook = settings.mode is RunMode.WEBHOOK
    while await lock.acquire(stop):
        services.leading = True
        try:
            if lock.shared:
                await watched.reload()  # rules other replicas changed while we followed
            # Token-wide settings belong to the leader: the command menu and the webhook.
            await publish_menu(app)
            if webhook:
                url, secret = settings.require_webhook()
                await app.bot.set_webhook(
                    url, secret_token=secret, allowed_updates=Update.ALL_TYPES
                )
                log.info("oiwatch leads; webhook set for @%s", app.bot.username)
            else:
                assert app.updater is not None
                await app.updater.start_polling(
                    timeout=poll_timeout,
                    allowed_updates=Update.ALL_TYPES,
                    drop_pending_updates=False,
                )
                log.info("oiwatch leads, polling as @%s", app.bot.username)
            leading = asyncio.Event()
            async with (
                broadcast_bot(settings) as sender_bot,
                background(settings, services, sender_bot, leading),
            ):
                await lock.hold(stop)
                log.info("stopping" if stop.is_set() else "leadership lost")
        except (TelegramError, OSError) as error:
            # Telegram unreachable while taking over: hand the lock back and try again, rather
            # than end the process (another replica may do better meanwhile).
            # Telegram's own words say what to fix ("bad webhook: Failed to resolve host").
            log.error("could not start leading (%s: %s); retrying", type(error).__name__, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), lock.retry_s)
        finally:
            services.leading = False
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await lock.release()


@contextlib.asynccontextmanager
async def http_server(
    settings: Settings, services: Services, app: TelegramApp
) -> AsyncIterator[None]:
    """/healthz, /metrics and the webhook on OIWATCH_HTTP_PORT (0: none)."""
    if settings.http_port == 0:
        yield
        return
    webhook_path = secret = None
    if settings.mode is RunMode.WEBHOOK:
        url, secret = settings.require_webhook()
        webhook_path = urlsplit(url).path or "/"

    async def on_update(data: dict[str, Any]) -> None:
        await app.update_queue.put(Update.de_json(data, app.bot))

    web_app = build_web_app(
        services.health,
        services.metrics,
        webhook_path=webhook_path,
        secret=secret,
        on_update=on_update,
    )
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        except OSError as error:
            # asyncio's strerror repeats the address: "error while attempting to bind on ...: x"
            reason = str(error.strerror or error).rsplit(": ", 1)[-1]
            if webhook_path is not None:  # without the port no update can arrive
                raise StartupError(
                    f"cannot listen on {settings.http_host}:{settings.http_port} "
                    f"({reason}): webhook mode needs it; set OIWATCH_HTTP_PORT to a "
                    "free port"
                ) from None
            # Polling still works: say so plainly rather than die over a busy port.
            log.error(
                "cannot listen on %s:%d (%s): /healthz and /metrics are off; "
                "set OIWATCH_HTTP_PORT to a free port or 0",
                settings.http_host,
                settings.http_port,
                reason,
            )
        else:
            log.info("http on %s:%d", settings.http_host, settings.http_port)
        yield
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def background(
    settings: Settings, services: Services, bot: Bot, stop: asyncio.Event
) -> AsyncIterator[None]:
    """The outbox sender, the market poll, the alert pipeline, pruning, the tier refresh and
    the liquidation streams, each supervised, for as long as this replica leads."""
    watch, outbox, feed = services.watch, services.outbox, services.feed
    wake = asyncio.Event()
    tasks = services.tasks = Supervisor()
    stale_after = timedelta(seconds=settings.stuck_seconds)

    sender = Sender(
        bot,
        outbox,
        on_chat_gone=lambda chat_id: watch.pause_chat(chat_id, True),
        on_chat_migrated=services.migrate_chat,
        paid_per_day=settings.paid_broadcast_per_day,
        on_delivered=services.metrics.observe_delivery,
        chat_settings=services.chat_settings,
    )
    live = services.metrics.live
    live.sender_totals = lambda: {
        **vars(sender.stats),
        "paid_today": sender.budget.spent if sender.budget is not None else 0,
    }
    tasks.spawn(
        "sender",
        lambda: sender.run(stop, wake),
        stop,
        # An idle sender looks at the outbox every second: three missed looks at least.
        stale_after=max(stale_after, SENDER_MIN_STALE),
        progress=lambda: sender.last_drained,
    )
    if feed.collector is not None:
        pipeline = AlertPipeline(
            feed,
            services.watched,
            outbox,
            wake,
            chat_settings=services.chat_settings,
            tracker=CascadeTracker(quiet=timedelta(minutes=settings.cascade_quiet_minutes)),
            saved=SavedTracker(services.saved_state, TRACKER_STATE),
            channels=await resolve_channels(bot, settings.broadcast_channels),
        )
        guard = await GuardJob.loaded(
            PositionGuard(
                services.positions.repository,
                outbox,
                wake,
                lambda: services.tiers,
                settings.default_mmr,
                clock=feed.clock,
                blind_after=timedelta(seconds=settings.position_blind_seconds),
                chat_settings=services.chat_settings,
                contacts=services.contacts,
            ),
            MarketWatch(feed, saved=SavedTracker(services.saved_state, GUARD_TRACKER_STATE)),
        )
        _freeze_long_lived()

        async def after_poll() -> None:
            services.metrics.alerts_queued.inc(await pipeline.after_poll())
            services.metrics.alerts_queued.inc(await guard.tick())

        start_market_jobs(
            tasks,
            feed,
            stop,
            poll_seconds=settings.poll_seconds,
            retention=timedelta(days=settings.snapshot_retention_days),
            outbox=outbox,
            outbox_retention=timedelta(days=settings.outbox_retention_days),
            origins=services.origins.repository,
            stale_after=stale_after,
            after_poll=after_poll,
            on_tick=services.metrics.observe_tick,
            full_resolution=timedelta(days=settings.snapshot_full_resolution_days),
        )
        tiered = [venue for venue in feed.collector.fetchers if venue.has.tiers]
        if tiered:
            assets = [asset.upper() for asset in settings.symbols]

            async def refresh_tiers() -> None:
                tables = []
                for venue in tiered:
                    tables += await venue.tiers(assets)
                services.tiers = services.tiers.with_live(tables)
                log.info("tier tables refreshed: %d", len(tables))

            day = timedelta(hours=24).total_seconds()
            tasks.every("tiers", day, refresh_tiers, stop, timeout=TIER_REFRESH_TIMEOUT_S)
        if settings.liquidation_streams:
            for consumer in feed.streams():
                tasks.spawn(
                    f"stream_{consumer.venue}_{consumer.stream.name}",
                    functools.partial(consumer.run, stop),
                    stop,
                    progress=functools.partial(getattr, consumer, "last_frame_at"),
                )
    try:
        yield
    finally:
        stop.set()
        # The sender finishes the message in flight; everything else stays in the outbox.
        await tasks.wait(grace_s=10)
        services.tasks = Supervisor()  # a follower runs nothing


def run(settings: Settings) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
