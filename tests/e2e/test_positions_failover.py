"""The position guard across a leader failover, two real processes on PostgreSQL: the leader
alerts the 5 % level, is killed, and the follower that takes over loads the position with what
was already sent: the 2 % level comes once, the 5 % never again."""

from __future__ import annotations

import signal

import aiohttp
import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.test_failover import POLL_S, _replica, _until_role
from tests.e2e.test_webhook_and_ops import free_port
from tests.fakes.exchange import FakeExchange
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.timeout(120)
ME = 1001


async def test_the_new_leader_guards_the_position_without_repeating(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas need PostgreSQL (set OIWATCH_TEST_DATABASE_URL)")
    port_a, port_b = free_port(), free_port()
    async with FakeExchange() as fx, FakeTelegramAPI(TOKEN) as api, aiohttp.ClientSession() as http:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000, funding="0.0001")
        leader = await _replica(api, fx, database_url, port_a)
        follower = None

        async def said(count: int) -> str:
            await api.wait_for(lambda: len(api.sent_messages(ME)) >= count, timeout=6 * POLL_S)
            return api.sent_messages(ME)[count - 1].text

        try:
            await _until_role(http, port_a, "leader", 30)
            follower = await _replica(api, fx, database_url, port_b)
            await _until_role(http, port_b, "follower", 30)
            # Hyperliquid has no formula in bot.risk: textbook, mmr 0.5 %: 60,000 × 0.905.
            for _ in range(20):  # the first poll may still be on its way
                api.push_message(ME, "/pos add BTC long 60000 10x size=0.2 hyperliquid")
                reply = await said(len(api.sent_messages(ME)) + 1)
                if "Guarding" in reply:
                    break
            assert "Liquidation 54,300.00: <b>9.50%</b> away" in reply
            fx.set("BTC", mark=57000, index=57000)  # 4.74 %
            assert "(below your 5 % level)" in await said(len(api.sent_messages(ME)) + 1)
            # Past the message in flight (the outbox may send that one twice, by design).
            polled = fx.requests["/hyperliquid/info"]
            await api.wait_for(lambda: fx.requests["/hyperliquid/info"] >= polled + 2, timeout=20)

            leader.send_signal(signal.SIGKILL)
            await leader.wait()
            await _until_role(http, port_b, "leader", 4 * POLL_S)
            sent = len(api.sent_messages(ME))
            fx.set("BTC", mark=55300, index=55300)  # 1.81 %
            assert "(below your 2 % level)" in await said(sent + 1)
            polled = fx.requests["/hyperliquid/info"]
            await api.wait_for(lambda: fx.requests["/hyperliquid/info"] >= polled + 3, timeout=20)
            assert len(api.sent_messages(ME)) == sent + 1  # the 5 % is not repeated
        finally:
            for process in (leader, follower):
                if process is not None and process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    await process.wait()
