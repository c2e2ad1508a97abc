"""The leader's background tasks are supervised: a sender or poll that fails is restarted (no
process restart), and one that stays dead or stuck turns /healthz to 503. Real bot over HTTP."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.exc import OperationalError

from bot.delivery.sender import Sender
from bot.feed.market_feed import MarketFeed
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.e2e.conftest import RunningBot, start_bot
from tests.e2e.test_webhook_and_ops import free_port

ALERTS = 10


async def queue_alerts(tmp_path: Path) -> list[str]:
    """Ten alerts already waiting in the outbox when the bot starts."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade_database(engine)
    alerts = [OutgoingAlert(2000 + n, f"queued-{n}", f"queued alert {n}") for n in range(ALERTS)]
    await OutboxRepository(make_session_factory(engine)).enqueue(alerts, datetime.now(UTC))
    await engine.dispose()
    return [a.text for a in alerts]


def fail_first(times: int, original: Callable[..., Awaitable[Any]], error: Exception) -> Any:
    calls = itertools.count()

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        if next(calls) < times:
            raise error
        return await original(*args, **kwargs)

    return flaky


async def health(bot: RunningBot) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{bot.settings.http_port}/healthz"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def metrics(bot: RunningBot) -> str:
    url = f"http://127.0.0.1:{bot.settings.http_port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return await response.text()


async def health_until(
    bot: RunningBot, wanted: Callable[[int, dict[str, Any]], bool], timeout: float = 10
) -> tuple[int, dict[str, Any]]:
    async with asyncio.timeout(timeout):
        while not wanted(*(answer := await health(bot))):
            await asyncio.sleep(0.1)
    return answer


def delivered(bot: RunningBot, texts: list[str]) -> bool:
    return {m.text for m in bot.api.sent_messages()} >= set(texts)


async def test_a_database_busy_when_the_sender_starts_delays_alerts_but_loses_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: `recover()` at the sender's start meets a locked database."""
    texts = await queue_alerts(tmp_path)
    locked = OperationalError("UPDATE outbox", {}, Exception("database is locked"))
    monkeypatch.setattr(
        OutboxRepository, "recover", fail_first(2, OutboxRepository.recover, locked)
    )
    async with start_bot(tmp_path, http_host="127.0.0.1", http_port=free_port()) as bot:
        await bot.api.wait_for(lambda: delivered(bot, texts), timeout=15)
        status, body = await health(bot)
    assert status == 200 and body["tasks"]["sender"]["up"] is True
    assert sorted(m.text for m in bot.api.sent_messages()) == sorted(texts)  # each once


async def test_a_crashing_sender_is_restarted_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = await queue_alerts(tmp_path)
    monkeypatch.setattr(Sender, "run", fail_first(2, Sender.run, RuntimeError("bug")))
    async with start_bot(tmp_path, http_host="127.0.0.1", http_port=free_port()) as bot:
        await bot.api.wait_for(lambda: delivered(bot, texts), timeout=15)
        _status, body = await health(bot)
        text = await metrics(bot)
    # Restarted after 1 s, then after 2 s: both failures are visible, the process never died.
    assert body["tasks"]["sender"]["restarts"] == 2
    assert 'oiwatch_task_restarts_total{task="sender"} 2.0' in text
    assert 'oiwatch_task_up{task="sender"} 1.0' in text


async def test_a_sender_that_cannot_drain_turns_health_503_until_it_can(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = OperationalError("SELECT outbox", {}, Exception("disk I/O error"))
    broken = {"on": True}
    drain = Sender.drain_once

    async def drain_once(self: Sender) -> int:
        if broken["on"]:
            raise down
        return await drain(self)

    monkeypatch.setattr(Sender, "drain_once", drain_once)
    async with start_bot(
        tmp_path, http_host="127.0.0.1", http_port=free_port(), stuck_seconds=1
    ) as bot:
        _status, body = await health_until(bot, lambda status, _body: status == 503)
        assert body["status"] == "stuck" and body["stuck"] == ["sender"]
        assert body["tasks"]["sender"]["last_success_age_s"] is None
        broken["on"] = False
        _status, body = await health_until(bot, lambda status, _body: status == 200)
        assert body["status"] == "ok" and body["tasks"]["sender"]["last_success_age_s"] < 2


async def test_a_poll_that_keeps_failing_is_retried_and_turns_health_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = {"on": True}
    poll = MarketFeed.poll

    async def failing_poll(self: MarketFeed) -> Any:
        if broken["on"]:
            raise OperationalError("INSERT snapshots", {}, Exception("database is locked"))
        return await poll(self)

    monkeypatch.setattr(MarketFeed, "poll", failing_poll)
    async with start_bot(
        tmp_path,
        http_host="127.0.0.1",
        http_port=free_port(),
        venues="binance",
        binance_url="http://127.0.0.1:9/",  # nothing listens: polls succeed, degraded
        liquidation_streams=False,
        poll_seconds=0.5,
        stuck_seconds=1,
    ) as bot:
        _status, body = await health_until(
            bot, lambda status, body: status == 503 and body["tasks"]["poll"]["restarts"] >= 2
        )
        assert body["status"] == "stuck" and body["stuck"] == ["poll"]
        broken["on"] = False
        _status, body = await health_until(bot, lambda status, _body: status == 200)
        assert body["tasks"]["poll"]["last_success_age_s"] < 2
        # The pipeline ran after the poll that worked (no age yet: it has not run since start).
        await health_until(bot, lambda _s, b: _ran_within(b["tasks"]["pipeline"], 2))
        assert set(body["tasks"]) == {"sender", "poll", "pipeline", "prune"}


def _ran_within(task: dict[str, Any], seconds: float) -> bool:
    age = task["last_success_age_s"]
    return age is not None and age < seconds
