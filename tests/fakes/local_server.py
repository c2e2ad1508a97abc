"""Start an aiohttp app on 127.0.0.1 at a free port: the one thing both fakes share."""

from __future__ import annotations

from aiohttp import web


async def serve_locally(
    app: web.Application, *, shutdown_timeout: float = 1.0
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None and server.sockets
    return runner, server.sockets[0].getsockname()[1]
