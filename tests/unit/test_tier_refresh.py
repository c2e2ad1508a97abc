"""The daily tier refresh asks Bybit for the inverse category too, and a venue's network
failure reads as something a trader can act on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import aiohttp

from bot.feed.freshness import VenueHealth
from bot.i18n import N_
from bot.market.history import Market
from bot.market.http import VenueClient, network_reason
from bot.market.models import Venue
from bot.market.reasons import duration, reason
from bot.market.venues.bybit import bybit_symbols, bybit_tiers
from bot.risk.tiers import load_default_tiers, tiers_from_bybit_risk_limit
from tests.fakes.exchange import fixture


class RiskLimitStub:
    """Answers risk-limit with the documented inverse example; linear symbols are unknown."""

    def __init__(self) -> None:
        self.asked: list[dict[str, str]] = []

    async def get(self, path: str, params: dict[str, str]) -> Any:
        self.asked.append(params)
        if params["category"] == "inverse" and params["symbol"] == "BTCUSD":
            return fixture("bybit/risk_limit_inverse_BTCUSD.json")
        return {"retCode": 0, "result": {"category": params["category"], "list": []}}


async def test_refresh_reads_the_inverse_category() -> None:
    stub = RiskLimitStub()
    markets = [Market(Venue.BYBIT, f"{a}USDT", a, D(1)) for a in ("BTC", "SOL", "ETH")]
    symbols = bybit_symbols(markets, ["BTC", "SOL"])
    assert list(symbols) == ["BTCUSDT", "SOLUSDT", "BTCUSD"]
    client: VenueClient = stub  # type: ignore[assignment]
    [table] = await bybit_tiers(client, symbols)
    assert [(p["category"], p["symbol"]) for p in stub.asked] == [
        ("linear", "BTCUSDT"),
        ("linear", "SOLUSDT"),
        ("inverse", "BTCUSD"),
    ]
    [tier] = table.tiers
    # Percent in the answer ("0.5" with "1" at 100x), a cap in coin.
    assert (table.unit, tier.cap, tier.mmr, tier.max_leverage) == ("coin", 150, D("0.005"), 100)


def test_a_scaled_contract_is_asked_by_its_symbol_and_kept_under_the_asset() -> None:
    """Bybit lists PEPE as 1000PEPEUSDT only: asking for PEPEUSDT got "unknown symbol" every
    day and /liq PEPE bybit had no table."""
    markets = [
        Market(Venue.BYBIT, "1000PEPEUSDT", "PEPE", D(1000)),
        Market(Venue.BYBIT, "BTCUSDT", "BTC", D(1)),
    ]
    assert bybit_symbols(markets, ["PEPE"]) == {"1000PEPEUSDT": "PEPEUSDT"}
    # Where a venue lists both, the unscaled contract's table is the asset's one.
    both = [*markets, Market(Venue.BYBIT, "PEPEUSDT", "PEPE", D(1))]
    assert bybit_symbols(both, ["PEPE"]) == {"PEPEUSDT": "PEPEUSDT"}


def test_bundled_btcusd_table_is_the_documented_tier() -> None:
    payload = fixture("bybit/risk_limit_inverse_BTCUSD.json")
    live = tiers_from_bybit_risk_limit(payload, "BTCUSD", "2022-12-26")
    bundled = load_default_tiers().get("bybit", "BTCUSD")
    assert bundled is not None and bundled.unit == "coin"
    assert [(t.cap, t.mmr, t.max_leverage, t.maintenance_amount) for t in bundled.tiers] == [
        (t.cap, t.mmr, t.max_leverage, t.maintenance_amount) for t in live.tiers
    ]


def test_network_failures_in_words_and_the_venue_named_once() -> None:
    dns = aiohttp.ClientConnectorDNSError(
        aiohttp.client_reqrep.ConnectionKey("x", 443, True, True, None, None, None),
        OSError("no such host"),
    )
    assert str(network_reason(dns)) == "unreachable (its address does not resolve)"
    dropped = network_reason(aiohttp.ServerDisconnectedError())
    assert str(dropped) == "connection dropped mid-answer"
    health = VenueHealth()
    first = datetime(2026, 12, 1, 6, 31, tzinfo=UTC)
    health.failed(network_reason(dns), first)
    later = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    health.failed(reason(N_("timed out after {seconds}s"), seconds=duration(10.0, 1)), later)
    assert health.problem(later) == "since 06:31 UTC (timed out after 10s)"
    health.answered(datetime(2026, 12, 1, 7, 1, tzinfo=UTC), frozenset({"BTC"}))
    assert (health.last_error, health.failing_since) == (None, None)
