"""Process lifecycle: open the database, migrate, poll Telegram until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from telegram import Update

from bot.app import build_application, publish_menu
from bot.config import Settings
from bot.ratelimit import CommandLimiter
from bot.rules.matcher import Matcher
from bot.services import Services
from bot.watch_service import WatchService
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.repositories.channels import ChannelRepository
from storage.repositories.contacts import ContactRepository
from storage.repositories.rules import RuleRepository

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    engine = make_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        sessions = make_session_factory(engine)
        watch = WatchService(RuleRepository(sessions), Matcher(), settings.rules_per_chat)
        await watch.load()
        yield Services(
            settings=settings,
            contacts=ContactRepository(sessions),
            limiter=CommandLimiter(settings.command_rate_per_minute),
            watch=watch,
            channels=ChannelRepository(sessions),
        )
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
            await stop.wait()
            log.info("stopping")
            await app.updater.stop()
            await app.stop()


def run(settings: Settings) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(main())
