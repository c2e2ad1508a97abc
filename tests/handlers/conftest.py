from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.app import ask
from bot.config import Settings

Reply = Callable[[str], Awaitable[str]]


@pytest.fixture
def reply() -> Reply:
    """The bot's reply to one private message, through the real Application and handlers."""
    settings = Settings()

    async def _reply(text: str) -> str:
        return await ask(settings, text)

    return _reply
