"""The fake exchange's answers recorded once through the real fetchers, and a client that
serves them back, changed, without a socket: so a fuzz can send a venue's poll thousands of
broken answers in seconds. The client is the real VenueClient with only the wire replaced, so
the venue's envelope check, retries and breaker run as they do live."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bot.market.http import VenueClient, VenueError
from bot.market.models import Venue
from bot.market.reasons import UNKNOWN_SYMBOL, reason
from bot.market.venues.base import MarketVenue
from bot.market.venues.registry import MarketEndpoints, make_fetchers
from tests.fakes.exchange import FakeExchange

Key = tuple[str, str]  # path, and its query or JSON body as sorted JSON
Answers = dict[Key, Any]
NOW_MS = 1_764_000_000_000
ASSETS = ("BTC", "ETH", "PEPE")  # PEPE is scaled: 1000PEPEUSDT, kPEPE


def key(path: str, kwargs: dict[str, Any]) -> Key:
    sent = kwargs.get("params") or kwargs.get("json") or {}
    return path, orjson.dumps(sent, option=orjson.OPT_SORT_KEYS).decode()


@dataclass
class ReplayClient(VenueClient):
    answers: Answers = field(default_factory=dict)

    async def _once(self, method: str, path: str, **kwargs: Any) -> Any:
        self.requests += 1
        if key(path, kwargs) not in self.answers:
            # What the fake answers a symbol it does not list.
            raise VenueError(reason(UNKNOWN_SYMBOL, message="replay"), unknown_symbol=True)
        body = self.answers[key(path, kwargs)]
        self.check(200, body)
        return body


def replaying(fetcher: MarketVenue, answers: Answers) -> MarketVenue:
    """The fetcher with its wire swapped for `answers`."""
    real = fetcher.client
    fetcher.client = ReplayClient(real.name, real.base_url, real.check, answers=answers)
    return fetcher


def fresh(venue: Venue) -> MarketVenue:
    """A venue fetcher as a first poll finds it: no instruments loaded yet."""
    return make_fetchers(MarketEndpoints(), [venue])[0]


Call = Callable[[MarketVenue], Awaitable[object]]


async def _record(call: Call) -> dict[Venue, Answers]:
    answers: dict[Venue, Answers] = {}
    async with FakeExchange() as fx:
        fx.now_ms = NOW_MS
        for i, asset in enumerate(ASSETS):
            fx.set(asset, mark=10 ** (4 - i), oi_coin=10 ** (3 + i), venues={str(v) for v in Venue})
        fx.set("ETH", interval_h=4)
        for fetcher in make_fetchers(fx.endpoints, list(Venue)):
            got = answers[fetcher.venue] = {}
            wire = fetcher.client._once

            async def record(
                method: str, path: str, _into: Answers = got, _wire: Any = wire, **kwargs: Any
            ) -> Any:
                body = await _wire(method, path, **kwargs)
                _into[key(path, kwargs)] = body
                return body

            fetcher.client._once = record  # type: ignore[method-assign]
            await call(fetcher)
            await fetcher.aclose()
    return answers


def record(call: Call) -> dict[Venue, Answers]:
    """Every venue's answers to `call` (a poll, a backfill) over the fake's three markets."""
    return asyncio.run(_record(call))
