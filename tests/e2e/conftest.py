"""A running bot: the real `serve()` of `oiwatch run`, polling the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import Settings
from bot.runtime.runner import serve
from tests.fakes.telegram_api import FakeTelegramAPI

# Shaped like a real token (digits, colon, 35 characters) so redaction is tested on the real
# shape; assembled here so no token-shaped literal sits in the tree.
TOKEN = "123456789:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PA" + "LDsaw0"


@dataclass
class RunningBot:
    api: FakeTelegramAPI
    settings: Settings

    async def ask(self, text: str, *, chat_id: int = 1001, user_id: int = 1001) -> str:
        before = len(self.api.sent_messages(chat_id))
        self.api.push_message(chat_id, text, user_id=user_id)
        await self.api.wait_for(lambda: len(self.api.sent_messages(chat_id)) > before, timeout=5)
        return self.api.sent_messages(chat_id)[-1].text


async def spawn_bot(
    api: FakeTelegramAPI, database_url: str, **settings: str
) -> asyncio.subprocess.Process:
    """`oiwatch run` as a real process (for kill tests); `settings` are extra OIWATCH_ names
    in lower case, e.g. venues="hyperliquid"."""
    env = {
        **os.environ,
        "OIWATCH_TELEGRAM_TOKEN": TOKEN,
        "OIWATCH_TELEGRAM_API_URL": api.base_url,
        "OIWATCH_DATABASE_URL": database_url,
        "OIWATCH_VENUES": "",
        "OIWATCH_HTTP_PORT": "0",
        "OIWATCH_LOG_LEVEL": "WARNING",
        **{f"OIWATCH_{name.upper()}": value for name, value in settings.items()},
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@contextlib.asynccontextmanager
async def start_bot(
    tmp_path: Path, *, faults: Callable[[FakeTelegramAPI], None] | None = None, **overrides: object
) -> AsyncIterator[RunningBot]:
    """`faults` scripts the fake before the bot's first request."""
    async with FakeTelegramAPI(token=TOKEN) as api:
        if faults is not None:
            faults(api)
        values: dict[str, object] = {
            "telegram_token": TOKEN,
            "telegram_api_url": api.base_url,
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            "command_rate_per_minute": 100,
            "venues": "",  # no market polling unless a test points it at the fake exchange
            "http_port": 0,  # no /healthz server unless a test asks for one
        }
        settings = Settings(**{**values, **overrides})
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop, poll_timeout=1))
        # Up once it polls, or (webhook mode) once it has registered its webhook.
        await api.wait_for(
            lambda: bool(api.calls("getUpdates") or api.calls("setWebhook")), timeout=10
        )
        try:
            yield RunningBot(api, settings)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def running_bot(tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with start_bot(tmp_path) as bot:
        yield bot
