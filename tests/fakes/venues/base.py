"""What every venue fake shares: how it is declared (routes as data), the recorded fixtures its
bodies are built from, and the symbol conventions of the scripted assets."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.market.models import Venue

if TYPE_CHECKING:
    from tests.fakes.exchange import FakeExchange

# Copied into the repository with their provenance (SOURCES.md beside them): a clone tests
# green with nothing beside it.
TEST_DATA = Path(__file__).resolve().parents[2] / "data"
FIXTURES = TEST_DATA / "exchanges"
SCALED = {"PEPE": 1000, "SHIB": 1000, "BONK": 1000}
BAR_MS = 300_000  # the 5-minute bars of OI history
HISTORY_BARS = 1440  # what the fake Bybit and OKX keep (OKX's documented cap)

# A path's answer: a JSON body, or a whole response (an error status, a null body).
Route = Callable[["FakeExchange", web.Request], Awaitable[Any]]


def fixture(name: str) -> Any:
    """A recorded response, parsed afresh: callers may change it."""
    return json.loads((FIXTURES / name).read_text())


@cache
def recorded(name: str) -> Any:
    """A recorded response as a template, parsed once: copy before changing it."""
    return fixture(name)


def s(value: Decimal | float | int) -> str:
    """A number as the venues send it in strings: plain digits, no exponent."""
    return format(Decimal(str(value)).normalize(), "f")


def binance_symbol(asset: str) -> str:
    scale = SCALED.get(asset)
    return f"{scale}{asset}USDT" if scale else f"{asset}USDT"


def no_headers(fx: FakeExchange) -> dict[str, str]:
    return {}


def no_answer(message: str) -> str | None:
    return None


@dataclass(frozen=True)
class VenueFake:
    """One venue as the fake serves it: `routes` maps a path below `prefix` to its answer."""

    venue: Venue
    prefix: str  # the first path segment of its REST endpoints: /binance/fapi/v1/...
    routes: Mapping[str, Route]
    # MarketEndpoints field -> path on the fake; a path ending in -ws is a websocket.
    endpoints: Mapping[str, str] = field(default_factory=dict)
    # Requests under `prefix` carrying these query values are this venue's (Bybit inverse
    # shares Bybit's host and tells itself apart by category).
    query: Mapping[str, str] = field(default_factory=dict)
    throttled: Callable[[], Any] = dict  # the body of a 429 or 418
    envelope_rate: Callable[[], Any] | None = None  # its HTTP-200 "too many requests"
    headers: Callable[[FakeExchange], dict[str, str]] = no_headers
    # What its websockets answer a client's message with (a pong, a subscription's result).
    ws_answer: Callable[[str], str | None] = no_answer

    def claims(self, prefix: str, path: str, request: web.Request) -> bool:
        return (
            prefix == self.prefix
            and path in self.routes
            and all(request.query.get(k) == v for k, v in self.query.items())
        )
