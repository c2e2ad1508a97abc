"""What handlers and jobs reach through the context: settings, repositories, limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.charts.service import PictureService
from bot.config import Settings
from bot.positions.service import PositionService
from bot.risk.tiers import TierBook, load_default_tiers
from bot.runtime.health import HealthCheck
from bot.runtime.metrics import Metrics
from bot.runtime.ratelimit import INLINE_PER_COMMAND, CommandLimiter
from bot.runtime.supervisor import Supervisor
from bot.scheduler.leader import LeaderLock
from bot.usecases.market_data import MarketService
from bot.usecases.watches import WatchService
from storage.repositories.channels import ChannelRepository
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.contacts import ContactRepository
from storage.repositories.outbox import OutboxRepository


@dataclass
class Services:
    settings: Settings
    contacts: ContactRepository | None = None
    limiter: CommandLimiter = field(default_factory=lambda: CommandLimiter(30))
    inline_limiter: CommandLimiter = field(
        default_factory=lambda: CommandLimiter(30 * INLINE_PER_COMMAND)
    )
    watch: WatchService | None = None
    positions: PositionService | None = None
    channels: ChannelRepository | None = None
    market: MarketService | None = None
    outbox: OutboxRepository | None = None
    pictures: PictureService | None = None
    chat_settings: ChatSettingsRepository | None = None
    metrics: Metrics = field(default_factory=Metrics)
    health: HealthCheck | None = None
    leader: LeaderLock | None = None
    leading: bool = False  # this replica holds the leader lock (runs jobs and sender)
    tasks: Supervisor = field(default_factory=Supervisor)  # the leader's background tasks
    # Bundled, dated tier tables, replaced per symbol by live ones once refreshed.
    tiers: TierBook = field(default_factory=load_default_tiers)
