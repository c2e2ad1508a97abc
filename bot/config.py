"""Settings from the environment (prefix OIWATCH_); the token is a SecretStr so it never prints."""

from __future__ import annotations

import re
from dataclasses import fields
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.market.collector import DEFAULT_ASSETS
from bot.market.models import Venue
from bot.market.venues.registry import DEFAULT_VENUES, MarketEndpoints
from bot.runtime.logging_setup import redact

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"


class RunMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
MIN_WEBHOOK_SECRET = 16
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
SECRET_FIELDS = frozenset({"telegram_token", "webhook_secret"})
# What @BotFather hands out: the bot's numeric id, a colon, then a URL-safe secret.
TELEGRAM_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")

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


def _seconds(default: float, at_least: float, description: str) -> Any:
    """A finite duration from `at_least` to a day (nan and inf refused)."""
    return Field(
        default=default, ge=at_least, le=86_400, allow_inf_nan=False, description=description
    )


def _url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        starts = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f"expected a URL starting with {starts} and naming a host")
    return value


# Each MarketEndpoints field is the setting OIWATCH_<FIELD>_URL; websocket ones end in _ws.
_ENDPOINTS = tuple(f.name for f in fields(MarketEndpoints))
_VENUE_WS = tuple(f"{name}_url" for name in _ENDPOINTS if name.endswith("_ws"))
_VENUE_HTTP = tuple(f"{name}_url" for name in _ENDPOINTS if not name.endswith("_ws"))


def _http_url(value: str) -> str:
    return _url(value, ("http", "https"))


