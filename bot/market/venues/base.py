"""What every venue module offers the rest of the bot: one small protocol, and capability flags
saying which of its optional parts a venue has (in the spirit of ccxt's `has`), so callers ask
the flag instead of the venue's class."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from bot.market.http import VenueClient
from bot.market.klines import KlineMinute
from bot.market.models import LiquidationEvent, Snapshot, Venue
from bot.market.streams import VenueStream

if TYPE_CHECKING:  # at run time only a tier refresh loads it, with its translations
    from bot.risk.tiers import TierTable

E = TypeVar("E")
METADATA_TTL_S = 3600.0


@dataclass(frozen=True, slots=True)
class Has:
    """The optional parts of a venue: callers ask the flag before they call the method."""

    history: bool = False  # OI history to backfill a first start from
    liquidations: bool = False  # a public liquidation websocket
    klines: bool = False  # 1-minute klines on a websocket
    tiers: bool = False  # public tier tables, refreshed daily


@dataclass(frozen=True, slots=True)
class Feed(Generic[E]):
    """A websocket to keep alive: what it carries and where it is."""

    stream: VenueStream[E]
    url: str


class MarketVenue(Protocol):
    """One venue, as the collector, the market service and the runner use it."""

    venue: Venue
    client: VenueClient  # one aiohttp session for all its REST calls, reused
    has: Has

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        """One poll: a snapshot per polled instrument, and notes on what was partial."""
        ...

    async def backfill(self, assets: Iterable[str], hours: int) -> list[Snapshot]:
        """Up to `hours` of 5-minute history of `assets`, in the poll's units."""
        ...

    def liquidations(self, assets: Iterable[str]) -> Feed[LiquidationEvent]: ...

    def klines(self, assets: Callable[[], Iterable[str]]) -> Feed[KlineMinute]:
        """`assets` is asked on every connect, so a reconnect follows new listings."""
        ...

    async def tiers(self, assets: list[str]) -> list[TierTable]: ...

    async def aclose(self) -> None: ...


def metadata_due(listed: Sized, loaded_at: float) -> bool:
    """Whether a tick reads the venue's instrument list first: none yet, or an hour old (new
    listings and delistings)."""
    return not listed or time.monotonic() - loaded_at > METADATA_TTL_S


class Lacks:
    """The optional parts for a venue that lacks them (its flags off): mixed into a venue class
    so it writes only what it has. Nobody calls these; the flags say not to."""

    async def backfill(self, assets: Iterable[str], hours: int) -> list[Snapshot]:
        raise NotImplementedError("no history (has.history is off)")

    def liquidations(self, assets: Iterable[str]) -> Feed[LiquidationEvent]:
        raise NotImplementedError("no liquidation stream (has.liquidations is off)")

    def klines(self, assets: Callable[[], Iterable[str]]) -> Feed[KlineMinute]:
        raise NotImplementedError("no klines (has.klines is off)")

    async def tiers(self, assets: list[str]) -> list[TierTable]:
        raise NotImplementedError("no tier tables (has.tiers is off)")
