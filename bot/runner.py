"""Process lifecycle: open the database, migrate, poll Telegram until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from telegram import Bot, Update

from bot.alerts.pipeline import AlertPipeline
from bot.app import build_application, publish_menu
from bot.charts.service import PictureService
from bot.config import Settings
from bot.delivery.sender import Sender
from bot.market.collector import Collector, make_fetchers
from bot.market.models import Venue
from bot.market.okx import OkxFetcher
from bot.market.tier_refresh import bybit_tiers, okx_tiers
from bot.market_service import MarketService
from bot.ratelimit import CommandLimiter
from bot.rules.matcher import Matcher
from bot.scheduler.jobs import build_scheduler
from bot.services import Services
from bot.watch_service import WatchService
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.repositories.channels import ChannelRepository
from storage.repositories.contacts import ContactRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.rules import RuleRepository
from storage.repositories.snapshots import SnapshotRepository

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    engine = make_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        sessions = make_session_factory(engine)
        watch = WatchService(RuleRepository(sessions), Matcher(), settings.rules_per_chat)
        await watch.load()
        snapshots = SnapshotRepository(sessions)
        collector = (
            Collector(
                make_fetchers(settings.endpoints, [Venue(v) for v in settings.venues]),
                settings.symbols,
            )
            if settings.venues
            else None
        )
        market = MarketService(
            snapshots,
            collector,
            {s.upper() for s in settings.symbols} | set(await snapshots.assets()),
        )
        pictures = PictureService(market)
        try:
            yield Services(
                settings=settings,
                contacts=ContactRepository(sessions),
                limiter=CommandLimiter(settings.command_rate_per_minute),
                watch=watch,
                channels=ChannelRepository(sessions),
                market=market,
                outbox=OutboxRepository(sessions),
                pictures=pictures,
            )
        finally:
            pictures.close()
            if collector is not None:
                await collector.aclose()
    finally:
        await engine.dispose()


async def serve(settings: Settings, stop: asyncio.Event, *, poll_timeout: int = 10) -> None:
    """Everything `oiwatch run` does; tests call it with their own stop event."""
    async with open_services(settings) as services:
        app = build_application(settings, services)
        async with app:
            await publish_menu(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=poll_timeout, allowed_updates=Update.ALL_TYPES, drop_pending_updates=False
            )
            log.info("oiwatch is polling as @%s", app.bot.username)
            async with background(settings, services, app.bot, stop):
                await stop.wait()
                log.info("stopping")
            await app.updater.stop()
            await app.stop()


@contextlib.asynccontextmanager
async def background(
    settings: Settings, services: Services, bot: Bot, stop: asyncio.Event
) -> AsyncIterator[None]:
    """The outbox sender, the market poll schedule (with the alert pipeline after each poll)
    and the liquidation streams, for as long as the bot runs."""
    watch, outbox, market = services.watch, services.outbox, services.market
    assert watch is not None and outbox is not None
    wake = asyncio.Event()
    sender = Sender(
        bot,
        outbox,
        on_chat_gone=lambda chat_id: watch.pause_chat(chat_id, True),
        on_chat_migrated=watch.migrate_chat,
    )
    tasks = [asyncio.create_task(sender.run(stop, wake))]
    scheduler = None
    if market is not None and market.collector is not None:
        pipeline = AlertPipeline(market, watch, outbox, wake)
        scheduler = build_scheduler(
            market,
            settings.poll_seconds,
            timedelta(days=settings.snapshot_retention_days),
            after_poll=pipeline.after_poll,
            full_resolution=timedelta(days=settings.snapshot_full_resolution_days),
        )
        by_venue = {f.venue: f for f in market.collector.fetchers}
        bybit, okx = by_venue.get(Venue.BYBIT), by_venue.get(Venue.OKX)
        if bybit is not None or okx is not None:
            assets = [asset.upper() for asset in settings.symbols]

            async def refresh_tiers() -> None:
                tables = []
                if bybit is not None:
                    tables += await bybit_tiers(bybit.client, [f"{a}USDT" for a in assets])
                if isinstance(okx, OkxFetcher):
                    tables += await okx_tiers(okx, assets)
                services.tiers = services.tiers.with_live(tables)
                log.info("tier tables refreshed: %d", len(tables))

            scheduler.add_job(
                refresh_tiers,
                "interval",
                hours=24,
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
                id="tiers",
            )
        scheduler.start()
        if settings.liquidation_streams:
            consumers = market.streams(settings.binance_ws_url, settings.bybit_ws_url)
            tasks.append(asyncio.create_task(market.run_streams(consumers, stop)))
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        stop.set()
        # The sender finishes the message in flight; everything else stays in the outbox.
        await asyncio.wait(tasks, timeout=10)


def run(settings: Settings) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
