"""Settings from the environment (prefix OIWATCH_); the token is a SecretStr so it never prints."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.market import binance as binance_defaults
from bot.market import bybit as bybit_defaults
from bot.market import hyperliquid as hyperliquid_defaults
from bot.market import okx as okx_defaults
from bot.market.collector import DEFAULT_ASSETS, MarketEndpoints

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"


class RunMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


CHANNEL_ENTRY = re.compile(r"(?P<asset>[A-Z0-9]{1,20}|\*)=(?P<channel>@[A-Za-z][A-Za-z0-9_]{4,31})")


def parse_channels(text: str) -> dict[str, str]:
    """'BTC=@oiwatch_btc,*=@oiwatch_all' -> {'BTC': '@oiwatch_btc', '*': '@oiwatch_all'}."""
    channels: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        asset, _, channel = entry.partition("=")
        match = CHANNEL_ENTRY.fullmatch(f"{asset.strip().upper()}={channel.strip()}")
        if match is None:
            raise ValueError(
                f"{entry!r} is not ASSET=@channel, e.g. BTC=@oiwatch_btc,*=@oiwatch_all"
            )
        channels[match["asset"]] = match["channel"]
    return channels


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OIWATCH_", extra="ignore")

    telegram_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather; required by `oiwatch run`."
    )
    telegram_api_url: str = Field(
        default=DEFAULT_TELEGRAM_API_URL,
        description="Bot API base URL (PTB base_url): a local Bot API server or a test fake.",
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///oiwatch.db",
        description="SQLAlchemy async URL; SQLite file in the working directory by default.",
    )
    mode: RunMode = RunMode.POLLING
    log_level: str = "INFO"
    log_json: bool = Field(
        default=False, description="One JSON object per log line (ts, level, logger, msg, exc)."
    )
    default_mmr: Decimal = Field(
        default=Decimal("0.005"),
        description="Maintenance margin rate for /liq when no venue or mmr= is given.",
    )
    command_rate_per_minute: int = Field(
        default=30, description="Commands one user may send per minute before a polite refusal."
    )
    rules_per_chat: int = Field(default=50, description="Most watch rules one chat may hold.")
    positions_per_user: int = Field(
        default=20, description="Most positions one user may have the guard watch."
    )
    position_blind_seconds: float = Field(
        default=60.0,
        description="Seconds with no venue answering for an asset before the guard says it "
        "is blind.",
    )
    venues: Annotated[list[str], NoDecode] = Field(
        default=["binance", "bybit", "okx", "hyperliquid"],
        description="Venues polled, comma-separated; empty turns market data off.",
    )
    symbols: Annotated[list[str], NoDecode] = Field(
        default=list(DEFAULT_ASSETS), description="Assets polled (BTC,ETH,...), comma-separated."
    )
    poll_seconds: float = Field(default=60.0, description="Seconds between market polls.")
    binance_url: str = binance_defaults.DEFAULT_URL
    binance_coinm_url: str = binance_defaults.COINM_URL
    bybit_url: str = bybit_defaults.DEFAULT_URL
    okx_url: str = okx_defaults.DEFAULT_URL
    hyperliquid_url: str = hyperliquid_defaults.DEFAULT_URL
    binance_ws_url: str = MarketEndpoints.binance_ws
    binance_kline_ws_url: str = MarketEndpoints.binance_kline_ws
    bybit_ws_url: str = MarketEndpoints.bybit_ws
    okx_ws_url: str = MarketEndpoints.okx_ws
    liquidation_streams: bool = Field(
        default=True,
        description="Listen to Binance, Bybit and OKX liquidation websockets and Binance's "
        "1-minute klines (each bar's range, volume and taker flow for the warnings).",
    )
    cascade_quiet_minutes: float = Field(
        default=30.0,
        description="Minutes without a cascade reading after which the event is over and its "
        "summary is sent in its thread.",
    )
    snapshot_retention_days: int = Field(
        default=90, description="Market snapshots older than this are deleted."
    )
    snapshot_full_resolution_days: int = Field(
        default=7, description="Snapshots older than this are thinned to one per hour."
    )
    admin_cache_seconds: float = Field(
        default=60.0, description="How long a getChatMember answer is trusted."
    )
    http_host: str = Field(default="0.0.0.0", description="Address of /healthz, /metrics, webhook.")
    http_port: int = Field(
        default=8080, description="Port of /healthz, /metrics and the webhook; 0 turns it off."
    )
    webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS URL Telegram posts updates to (webhook mode), e.g. "
        "https://bot.example.com/telegram; its path is served on http_port.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (webhook mode; "
        "1-256 of A-Z a-z 0-9 _ -). Requests without it get 403.",
    )
    leader_retry_seconds: float | None = Field(
        default=None,
        description="How often a follower tries to become leader (PostgreSQL only); "
        "default half the poll interval, so takeover stays within two polls.",
    )

    paid_broadcast_per_day: int = Field(
        default=0,
        ge=0,
        description="Urgent alerts a day sent with allow_paid_broadcast (up to 1,000/s, paid "
        "in Stars); past it they fall back to the free 30/s. 0 turns paid broadcast off.",
    )
    broadcast_channels: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Public channels that get every warning once, per asset or * for all, "
        "e.g. BTC=@oiwatch_btc,*=@oiwatch_all; the bot must be an admin there.",
    )

    _split_venues = field_validator("venues", "symbols", mode="before")(_split)

    @field_validator("broadcast_channels", mode="before")
    @classmethod
    def _parse_channels(cls, value: object) -> object:
        return parse_channels(value) if isinstance(value, str) else value

    @property
    def endpoints(self) -> MarketEndpoints:
        return MarketEndpoints(
            binance=self.binance_url,
            binance_coinm=self.binance_coinm_url,
            bybit=self.bybit_url,
            okx=self.okx_url,
            hyperliquid=self.hyperliquid_url,
            binance_ws=self.binance_ws_url,
            binance_kline_ws=self.binance_kline_ws_url,
            bybit_ws=self.bybit_ws_url,
            okx_ws=self.okx_ws_url,
        )

    @property
    def leader_retry(self) -> float:
        return self.leader_retry_seconds or max(0.5, self.poll_seconds / 2)

    def require_webhook(self) -> tuple[str, str]:
        """(url, secret) for webhook mode, or a clear error naming what is missing."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not self.webhook_url or not secret:
            raise WebhookConfigError
        if not all(c.isalnum() or c in "_-" for c in secret) or len(secret) > 256:
            raise WebhookConfigError
        if self.http_port == 0:
            raise WebhookConfigError
        return self.webhook_url, secret

    def require_token(self) -> str:
        if self.telegram_token is None or not self.telegram_token.get_secret_value().strip():
            raise MissingTokenError
        return self.telegram_token.get_secret_value().strip()


class MissingTokenError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "OIWATCH_TELEGRAM_TOKEN is not set: get a token from @BotFather and export it, "
            "e.g. export OIWATCH_TELEGRAM_TOKEN=123456:ABC..."
        )


class WebhookConfigError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "OIWATCH_MODE=webhook needs OIWATCH_WEBHOOK_URL (public https URL), "
            "OIWATCH_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -) and OIWATCH_HTTP_PORT (not 0), "
            "e.g. OIWATCH_WEBHOOK_URL=https://bot.example.com/telegram"
        )
