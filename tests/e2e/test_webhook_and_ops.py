"""Webhook mode over HTTP (secret checked), /healthz and /metrics on the bot's own port."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.e2e.conftest import start_bot

SECRET = "s3cret_token-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _message(update_id: int, text: str) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_000_000,
            "chat": {"id": 1001, "type": "private", "first_name": "Trader"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Trader"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": text.find(" ")}],
        },
    }


async def test_webhook_checks_the_secret_and_answers_through_the_bot(tmp_path: Path) -> None:
    port = free_port()
    async with (
        start_bot(
            tmp_path,
            mode="webhook",
            http_host="127.0.0.1",
            http_port=port,
            webhook_url="https://bot.example.test/hook/telegram",
            webhook_secret=SECRET,
        ) as bot,
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
    ):
        # The leader registered the webhook with its secret, and never polls.
        await bot.api.wait_for("setWebhook")
        [hook] = bot.api.calls("setWebhook")
        assert hook.params["url"] == "https://bot.example.test/hook/telegram"
        assert hook.params["secret_token"] == SECRET
        assert bot.api.calls("getUpdates") == []

        update = _message(1, "/liq 50000 50x long")
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post("/hook/telegram", json=update, headers=headers) as response:
                assert response.status == 403
        signed = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        for body in (b"{not json", b'{"update_id": 5, "message": "nonsense"}', b"[1]"):
            async with http.post("/hook/telegram", data=body, headers=signed) as response:
                assert response.status == 400
        assert bot.api.sent_messages(1001) == []  # nothing reached the handlers

        async with http.post(
            "/hook/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as response:
            assert response.status == 200
        await bot.api.wait_for(lambda: bool(bot.api.sent_messages(1001)), timeout=5)
        assert "long 50x: liquidation at 49,250.00" in bot.api.sent_messages(1001)[0].text

        async with asyncio.timeout(5):
            while True:  # until the sender's first pass over the outbox
                async with http.get("/healthz") as response:
                    assert response.status == 200
                    health = await response.json()
                if health["tasks"]["sender"]["last_success_age_s"] is not None:
                    break
                await asyncio.sleep(0.05)
        # No venues configured: nothing to be stale; one process on SQLite always leads, so it
        # runs the sender (and no market jobs).
        tasks = health.pop("tasks")
        assert health == {"status": "ok", "db": "ok", "role": "leader", "venues": {}}
        assert list(tasks) == ["sender"]
        assert tasks["sender"]["up"] is True and tasks["sender"]["restarts"] == 0
        assert tasks["sender"]["last_success_age_s"] < 5

        async with http.get("/metrics") as response:
            assert response.status == 200
            metrics = await response.text()
        assert 'oiwatch_updates_total{kind="message"} 1.0' in metrics
        assert 'oiwatch_command_seconds_count{command="liq"} 1.0' in metrics
        assert "oiwatch_leader 1.0" in metrics
        assert "oiwatch_alerts_sent_total 0.0" in metrics
        assert "oiwatch_chats_deactivated_total 0.0" in metrics
        assert 'oiwatch_task_up{task="sender"} 1.0' in metrics
        assert 'oiwatch_task_restarts_total{task="sender"} 0.0' in metrics
        assert 'oiwatch_task_last_success_timestamp_seconds{task="sender"}' in metrics


async def test_health_reports_stale_venues_without_failing(tmp_path: Path) -> None:
    port = free_port()
    async with (
        start_bot(
            tmp_path,
            http_host="127.0.0.1",
            http_port=port,
            venues="binance",
            binance_url="http://127.0.0.1:9/",  # nothing listens: the venue never answers
            liquidation_streams=False,
            poll_seconds=3600,
        ),
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
        http.get("/healthz") as response,
    ):
        assert response.status == 200  # an exchange outage is not a reason to restart
        health = await response.json()
    assert health["status"] == "degraded"
    assert health["venues"] == {"binance": {"age_s": None, "fresh": False}}


def oiwatch_health(**settings: str) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK, as Docker runs it: the replica's settings in the environment."""
    env = {**os.environ, **{f"OIWATCH_{k.upper()}": v for k, v in settings.items()}}
    return subprocess.run(
        [sys.executable, "-m", "bot", "health"], capture_output=True, text=True, timeout=60, env=env
    )


