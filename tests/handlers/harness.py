"""The real Application and handlers with the real services on a SQLite file, and the offline
Bot API stand-in (no sockets): messages, photo captions, stickers, button presses and inline
queries go in as Telegram's JSON, and every Bot API call the bot makes is recorded."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import TelegramApp, build_application
from bot.config import Settings
from bot.runtime.offline import BOT_USER, OFFLINE_TOKEN, OfflineRequest, RecordedCall
from bot.runtime.runner import open_services
from bot.services import Services
from tests.fakes.collectors import collector_for, exchange_time
from tests.fakes.exchange import FakeExchange

USER = 100
REPLY_METHODS = ("sendMessage", "sendPhoto", "editMessageText")


class ChatHarness:
    def __init__(self, app: TelegramApp, request: OfflineRequest, services: Services) -> None:
        self.app, self.request, self.services = app, request, services
        self._ids = itertools.count(1)
        self.sent: list[dict[str, Any]] = []  # the user's text messages, as Telegram has them

    async def _process(self, update: dict[str, Any]) -> list[RecordedCall]:
        before = len(self.request.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.request.calls[before:]

    def _message(
        self,
        chat_id: int,
        user_id: int,
        chat_type: str,
        language_code: str | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Trader"} if chat_type == "private" else {"title": "chat"})
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat,
            "from": _user(user_id, language_code),
            **content,
        }

    async def send(
        self,
        text: str,
        *,
        user_id: int = USER,
        chat_id: int | None = None,
        language_code: str | None = None,
    ) -> list[RecordedCall]:
        chat_id = user_id if chat_id is None else chat_id
        kind = "private" if chat_id > 0 else "supergroup"
        message = self._message(chat_id, user_id, kind, language_code, **_text(text))
        self.sent.append(message)
        return await self._process({"update_id": next(self._ids), "message": message})

    async def edit(self, text: str, *, of: int = -1) -> list[RecordedCall]:
        """The user edits a message they sent (`of`: its place in `sent`, the last by
        default) to read `text`: Telegram sends it again, same id, as an edited_message."""
        message = self.sent[of] = {
            **{k: v for k, v in self.sent[of].items() if k not in ("text", "entities")},
            **_text(text),
            "edit_date": int(time.time()),
        }
        return await self._process({"update_id": next(self._ids), "edited_message": message})

    async def photo(self, caption: str | None, *, user_id: int = USER) -> list[RecordedCall]:
        content: dict[str, Any] = {
            "photo": [{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}]
        }
        if caption is not None:
            content["caption"] = caption
        message = self._message(user_id, user_id, "private", **content)
        return await self._process({"update_id": next(self._ids), "message": message})

    async def sticker(self, *, user_id: int = USER) -> list[RecordedCall]:
        sticker = {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 9,
            "height": 9,
            "is_animated": False,
            "is_video": False,
        }
        message = self._message(user_id, user_id, "private", sticker=sticker)
        return await self._process({"update_id": next(self._ids), "message": message})

    async def press(
        self, data: str, *, user_id: int = USER, message_text: str = "Watch rules"
    ) -> list[RecordedCall]:
        """A button under a bot message that reads `message_text`."""
        message = self._message(user_id, user_id, "private", text=message_text)
        message["from"] = BOT_USER
        query = {
            "id": str(next(self._ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": "Trader"},
            "chat_instance": str(user_id),
            "data": data,
            "message": message,
        }
        return await self._process({"update_id": next(self._ids), "callback_query": query})

    async def inline(
        self, query: str, *, user_id: int = USER, language_code: str | None = None
    ) -> list[RecordedCall]:
        inline = {
            "id": str(next(self._ids)),
            "from": _user(user_id, language_code),
            "query": query,
            "offset": "",
        }
        return await self._process({"update_id": next(self._ids), "inline_query": inline})

    async def ask(
        self,
        text: str,
        *,
        user_id: int = USER,
        chat_id: int | None = None,
        language_code: str | None = None,
    ) -> str:
        """Every reply to one message, joined."""
        calls = await self.send(text, user_id=user_id, chat_id=chat_id, language_code=language_code)
        return "\n\n".join(texts(calls))

    async def ask_edited(self, text: str, *, of: int = -1) -> str:
        """Every reply to an edit of a message sent before (see `edit`), joined."""
        return "\n\n".join(texts(await self.edit(text, of=of)))


def _text(text: str) -> dict[str, Any]:
    """A text message's content: a leading /command is marked as Telegram marks it."""
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return content


def _user(user_id: int, language_code: str | None) -> dict[str, Any]:
    """Telegram sends language_code when the user's app has one."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Trader"}
    return user | ({"language_code": language_code} if language_code else {})


def texts(calls: list[RecordedCall]) -> list[str]:
    return [
        str(call.params.get("text", call.params.get("caption", "")))
        for call in calls
        if call.method in REPLY_METHODS
    ]


@contextlib.asynccontextmanager
async def chat_harness(tmp_path: Path, **overrides: Any) -> AsyncIterator[ChatHarness]:
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        "venues": "",
        "http_port": 0,
        **overrides,
    }
    settings = Settings(**values)
    async with open_services(settings) as services:
        request = OfflineRequest()
        app = build_application(settings, services, token=OFFLINE_TOKEN, request=request)
        async with app:
            yield ChatHarness(app, request, services)


@contextlib.asynccontextmanager
async def live_chat_harness(
    tmp_path: Path,
    prepare: Callable[[FakeExchange], None] = lambda fx: None,
    assets: Sequence[str] = ("BTC", "ETH"),
) -> AsyncIterator[ChatHarness]:
    """The bot after one poll of the fake venues' `assets` at 2025-11-24 16:00 UTC, BTC marked
    60,000 on each; `prepare` changes the venues before that poll."""
    async with FakeExchange() as fx, chat_harness(tmp_path) as harness:
        fx.now_ms = 1_764_000_000_000
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        prepare(fx)
        market = harness.services.feed
        market.collector = collector_for(fx, assets)
        market.clock = lambda: exchange_time(fx)
        await market.poll()
        yield harness
        await market.collector.aclose()
