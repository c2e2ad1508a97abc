"""A guarded position: what the user claimed (not exchange data) and what the guard remembers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.market.venues.registry import DEFAULT_VENUES
from bot.risk.models import LiqRequest, MarginMode
from bot.risk.quote import SUPPORTED_VENUES
from bot.risk.side import Side

DEFAULT_LEVELS = (Decimal(5), Decimal(2), Decimal(1))  # % from liquidation
DEFAULT_FUNDING_LEVEL = Decimal("0.0005")  # 0.05 % per 8 h paid by the position
GUARD_VENUES = DEFAULT_VENUES
RISK_VENUES = SUPPORTED_VENUES  # venues whose own formula and tiers bot.risk knows


@dataclass(frozen=True, slots=True)
class PositionClaim:
    """A position as the user told it. No API keys: the bot cannot see the real one."""

    asset: str
    side: Side
    entry: Decimal
    leverage: Decimal
    size: Decimal  # base coin
    venue: str | None = None  # one of GUARD_VENUES; None: the venue with the most OI
    margin_mode: MarginMode = MarginMode.ISOLATED
    cross_balance: Decimal | None = None
    levels: tuple[Decimal, ...] = DEFAULT_LEVELS  # descending
    funding_level: Decimal = DEFAULT_FUNDING_LEVEL
    settlement_cost: Decimal | None = None  # USD: alert when the next settlement costs more

    @property
    def symbol(self) -> str:
        return f"{self.asset}USDT"

    @property
    def risk_venue(self) -> str | None:
        """Hyperliquid has no formula in bot.risk: its positions use the generic one."""
        return self.venue if self.venue in RISK_VENUES else None

    def liq_request(self, mark: Decimal | None = None) -> LiqRequest:
        return LiqRequest(
            entry=self.entry,
            leverage=self.leverage,
            side=self.side,
            mark=mark,
            venue=self.risk_venue,
            symbol=self.symbol,
            size=self.size,
            margin_mode=self.margin_mode,
            cross_balance=self.cross_balance,
        )


@dataclass(slots=True)
class GuardState:
    """What the guard has told the owner, persisted so a restart or failover repeats nothing."""

    levels_sent: int = 0  # how many of the levels (from the widest) were alerted this episode
    funding_sent: bool = False
    funding_paid: Decimal = Decimal(0)  # signed cash to the holder since the position was added
    funding_seen: datetime | None = None  # the last settlement counted
    liq_told: Decimal | None = None  # the liquidation price the owner last heard
    snoozed_until: datetime | None = None


@dataclass(slots=True)
class GuardedPosition:
    id: int
    user_id: int
    chat_id: int  # the owner's private chat: alerts never go anywhere else
    claim: PositionClaim
    created_at: datetime
    version: int = 1  # bumped by every user change; the guard re-reads a changed row
    state: GuardState = field(default_factory=GuardState)

    def snoozed(self, now: datetime) -> bool:
        return self.state.snoozed_until is not None and self.state.snoozed_until > now
