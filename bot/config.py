"""Settings from the environment (prefix OIWATCH_); the token is a SecretStr so it never prints."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"


class RunMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


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
    default_mmr: Decimal = Field(
        default=Decimal("0.005"),
        description="Maintenance margin rate for /liq when no venue or mmr= is given.",
    )
    command_rate_per_minute: int = Field(
        default=30, description="Commands one user may send per minute before a polite refusal."
    )
    rules_per_chat: int = Field(default=50, description="Most watch rules one chat may hold.")
    admin_cache_seconds: float = Field(
        default=60.0, description="How long a getChatMember answer is trusted."
    )

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
