"""Settings as an operator writes them: what docker-compose.yml passes is accepted, and a bad
value is one line without the token or a password."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import RunMode, Settings, describe_errors


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
