"""Composition root: the only module of the core that imports `handlers`."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot.config import Settings
from bot.offline import OFFLINE_TOKEN, OfflineRequest, private_text_update
from bot.services import Services
from handlers.context import SERVICES_KEY, BotContext

TelegramApp = Application[Any, BotContext, Any, Any, Any, Any]


def file_url_for(api_url: str) -> str:
    """PTB needs the file endpoint too: https://host/bot -> https://host/file/bot."""
    head, _, tail = api_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}"


def telegram_rate_limiter() -> AIORateLimiter:
    """Telegram's 30 messages a second, sent evenly: one every 1/29.5 s. A bucket of 30 would
    let a burst of 30 ride on top of the steady rate and earn 429s, and exactly 1/30 s still
    met one at a window boundary in 10,000 sends (bench/bench_fanout.py). The per-group 20 a
    minute stays PTB's default. A 429 is not retried here: the outbox reschedules that message
    after retry_after and keeps the chat's order."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 29.5, max_retries=0)


def build_application(
    settings: Settings,
    services: Services,
    *,
    token: str | None = None,
    request: BaseRequest | None = None,
    rate_limiter: bool = True,
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
    if rate_limiter:
        builder = builder.rate_limiter(telegram_rate_limiter())
    app: TelegramApp = builder.build()
    app.bot_data[SERVICES_KEY] = services
    handlers.register(app)
    return app


async def publish_menu(app: TelegramApp) -> None:
    await handlers.publish_command_menu(app)


async def ask(settings: Settings, text: str) -> str:
    """What the bot would reply to `text` in a private chat, computed offline."""
    request = OfflineRequest()
    app = build_application(
        settings, Services(settings), token=OFFLINE_TOKEN, request=request, rate_limiter=False
    )
    async with app:
        await app.process_update(Update.de_json(private_text_update(text), app.bot))
    return "\n\n".join(request.sent_texts())
