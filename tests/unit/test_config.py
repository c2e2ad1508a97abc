"""Settings as an operator writes them: what docker-compose.yml passes is accepted, and a bad
value is one line without the token or a password."""

from __future__ import annotations

import pytest

from bot.config import RunMode, Settings


def test_variables_compose_leaves_empty_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # docker-compose.yml in polling mode: `${OIWATCH_WEBHOOK_URL:-}` and friends are "".
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET", "LEADER_RETRY_SECONDS"):
        monkeypatch.setenv(f"OIWATCH_{name}", "")
    settings = Settings()
    assert settings.mode is RunMode.POLLING
    assert settings.webhook_url is None and settings.webhook_secret is None
    assert settings.leader_retry == 30.0  # half the default poll, as when it is not set
