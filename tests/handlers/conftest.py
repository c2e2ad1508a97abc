from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.app import ask
from bot.config import Settings
from tests.handlers.harness import ChatHarness, chat_harness

Reply = Callable[[str], Awaitable[str]]


@pytest.fixture
def reply() -> Reply:
    """The bot's reply to one private message, through the real Application and handlers."""
    settings = Settings()

    async def _reply(text: str) -> str:
        return await ask(settings, text)

    return _reply


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """The bot with its database (rules, settings, channels), offline."""
    async with chat_harness(tmp_path) as harness:
        yield harness
