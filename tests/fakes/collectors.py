"""A collector of the real venue fetchers over the fake exchange, on its pinned clock, retrying
fast: for tests that make venues fail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.market.collector import Collector
from bot.market.http import RetryPolicy
from bot.market.venues.registry import DEFAULT_VENUES, make_fetchers
from tests.fakes.exchange import FakeExchange

FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)


def exchange_time(fx: FakeExchange) -> datetime:
    return datetime.fromtimestamp(fx.now_ms / 1000, UTC)


def collector_for(
    fx: FakeExchange, assets: Sequence[str] = ("BTC", "ETH"), **client: object
) -> Collector:
    client.setdefault("retry", FAST)
    client.setdefault("timeout_s", 2.0)
    return Collector(
        make_fetchers(fx.endpoints, list(DEFAULT_VENUES), **client),
        list(assets),
        clock=lambda: exchange_time(fx),
    )
