"""What handlers and jobs reach through the context: settings, repositories, limits.

Built complete, once, by `bot.runtime.runner.open_services` (the bot, `oiwatch ask` and the
tests all use it), so no field is ever missing and no user checks for None."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.alerts.watched_rules import WatchedRules
from bot.charts.service import PictureService
from bot.config import Settings
from bot.feed.market_feed import MarketFeed
from bot.risk.tiers import TierBook, load_default_tiers
from bot.runtime.health import HealthCheck
from bot.runtime.metrics import Metrics
from bot.runtime.ratelimit import CommandLimiter
from bot.runtime.supervisor import Supervisor
from bot.scheduler.leader import LeaderLock
from bot.usecases.channels import ChannelService
from bot.usecases.edits import CommandOrigins
from bot.usecases.market_data import MarketService
from bot.usecases.positions import PositionService
from bot.usecases.quotes import QuoteService
from bot.usecases.settings import SettingsService
from bot.usecases.watches import WatchService
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.contacts import ContactRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.saved_state import SavedStateRepository


@dataclass
class Services:
    settings: Settings
    contacts: ContactRepository
    limiter: CommandLimiter
    inline_limiter: CommandLimiter
    watched: WatchedRules  # the rules the pipeline evaluates, in step with the database
    watch: WatchService  # /watch, /watches, /unwatch and the rest
    positions: PositionService
    origins: CommandOrigins  # what each /watch and /pos add made: an edit of it changes that
    channels: ChannelService  # /channel, and @channel in /watch and its kin
    feed: MarketFeed  # the core's market data: polls, streams, what is current
    market: MarketService  # the lookups behind /oi, live /liq, /funding and /pos
    quotes: QuoteService
    outbox: OutboxRepository
    pictures: PictureService
    chat_settings: ChatSettingsRepository
    chat_preferences: SettingsService  # /settings
    saved_state: SavedStateRepository  # the leader's state between ticks (the cascade tracker)
    health: HealthCheck
    leader: LeaderLock
    metrics: Metrics = field(default_factory=Metrics)
    leading: bool = False  # this replica holds the leader lock (runs jobs and sender)
    tasks: Supervisor = field(default_factory=Supervisor)  # the leader's background tasks
    # Bundled, dated tier tables, replaced per symbol by live ones once refreshed.
    tiers: TierBook = field(default_factory=load_default_tiers)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group Telegram turned into a supergroup: its rules, settings and alerts not yet
        sent live under the new id from now on. Told by the group's service message or by a
        send refused for it; the second time finds nothing left to move."""
        await self.watch.migrate_chat(old_chat_id, new_chat_id)
        await self.chat_settings.rewrite_chat(old_chat_id, new_chat_id)
        await self.outbox.rewrite_chat(old_chat_id, new_chat_id)
