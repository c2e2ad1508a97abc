"""SQLModel tables. Telegram ids exceed 32 bits (channels: -100...), hence BigInteger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.digest import Digest
from storage.types import DecimalText, DigestAlerts, IdList, UTCDateTime

# Buttons and the rule change log's cursor name rows by id long after they are gone: SQLite
# must never hand a deleted row's id to a new one (see migration 0013).
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    username: str | None = Field(default=None, max_length=64)
    first_name: str | None = Field(default=None, max_length=128)
    language_code: str | None = Field(default=None, max_length=16)
    first_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Chat(SQLModel, table=True):
    __tablename__ = "chats"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    type: str = Field(max_length=16)
    title: str | None = Field(default=None, max_length=256)
    username: str | None = Field(default=None, max_length=64)
    active: bool = True
    first_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class MarketSnapshot(SQLModel, table=True):
    """One venue instrument at one tick. Floats: series feed statistics, not money."""

    __tablename__ = "market_snapshots"
    __table_args__ = (
        UniqueConstraint("venue", "symbol", "ts", name="uq_snapshot_venue_symbol_ts"),
        Index("ix_snapshot_asset_ts", "asset", "ts"),
    )

    # SQLite only autoincrements an INTEGER primary key; PostgreSQL gets a 64-bit one.
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    ts: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    venue: str = Field(max_length=24)
    symbol: str = Field(max_length=40)
    asset: str = Field(max_length=24)
    inverse: bool = False
    mark: float
    index_price: float | None = None
    last: float | None = None
    oi_contracts: float
    oi_coin: float
    oi_usd: float
    funding_rate: float | None = None
    funding_interval_hours: int | None = None
    next_funding_time: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    volume_24h_coin: float | None = None
    volume_24h_usd: float | None = None


class LiquidationMinute(SQLModel, table=True):
    """Forced closes per venue, asset and minute: USD of longs and of shorts liquidated."""

    __tablename__ = "liquidation_minutes"

    venue: str = Field(max_length=24, primary_key=True)
    asset: str = Field(max_length=24, primary_key=True)
    minute: datetime = Field(sa_column=Column(UTCDateTime, primary_key=True))
    long_usd: float = 0.0
    short_usd: float = 0.0
    events: int = 0


class KlineMinuteRow(SQLModel, table=True):
    """One venue's 1-minute kline of an asset: the bar's range, volume and taker buy volume
    (coins), which the poll does not give. The newest frame of a minute overwrites the row."""

    __tablename__ = "kline_minutes"

    venue: str = Field(max_length=24, primary_key=True)
    asset: str = Field(max_length=24, primary_key=True)
    minute: datetime = Field(sa_column=Column(UTCDateTime, primary_key=True))
    open: float
    high: float
    low: float
    close: float
    volume: float
    taker_buy: float


class WatchRuleRow(SQLModel, table=True):
    """A chat's watch rule, with its matcher state persisted so restarts neither repeat nor
    drop alerts."""

    __tablename__ = "watch_rules"
    __table_args__ = (Index("ix_rule_chat", "chat_id"), IDS_NEVER_REUSED)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    text: str = Field(max_length=120)  # normalized rule text; parsed again on load
    paused: bool = False  # the bot was removed or blocked in that chat
    armed: bool = True
    last_fired: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    muted_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    cooldown_s: int = 1800
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # One more each time its text changes: what a tick made of an older one (its alerts, its
    # armed state) is of a threshold the trader moved, and is not stored (OutgoingAlert.revisions,
    # RuleStateRow.revision).
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RuleChange(SQLModel, table=True):
    """Which rules changed, in order: the leader tails this to keep its matcher in step with
    rules that other replicas added, removed, muted or paused."""

    __tablename__ = "rule_changes"
    __table_args__ = IDS_NEVER_REUSED

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    rule_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    changed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class OutboxMessage(SQLModel, table=True):
    """Every alert is written here before it is sent; the sender drains it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "due_at"),
        Index("ix_outbox_chat_status", "chat_id", "status"),
        Index("ix_outbox_chat_thread", "chat_id", "thread"),
        UniqueConstraint("dedup_key", name="uq_outbox_dedup"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    dedup_key: str = Field(max_length=128)
    text: str
    reply_markup: str | None = None  # JSON, as the Bot API takes it
    status: str = Field(default="pending", max_length=12)  # repositories.outbox.OutboxStatus
    attempts: int = 0
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    last_error: str | None = Field(default=None, max_length=200)
    priority: str = Field(default="normal", max_length=8)  # bot.delivery.priority.Priority
    thread: str | None = Field(default=None, max_length=128)  # replies go to its first message
    silent: bool = False  # sent with disable_notification
    seen_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))  # evidence
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))  # lease
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger))  # Telegram's
    paid: bool = False  # sent with allow_paid_broadcast (counts against the daily budget)
    # The watch rules it is for (NULL: none, as an operator's broadcast post): removing rules
    # (/unwatch, a channel unlinked) drops their alerts and leaves the rest.
    rules: tuple[int, ...] = Field(default=(), sa_column=Column(IdList))
    # A held digest's alerts one by one (`text` is them merged), so the alerts of removed
    # rules can leave it; NULL for any other row and for digests held before migration 0012.
    digest: Digest | None = Field(default=None, sa_column=Column(DigestAlerts))


