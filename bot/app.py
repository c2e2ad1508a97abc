"""Composition root: the only module of the core that imports `handlers`."""

from __future__ import annotations

import time
from typing import Any

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ExtBot,
)
from telegram.request import BaseRequest

import handlers
from bot.config import Settings
from bot.delivery.aiohttp_request import AiohttpRequest
from bot.delivery.pace import EvenPace
from bot.runtime.metrics import Metrics
from bot.runtime.offline import OFFLINE_TOKEN, OfflineRequest, private_text_update
from bot.services import Services
from handlers.context import SERVICES_KEY, BotContext

TelegramApp = Application[Any, BotContext, Any, Any, Any, Any]


class InstrumentedApplication(Application[Any, BotContext, Any, Any, Any, Any]):
    """Counts every update and times its handling, labelled by command (unknown words are
    'other', so a user cannot mint label values)."""

    def __init__(self, *, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics
        self._commands: frozenset[str] | None = None

    def _label(self, update: object) -> tuple[str, str]:
        if not isinstance(update, Update):
            return "other", "other"
        if update.callback_query is not None:
            return "callback", "button"
        if update.inline_query is not None:
            return "inline", "inline"
        message = update.effective_message
        if message is None or not message.text:
            return "other", "other"
        if self._commands is None:
            self._commands = frozenset(
                command
                for group in self.handlers.values()
                for handler in group
                if isinstance(handler, CommandHandler)
                for command in handler.commands
            )
        word = message.text.split(maxsplit=1)[0]
        command = word[1:].split("@", 1)[0].lower() if word.startswith("/") else ""
        return "message", command if command in self._commands else "other"

    async def process_update(self, update: object) -> None:
        start = time.perf_counter()
        try:
            await super().process_update(update)
        finally:
            self.metrics.observe_update(*self._label(update), time.perf_counter() - start)


def file_url_for(api_url: str) -> str:
    """PTB needs the file endpoint too: https://host/bot -> https://host/file/bot."""
    head, _, tail = api_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}"


FREE_PER_S = 29.5
PAID_PER_S = 950.0
PAID_BURST = 10  # one at a time, timer lag under load cut the rate; 950 + 10 < 1,000


class EvenRateLimiter(AIORateLimiter):
    """Telegram's 30 messages a second, sent evenly: one every 1/29.5 s. A bucket of 30 would
    let a burst of 30 ride on top of the steady rate and earn 429s, and exactly 1/30 s still
    met one at a window boundary in 10,000 sends (bench/bench_fanout.py). Paid broadcast
    (allow_paid_broadcast) at 950/s in bursts of at most 10, where PTB's own bucket of 1,000
    would burst past Telegram's 1,000/s. The per-group 20 a minute stays PTB's default. A 429
    is not retried here: the outbox reschedules that message after retry_after and keeps the
    chat's order."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self._base_limiter = EvenPace(FREE_PER_S)  # type: ignore[assignment]
        self._apb_limiter = EvenPace(PAID_PER_S, PAID_BURST)  # type: ignore[assignment]


def broadcast_bot(settings: Settings) -> ExtBot[int]:
    """The bot the outbox sender uses: the only one behind the 30/s limiter. That budget is
    for bulk notifications; a reply to a user's command is not one, and queueing replies
    behind a broadcast (or 200 commands a second behind 29.5 sends) would make a chat feel
    dead (bench/bench_load.py). Over aiohttp: httpx's pool cost more CPU than the sends at paid
    broadcast's 1,000/s (bot/delivery/aiohttp_request.py)."""
    return ExtBot(
        settings.require_token(),
        base_url=settings.telegram_api_url,
        base_file_url=file_url_for(settings.telegram_api_url),
        request=AiohttpRequest(),
        rate_limiter=EvenRateLimiter(),
    )


def build_application(
    settings: Settings,
    services: Services,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    metrics: Metrics | None = None,
) -> TelegramApp:
    builder = (
        ApplicationBuilder()
        .token(token or settings.require_token())
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url_for(settings.telegram_api_url))
        .context_types(ContextTypes(context=BotContext))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if metrics is not None:
        builder = builder.application_class(InstrumentedApplication, {"metrics": metrics})
    app: TelegramApp = builder.build()
    app.bot_data[SERVICES_KEY] = services
    handlers.register(app)
    return app


async def publish_menu(app: TelegramApp) -> None:
    await handlers.publish_command_menu(app)


async def ask(services: Services, text: str) -> str:
    """What the bot would reply to `text` in a private chat, with no Bot API."""
    request = OfflineRequest()
    app = build_application(services.settings, services, token=OFFLINE_TOKEN, request=request)
    async with app:
        await app.process_update(Update.de_json(private_text_update(text), app.bot))
    return "\n\n".join(request.sent_texts())
