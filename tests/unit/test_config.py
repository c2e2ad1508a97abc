"""Settings as an operator writes them: what docker-compose.yml passes is accepted, and a bad
value is one line without the token or a password."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import RunMode, Settings, WebhookConfigError, describe_errors


def test_variables_compose_leaves_empty_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # docker-compose.yml in polling mode: `${OIWATCH_WEBHOOK_URL:-}` and friends are "".
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "LEADER_RETRY_SECONDS"):
        monkeypatch.setenv(f"OIWATCH_{name}", "")
    settings = Settings()
    assert settings.mode is RunMode.POLLING
    assert settings.webhook_url is None and settings.webhook_secret is None
    assert settings.leader_retry == 30.0  # half the default poll, as when it is not set


def bad_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as error:
        Settings()
    (line,) = describe_errors(error.value)
    return line


def test_a_database_url_with_a_port_that_is_no_number_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "postgresql+asyncpg://oiwatch:hunter2@db:notaport/oiwatch"
    line = bad_setting(monkeypatch, "OIWATCH_DATABASE_URL", url)
    assert line == (
        "OIWATCH_DATABASE_URL=postgresql+asyncpg://oiwatch:***@db:notaport/oiwatch is not "
        "allowed: expected an SQLAlchemy URL, e.g. sqlite+aiosqlite:///oiwatch.db or "
        "postgresql+asyncpg://u:p@host:5432/db"
    )


def test_a_token_pasted_into_a_bad_url_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "123456789:" + "A" * 35
    line = bad_setting(monkeypatch, "OIWATCH_TELEGRAM_API_URL", f"api.telegram.org/bot{token}")
    assert line == (
        "OIWATCH_TELEGRAM_API_URL=api.telegram.org/bot<redacted> is not allowed: expected a "
        "URL starting with http:// or https:// and naming a host"
    )


WEBHOOK = {"mode": "webhook", "webhook_url": "https://bot.example.com/telegram"}


@pytest.mark.parametrize(
    ("values", "needed"),
    [
        (
            {"mode": "webhook", "webhook_secret": "s" * 32},
            "OIWATCH_WEBHOOK_URL, the public https URL Telegram posts to, "
            "e.g. OIWATCH_WEBHOOK_URL=https://bot.example.com/telegram",
        ),
        *(
            (
                {**WEBHOOK, "webhook_secret": secret},
                "OIWATCH_WEBHOOK_SECRET of 16-256 characters A-Z a-z 0-9 _ - (anyone who has it "
                "can post updates), e.g. OIWATCH_WEBHOOK_SECRET=$(openssl rand -hex 32)",
            )
            for secret in (None, "abc", "s" * 15, "s" * 257, "sécret" * 4, "with space" * 2)
        ),
        (
            {**WEBHOOK, "webhook_secret": "s" * 16, "http_port": 0},
            "OIWATCH_HTTP_PORT other than 0: Telegram's updates arrive there, "
            "e.g. OIWATCH_HTTP_PORT=8080",
        ),
    ],
)
def test_webhook_mode_names_the_one_thing_missing(values: dict[str, object], needed: str) -> None:
    with pytest.raises(WebhookConfigError) as error:
        Settings(**values).require_webhook()
    assert str(error.value) == f"OIWATCH_MODE=webhook needs {needed}"


def test_a_strong_webhook_secret_is_taken() -> None:
    settings = Settings(**WEBHOOK, webhook_secret="s3cret_token-for-tests")
    assert settings.require_webhook() == (
        "https://bot.example.com/telegram",
        "s3cret_token-for-tests",
    )


def test_a_venue_named_twice_is_polled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OIWATCH_VENUES", "binance,OKX,Binance")
    assert Settings().venues == ["binance", "okx"]


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_blind_time_that_is_no_number_says_so(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    line = bad_setting(monkeypatch, "OIWATCH_POSITION_BLIND_SECONDS", value)
    assert (
        line
        == f"OIWATCH_POSITION_BLIND_SECONDS={value} is not allowed: Input should be a finite number"
    )
