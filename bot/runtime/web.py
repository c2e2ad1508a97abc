"""The replica's HTTP side (aiohttp): /healthz, /metrics and, in webhook mode, the Telegram
webhook. Telegram-free: the runner hands in what to do with a verified update."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.runtime.health import HealthCheck
from bot.runtime.metrics import Metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
UpdateSink = Callable[[dict[str, Any]], Awaitable[None]]
MAX_UPDATE_BYTES = 1 << 20  # Telegram updates are a few KB; refuse anything absurd


def build_web_app(
    health: HealthCheck,
    metrics: Metrics,
    *,
    webhook_path: str | None = None,
    secret: str | None = None,
    on_update: UpdateSink | None = None,
) -> web.Application:
    app = web.Application(client_max_size=MAX_UPDATE_BYTES)

    async def healthz(_request: web.Request) -> web.Response:
        status, body = await health.report()
        return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")

    async def metrics_page(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)

    if webhook_path is not None:
        assert secret and on_update is not None, "webhook needs a secret and a sink"
        expected = secret.encode()

        async def webhook(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            # Constant-time: the secret is the only thing that tells Telegram from anyone else.
            if not hmac.compare_digest(given, expected):
                return web.Response(status=403, text="forbidden")
            try:
                update = orjson.loads(await request.read())
            except orjson.JSONDecodeError:
                return web.Response(status=400, text="bad update")
            if not isinstance(update, dict) or "update_id" not in update:
                return web.Response(status=400, text="bad update")
            try:
                await on_update(update)
            except (AttributeError, KeyError, TypeError, ValueError):
                # Parsed JSON that is no Update: answer 400 (a 500 would make Telegram retry it).
                log.warning("webhook: a body with the secret that is not an update")
                return web.Response(status=400, text="bad update")
            return web.Response(text="ok")

        app.router.add_post(webhook_path, webhook)
    return app