class ChannelLink(SQLModel, table=True):
    """A user proved they administer a channel the bot posts in: they manage its rules."""

    __tablename__ = "channel_links"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    channel_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    username: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=256)
    linked_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ChatSettings(SQLModel, table=True):
    """Per-chat preferences from /settings: quiet hours in the chat's time zone (non-urgent
    alerts held for a digest) and the cooldown new rules get."""

    __tablename__ = "chat_settings"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    timezone: str = Field(default="UTC", max_length=64)
    quiet_start: int | None = None  # minute of the day, local time
    quiet_end: int | None = None
    cooldown_s: int = 1800
    language: str | None = Field(default=None, max_length=8)  # /settings lang; None: automatic


class PositionRow(SQLModel, table=True):
    """A position a user asked the guard to watch: their claim, not exchange data, with the
    guard's state (levels sent, funding counted) so a restart or failover repeats nothing."""

    __tablename__ = "positions"
    __table_args__ = (
        Index("ix_position_user", "user_id", "active"),
        Index("ix_position_updated", "updated_at"),
        IDS_NEVER_REUSED,
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    asset: str = Field(max_length=24)
    side: str = Field(max_length=8)
    entry: Decimal = Field(sa_column=Column(DecimalText, nullable=False))
    leverage: Decimal = Field(sa_column=Column(DecimalText, nullable=False))
    size: Decimal = Field(sa_column=Column(DecimalText, nullable=False))
    venue: str | None = Field(default=None, max_length=16)
    margin_mode: str = Field(default="isolated", max_length=12)
    cross_balance: Decimal | None = Field(default=None, sa_column=Column(DecimalText))
    levels: str = Field(default="5,2,1", max_length=48)  # % from liquidation, widest first
    funding_level: Decimal = Field(sa_column=Column(DecimalText, nullable=False))
    settlement_cost: Decimal | None = Field(default=None, sa_column=Column(DecimalText))
    active: bool = True  # closed positions stay as rows so other replicas see the close
    version: int = 1
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    snoozed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    levels_sent: int = 0
    funding_sent: bool = False
    funding_paid: Decimal = Field(sa_column=Column(DecimalText, nullable=False))
    funding_seen: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    liq_told: Decimal | None = Field(default=None, sa_column=Column(DecimalText))


class SavedState(SQLModel, table=True):
    """State the leader keeps between ticks that a restart must not lose, as one JSON document
    per name (the cascade tracker's open events: bot/signals/event_state.py)."""

    __tablename__ = "saved_state"

    name: str = Field(max_length=32, primary_key=True)
    data: str
    saved_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class CommandOrigin(SQLModel, table=True):
    """What a user's command message made (a /watch's rule, a /pos add's position): Telegram
    sends an edited message again, and the edit changes that rule or position instead of
    adding another. Kept after the rule or position goes, so the edit can say it is gone, until
    the prune job forgets it (bot.scheduler.jobs.ORIGIN_RETENTION)."""

    __tablename__ = "command_origins"

    # The chat the message was sent in: not always the rule's (a linked channel's rules are
    # made in a private chat). Message ids count per chat.
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    message_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=8, primary_key=True)  # storage.repositories.origins.Made
    made_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