def _ws_url(value: str) -> str:
    return _url(value, ("ws", "wss"))


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
    log_level: LogLevel = "INFO"
    log_json: bool = Field(
        default=False, description="One JSON object per log line (ts, level, logger, msg, exc)."
    )
    # Below 0.5 like the mmr= a user types: above it every /liq shows a nonsense price.
    default_mmr: Decimal = Field(
        default=Decimal("0.005"),
        ge=0,
        lt=Decimal("0.5"),
        allow_inf_nan=False,
        description="Maintenance margin rate for /liq when no venue or mmr= is given.",
    )
    command_rate_per_minute: int = Field(
        default=30,
        ge=1,
        le=1_000_000,  # a test or a private bot may switch the budget off in effect
        description="Commands one user may send per minute before a polite refusal.",
    )
    rules_per_chat: int = Field(
        default=50, ge=1, le=10_000, description="Most watch rules one chat may hold."
    )
    positions_per_user: int = Field(
        default=20, ge=1, le=10_000, description="Most positions one user may have the guard watch."
    )
    position_blind_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        allow_inf_nan=False,
        description="Seconds with no venue answering for an asset before the guard says it "
        "is blind.",
    )
    venues: Annotated[list[str], NoDecode] = Field(
        default=[str(venue) for venue in DEFAULT_VENUES],
        description="Venues polled, comma-separated; empty turns market data off.",
    )
    symbols: Annotated[list[str], NoDecode] = Field(
        default=list(DEFAULT_ASSETS), description="Assets polled (BTC,ETH,...), comma-separated."
    )
    # At least half a second: a zero or negative interval would poll in a busy loop.
    poll_seconds: float = _seconds(60.0, 0.5, "Seconds between market polls.")
    binance_url: str = MarketEndpoints.binance
    binance_coinm_url: str = MarketEndpoints.binance_coinm
    bybit_url: str = MarketEndpoints.bybit
    okx_url: str = MarketEndpoints.okx
    hyperliquid_url: str = MarketEndpoints.hyperliquid
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
        gt=0,
        le=1_440,
        allow_inf_nan=False,
        description="Minutes without a cascade reading after which the event is over and its "
        "summary is sent in its thread.",
    )
    snapshot_retention_days: int = Field(
        default=90, ge=1, le=36_500, description="Market snapshots older than this are deleted."
    )
    outbox_retention_days: int = Field(
        default=30,
        ge=1,
        le=36_500,
        description="Sent and undeliverable alerts older than this are deleted (threads and "
        "`oiwatch latency` read days, not months).",
    )
    snapshot_full_resolution_days: int = Field(
        default=7,
        ge=1,
        le=36_500,
        description="Snapshots older than this are thinned to one per hour.",
    )
    admin_cache_seconds: float = _seconds(60.0, 0, "How long a getChatMember answer is trusted.")
    http_host: str = Field(
        default="0.0.0.0", min_length=1, description="Address of /healthz, /metrics, webhook."
    )
    http_port: int = Field(
        default=8080,
        ge=0,
        le=65_535,
        description="Port of /healthz, /metrics and the webhook; 0 turns it off.",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS URL Telegram posts updates to (webhook mode), e.g. "
        "https://bot.example.com/telegram; its path is served on http_port.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token (webhook mode; "
        "16-256 of A-Z a-z 0-9 _ -). Requests without it get 403.",
    )
    leader_retry_seconds: float | None = Field(
        default=None,
        gt=0,
        le=3_600,
        allow_inf_nan=False,
        description="How often a follower tries to become leader (PostgreSQL only); "
        "default half the poll interval, so takeover stays within two polls.",
    )
    stuck_seconds: float = _seconds(
        180.0,
        1,
        "A leader whose sender (at least 3 s) or market poll (at least 3 poll "
        "intervals) has not done its job for this long answers /healthz with 503.",
    )

    paid_broadcast_per_day: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        description="Urgent alerts a day sent with allow_paid_broadcast (up to 1,000/s, paid "
        "in Stars); past it they fall back to the free 30/s. 0 turns paid broadcast off.",
    )
    broadcast_channels: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="Public channels that get every warning once, per asset or * for all, "
        "e.g. BTC=@oiwatch_btc,*=@oiwatch_all; the bot must be an admin there.",
    )

    _split_venues = field_validator("venues", "symbols", mode="before")(_split)
    _http_urls = field_validator("telegram_api_url", *_VENUE_HTTP)(_http_url)
    _ws_urls = field_validator(*_VENUE_WS)(_ws_url)

    @field_validator(
        "telegram_token", "webhook_url", "webhook_secret", "leader_retry_seconds", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker-compose.yml passes `OIWATCH_WEBHOOK_URL: ${OIWATCH_WEBHOOK_URL:-}`: a variable
        # the operator left out arrives empty, and means "not set", not a bad value.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url")
    @classmethod
    def _bot_path(cls, value: str) -> str:
        # PTB appends the token right after base_url and the Bot API (a local Bot API server
        # too) serves under /bot<token>: a bare host would glue the token onto its port.
        if urlsplit(value).path in ("", "/"):
            return value.rstrip("/") + "/bot"
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("mode", mode="before")
    @classmethod
    def _lower_mode(cls, value: object) -> object:
        # Any case, as OIWATCH_LOG_LEVEL: WEBHOOK is no typo worth a refused start.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        example = "e.g. sqlite+aiosqlite:///oiwatch.db or postgresql+asyncpg://u:p@host:5432/db"
        if value.partition("?")[0].count("@") > 1:
            # SQLAlchemy splits at the first "@": the password's rest would be taken for the
            # host ("Name or service not known"), and shown as such.
            raise ValueError(
                "more than one '@': write an '@' in the user name or password as %40, "
                "or pick a password of letters and digits (openssl rand -hex 24)"
            )
        try:
            driver = make_url(value).drivername
        except (ArgumentError, ValueError):  # ValueError: a port that is not a number
            raise ValueError(f"expected an SQLAlchemy URL, {example}") from None
        if driver not in DRIVERS:
            raise ValueError(f"driver {driver!r} is not one of {', '.join(DRIVERS)}, {example}")
        return value

    @field_validator("venues")
    @classmethod
    def _known_venues(cls, value: list[str]) -> list[str]:
        known = [str(v) for v in Venue]
        unknown = [v for v in value if v.lower() not in known]
        if unknown:
            raise ValueError(f"unknown venue {unknown[0]!r}; allowed: {', '.join(known)}")
        # Named twice is polled once: two pollers of one venue double its request weight.
        return list(dict.fromkeys(v.lower() for v in value))

    @field_validator("symbols")
    @classmethod
    def _asset_words(cls, value: list[str]) -> list[str]:
        if not value:
            # An empty list would poll every venue for nothing, with no word of it anywhere.
            raise ValueError(
                "name at least one asset, e.g. BTC,ETH; OIWATCH_VENUES= turns market data off"
            )
        bad = [s for s in value if not (s.isascii() and s.isalnum() and len(s) <= 20)]
        if bad:
            raise ValueError(f"{bad[0]!r} is no asset: use 1-20 letters or digits, e.g. BTC,ETH")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _url(value, ("https",))
        try:
            port = urlsplit(value).port or 443
        except ValueError:
            port = 0  # not a number: refused below like any other
        # Telegram refuses setWebhook on other ports, and only once the leader asks.
        if port not in WEBHOOK_PORTS:
            allowed = ", ".join(map(str, sorted(WEBHOOK_PORTS)))
            raise ValueError(f"Telegram posts to ports {allowed} only (none given: 443)")
        return value

    @field_validator("broadcast_channels", mode="before")
    @classmethod
    def _parse_channels(cls, value: object) -> object:
        return parse_channels(value) if isinstance(value, str) else value

    @property
    def endpoints(self) -> MarketEndpoints:
        return MarketEndpoints(**{name: getattr(self, f"{name}_url") for name in _ENDPOINTS})

    @property
    def leader_retry(self) -> float:
        return self.leader_retry_seconds or max(0.5, self.poll_seconds / 2)

    def require_webhook(self) -> tuple[str, str]:
        """(url, secret) for webhook mode, or a clear error naming what is missing."""
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not self.webhook_url:
            raise WebhookConfigError(
                "OIWATCH_WEBHOOK_URL, the public https URL Telegram posts to, "
                "e.g. OIWATCH_WEBHOOK_URL=https://bot.example.com/telegram"
            )
        # Whoever knows the secret can post updates as any user (a group's admin included):
        # a short one is guessed.
        ascii_word = secret.isascii() and all(c.isalnum() or c in "_-" for c in secret)
        if not (ascii_word and MIN_WEBHOOK_SECRET <= len(secret) <= 256):
            raise WebhookConfigError(
                f"OIWATCH_WEBHOOK_SECRET of {MIN_WEBHOOK_SECRET}-256 characters A-Z a-z 0-9 _ - "
                "(anyone who has it can post updates), e.g. "
                "OIWATCH_WEBHOOK_SECRET=$(openssl rand -hex 32)"
            )
        if self.http_port == 0:
            raise WebhookConfigError(
                "OIWATCH_HTTP_PORT other than 0: Telegram's updates arrive there, "
                "e.g. OIWATCH_HTTP_PORT=8080"
            )
        return self.webhook_url, secret

    def require_token(self) -> str:
        if self.telegram_token is None or not self.telegram_token.get_secret_value().strip():
            raise MissingTokenError
        token = self.telegram_token.get_secret_value().strip()
        # Checked before the database is touched: a mangled token (pasted with quotes, a space
        # or the URL's "bot") would only meet a 404 from Telegram, after migrating, and its
        # odd characters would reach the request URL percent-encoded, past the log redaction.
        if not TELEGRAM_TOKEN.fullmatch(token):
            raise MalformedTokenError
        return token


class MissingTokenError(RuntimeError):
    def __init__(self) -> None:
        super().__init__(
            "OIWATCH_TELEGRAM_TOKEN is not set: get a token from @BotFather and export it, "
            "e.g. export OIWATCH_TELEGRAM_TOKEN=123456:ABC..."
        )


class MalformedTokenError(RuntimeError):
    def __init__(self) -> None:
        # Never the value, not even a part of it: it may be a real token with a typo.
        super().__init__(
            "OIWATCH_TELEGRAM_TOKEN is not shaped like a token from @BotFather: expected digits, "
            "a colon, then letters, digits, _ or - (e.g. 123456:ABC-def...), with no quotes, "
            "spaces or 'bot' around it"
        )


class WebhookConfigError(RuntimeError):
    def __init__(self, needed: str) -> None:
        super().__init__(f"OIWATCH_MODE=webhook needs {needed}")


def describe_errors(error: ValidationError) -> list[str]:
    """One line per bad setting: the variable, its value (secrets and passwords hidden) and
    what is allowed."""
    lines: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        value = problem.get("input")
        if name in SECRET_FIELDS:
            shown = "<hidden>"
        elif name == "database_url" and isinstance(value, str):
            shown = _hide_password(value)
        else:
            shown = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        reason = problem["msg"].removeprefix("Value error, ")
        # A token pasted into the wrong variable (the Bot API URL with /bot<token>) is hidden too.
        line = redact(f"OIWATCH_{name.upper()}={shown} is not allowed: {reason}")
        lines.setdefault(name, line)
    return list(lines.values())


# From the user's colon to the last "@": a password holding "@" or "/" is hidden whole, where
# SQLAlchemy, splitting at the first "@", would show its tail as the host.
URL_PASSWORD = re.compile(r"(?<=://)([^:/@]*):.*@")


def _hide_password(url: str) -> str:
    return URL_PASSWORD.sub(r"\1:***@", url)