async def test_the_healthcheck_asks_where_the_settings_say_the_bot_listens(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with start_bot(tmp_path, http_host="127.0.0.1", http_port=port, poll_seconds=3600):
        # A wildcard listen address is asked on loopback; a specific one, as it is.
        for host in ("0.0.0.0", "127.0.0.1"):
            result = await asyncio.to_thread(oiwatch_health, http_host=host, http_port=str(port))
            assert result.returncode == 0
            assert result.stdout.startswith('200 {"status":"ok","db":"ok","role":"leader"')
    gone = await asyncio.to_thread(oiwatch_health, http_host="127.0.0.1", http_port=str(port))
    assert gone.returncode == 1
    assert f"http://127.0.0.1:{port}/healthz: [Errno 111] Connection refused" in gone.stderr


async def test_the_healthcheck_fails_on_503_and_passes_with_the_port_off() -> None:
    async def stuck(_request: web.Request) -> web.Response:
        return web.json_response({"status": "stuck", "stuck": ["sender"]}, status=503)

    app = web.Application()
    app.router.add_get("/healthz", stuck)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        result = await asyncio.to_thread(oiwatch_health, http_host="::", http_port=str(port))
        assert result.returncode == 1  # '::' is asked on ::1, where this server does not listen
        result = await asyncio.to_thread(oiwatch_health, http_port=str(port))
        assert (result.returncode, result.stderr) == (
            1,
            '503 {"status": "stuck", "stuck": ["sender"]}\n',
        )
    finally:
        await runner.cleanup()
    off = await asyncio.to_thread(oiwatch_health, http_port="0")
    assert (off.returncode, off.stdout) == (
        0,
        "OIWATCH_HTTP_PORT=0: /healthz is off, nothing to check\n",
    )


async def test_a_busy_port_turns_health_off_but_the_bot_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        async with start_bot(tmp_path, http_host="127.0.0.1", http_port=port) as bot:
            assert "liquidation at" in await bot.ask("/liq 50000 50x long")
    assert f"cannot listen on 127.0.0.1:{port} (address already in use):" in caplog.text


async def test_telegram_down_at_takeover_is_retried_not_fatal(tmp_path: Path) -> None:
    async with start_bot(
        tmp_path,
        faults=lambda api: api.fail_next("setWebhook", status=502, times=2),
        mode="webhook",
        http_host="127.0.0.1",
        http_port=free_port(),
        webhook_url="https://bot.example.test/telegram",
        webhook_secret=SECRET,
        leader_retry_seconds=0.2,
    ) as bot:
        # Two 502s, then the third try registers the webhook: the process never went down.
        await bot.api.wait_for(lambda: len(bot.api.calls("setWebhook")) >= 3, timeout=10)
        url = f"http://127.0.0.1:{bot.settings.http_port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert (await response.json())["role"] == "leader"


async def test_a_refused_set_webhook_is_logged_with_telegrams_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reason = "Bad Request: bad webhook: Failed to resolve host: Name or service not known"
    async with start_bot(
        tmp_path,
        faults=lambda api: api.fail_next("setWebhook", status=400, description=reason),
        mode="webhook",
        http_host="127.0.0.1",
        http_port=free_port(),
        webhook_url="https://bot.example.test/telegram",
        webhook_secret=SECRET,
    ):
        for _ in range(100):
            if "could not start leading" in caplog.text:
                break
            await asyncio.sleep(0.05)
    # It said "(BadRequest)" alone, every retry: nothing told the operator what to fix.
    assert (
        "could not start leading (BadRequest: Bad webhook: failed to resolve host: name or "
        "service not known); retrying"  # PTB's rewording of Telegram's description
    ) in caplog.text
