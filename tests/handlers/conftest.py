from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.handlers.harness import ChatHarness, chat_harness

Reply = Callable[[str], Awaitable[str]]


@pytest.fixture
async def reply(tmp_path: Path) -> AsyncIterator[Reply]:
    """The bot's reply to one private message, through the real Application and handlers."""
    async with chat_harness(tmp_path) as harness:
        yield harness.ask


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """The bot with its database (rules, settings, channels), offline."""
    async with chat_harness(tmp_path) as harness:
        yield harness
