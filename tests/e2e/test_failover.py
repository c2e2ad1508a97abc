"""Two replicas on the real PostgreSQL, real processes: one leads (polls Telegram and the
venues, sends), the other waits. SIGKILL the leader mid-broadcast: the follower takes over
within two poll intervals, delivers every pending alert (at most the in-flight one per chat
twice, in order), and the rules the dead leader held fire from the new one."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade_database
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from tests.e2e.conftest import TOKEN, spawn_bot
from tests.e2e.test_alerts_over_http import _polls
from tests.e2e.test_cascade_over_http import (
    CHAT,
    QUIET_S,
    _alerts,
    _calm,
    _clear_of_a_bar_end,
    _crash,
    _minute,
)
from tests.e2e.test_webhook_and_ops import free_port
from tests.fakes.exchange import FakeExchange
from tests.fakes.telegram_api import FakeTelegramAPI

CHATS = 15
PER_CHAT = 3
POLL_S = 2.0

pytestmark = pytest.mark.timeout(120)


async def _replica(
    api: FakeTelegramAPI, fx: FakeExchange, database_url: str, port: int, **settings: str
) -> asyncio.subprocess.Process:
    """Hyperliquid polled, no streams; `settings` adds or overrides OIWATCH_ names."""
    return await spawn_bot(
        api,
        database_url,
        **{
            "venues": "hyperliquid",
            "symbols": "BTC",
            "hyperliquid_url": fx.endpoints.hyperliquid,
            "liquidation_streams": "false",
            "poll_seconds": str(POLL_S),
            "http_host": "127.0.0.1",
            "http_port": str(port),
            **settings,
        },
    )


async def _role(http: aiohttp.ClientSession, port: int) -> str | None:
    try:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            return str((await response.json())["role"])
    except aiohttp.ClientError:
        return None


async def _until_role(http: aiohttp.ClientSession, port: int, role: str, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while await _role(http, port) != role:
            await asyncio.sleep(0.05)


@dataclass
class Replicas:
    leader: asyncio.subprocess.Process
    follower_port: int


@contextlib.asynccontextmanager
async def _replicas(
    api: FakeTelegramAPI,
    fx: FakeExchange,
    database_url: str,
    http: aiohttp.ClientSession,
    **settings: str,
) -> AsyncIterator[Replicas]:
    """A leader, then a follower on the same database; both stopped at the end (the leader
    unless the test killed it)."""
    port_a, port_b = free_port(), free_port()
    processes = [await _replica(api, fx, database_url, port_a, **settings)]
    try:
        await _until_role(http, port_a, "leader", 30)
        processes.append(await _replica(api, fx, database_url, port_b, **settings))
        await _until_role(http, port_b, "follower", 30)
        yield Replicas(processes[0], port_b)
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=15)


async def test_killing_the_leader_hands_over_without_losing_alerts(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas need PostgreSQL (set OIWATCH_TEST_DATABASE_URL)")
    engine = make_engine(database_url)
    await upgrade_database(engine)
    outbox = OutboxRepository(make_session_factory(engine))
    expected = [
        OutgoingAlert(2000 + chat, f"alert-{chat}-{n}", f"alert {chat}/{n}")
        for n in range(PER_CHAT)
        for chat in range(CHATS)
    ]
    async with FakeExchange() as fx, FakeTelegramAPI(TOKEN) as api, aiohttp.ClientSession() as http:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        async with _replicas(api, fx, database_url, http) as replicas:
            leader, port_b = replicas.leader, replicas.follower_port
            api.push_message(1001, "/watch BTC funding > 0.05%")
            await api.wait_for(lambda: bool(api.sent_messages(1001)), timeout=10)
            assert "rule #1" in api.sent_messages(1001)[-1].text

            # Each send takes a while, so the kill lands with messages in flight.
            api.fail_next("sendMessage", status=200, delay_s=0.15, times=10_000)
            await outbox.enqueue(expected, datetime.now(UTC))
            await api.wait_for(lambda: len(api.sent_messages()) >= CHATS, timeout=30)
            leader.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await leader.wait()
            assert len(api.sent_messages()) - 1 < len(expected), "killed too late to prove much"

            await _until_role(http, port_b, "leader", 2 * POLL_S)
            takeover = time.monotonic() - killed
            assert takeover <= 2 * POLL_S
            await api.wait_for(
                lambda: {m.text for m in api.sent_messages()} >= {a.text for a in expected},
                timeout=40,
            )

            # The rule the dead leader held fires from the new one, once.
            api.clear_faults()
            before = len(api.sent_messages(1001))
            fx.set("BTC", funding="0.0008")
            await api.wait_for(lambda: len(api.sent_messages(1001)) > before, timeout=4 * POLL_S)
            assert "BTC funding &gt; 0.05%</b> crossed (#1)" in api.sent_messages(1001)[-1].text
            await asyncio.sleep(2 * POLL_S)
            assert len(api.sent_messages(1001)) == before + 1
    await engine.dispose()

    alerts = [m for m in api.sent_messages() if m.text.startswith("alert ")]
    counts = Counter(m.text for m in alerts)
    repeated = {text: n for text, n in counts.items() if n > 1}
    per_chat = Counter(text.split("/")[0] for text in repeated)
    assert all(n == 2 for n in repeated.values())
    assert all(n <= 1 for n in per_chat.values())  # at most the in-flight one per chat
    assert set(counts) == {a.text for a in expected}
    for chat in range(CHATS):
        texts = [m.text for m in api.sent_messages(2000 + chat)]
        assert texts == sorted(texts) and len(set(texts)) == PER_CHAT
    print(f"takeover after SIGKILL: {takeover:.2f} s (poll interval {POLL_S:g} s)")


@pytest.mark.parametrize("kill", [True, False], ids=["leader killed", "no kill"])
async def test_a_cascade_under_way_goes_on_in_its_thread_under_the_new_leader(
    database_url: str, kill: bool
) -> None:
    """The leader dies once the early warning is sent; OI then falls 3 %, then 10 %. The new
    leader loads the cascade tracker the old one saved, and measures the market's usual
    before the event, as the old one did: it confirms and escalates the event it never saw
    open, then sends its summary, each a quiet reply to the early warning. The chat reads
    exactly what it reads when nobody is killed."""
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas need PostgreSQL (set OIWATCH_TEST_DATABASE_URL)")
    engine = make_engine(database_url)
    await upgrade_database(engine)
    outbox = OutboxRepository(make_session_factory(engine))
    async with FakeExchange() as fx, FakeTelegramAPI(TOKEN) as api, aiohttp.ClientSession() as http:
        _calm(fx)
        e = fx.endpoints
        streams = {  # as test_cascade_over_http's bot
            "venues": "binance,bybit,okx,hyperliquid",
            "binance_url": e.binance,
            "bybit_url": e.bybit,
            "okx_url": e.okx,
            "binance_ws_url": e.binance_ws,
            "binance_kline_ws_url": e.binance_kline_ws,
            "bybit_ws_url": e.bybit_ws,
            "okx_ws_url": e.okx_ws,
            "liquidation_streams": "true",
            "cascade_quiet_minutes": str(QUIET_S / 60),
        }
        async with _replicas(api, fx, database_url, http, **streams) as replicas:
            api.push_message(CHAT, "/watch BTC squeeze")
            await api.wait_for(lambda: bool(api.sent_messages(CHAT)), timeout=10)
            await _polls(fx, 3)
            await _clear_of_a_bar_end()
            before = len(api.sent_messages(CHAT))
            minute = _crash(fx)
            await api.wait_for(lambda: len(_alerts(api, before)) >= 1, timeout=15)
            if kill:
                # Killed once the warning is marked sent: one killed mid-send is sent again (at
                # least once), which test_killing_the_leader_hands_over_without_losing_alerts
                # shows.
                async with asyncio.timeout(10):
                    while {m.status for m in await outbox.messages(CHAT)} != {"sent"}:
                        await asyncio.sleep(0.05)
                replicas.leader.send_signal(signal.SIGKILL)
                await replicas.leader.wait()
                await _until_role(http, replicas.follower_port, "leader", 4 * POLL_S)
            fx.set("BTC", oi_coin=87300)
            await api.wait_for(lambda: len(_alerts(api, before)) >= 2, timeout=15)
            fx.set("BTC", oi_coin=81000)
            await api.wait_for(lambda: len(_alerts(api, before)) >= 3, timeout=15)
            fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
            _minute(fx, minute, close=60000, volume=950, taker_buy=180)
            await api.wait_for(lambda: len(_alerts(api, before)) >= 4, timeout=QUIET_S + 20)
            await _polls(fx, 2)
    await engine.dispose()

    early, confirmed, escalated, over = _alerts(api, before)  # nothing else, nothing twice
    assert "🚨 <b>Early</b> · <b>BTC likely long squeeze starting" in early.text
    assert "<b>Confirmed</b> · <b>BTC long squeeze in progress: OI -4.1% from" in confirmed.text
    assert (
        "<b>Escalated to extreme</b> · <b>BTC long squeeze intensifying (high → extreme): "
        "OI -11.0% from its peak" in escalated.text
    )
    assert "✅ <b>Over</b> · <b>BTC long squeeze over after" in over.text
    assert "liquidated: longs 23.3M USD, shorts 0.0M USD" in over.text
    for reply in (confirmed, escalated, over):
        assert reply.reply_to == early.message_id and reply.silent
