"""One-minute klines from Binance's websocket: what the poll cannot give (the bar's high and
low, traded volume, taker buy volume), for every polled asset, on one connection.

Why a stream and not REST klines polled each tick: Binance pushes the open minute every 250 ms,
so a crash shows in the next poll's points whatever the poll interval, at no request weight;
REST would cost one request per symbol per poll (300 symbols: 300 more requests a minute on
top of the 300 per-symbol OI calls) and still lag by up to a poll.

Frames come from the combined endpoint (`/stream`, wrapped as {"stream", "data"}); each
carries the whole minute so far, so the newest frame of a minute replaces the one before.
Prices stay as quoted (per 1000 coins for 1000PEPEUSDT); volumes are converted to coins.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.market.binance import BinanceFetcher
from bot.market.models import Venue
from bot.market.streams import VenueStream
from bot.market.values import BadPayload, decimal, from_ms, unscale

log = logging.getLogger(__name__)

INTERVAL = "1m"
MAX_STREAMS = 1024  # one Binance connection listens to at most this many streams
PARAMS_PER_SUBSCRIBE = 200  # a few messages for every stream: under 10 messages a second


@dataclass(frozen=True, slots=True)
class KlineMinute:
    venue: str
    asset: str
    minute: datetime  # the minute's open time
    open: float
    high: float
    low: float
    close: float
    volume: float  # coins traded
    taker_buy: float  # coins bought by takers; the rest was sold into bids


def parse_binance_kline(frame: dict[str, Any]) -> KlineMinute | None:
    """A combined-stream frame or a raw one; subscription replies ({"result", "id"}) are None."""
    data = frame.get("data", frame)
    if data.get("e") != "kline":
        return None
    k = data["k"]
    symbol = str(k["s"])
    if not symbol.endswith("USDT"):
        return None
    asset, multiplier = unscale(symbol.removesuffix("USDT"))
    minute = from_ms(k["t"])
    if minute is None:
        raise BadPayload("kline without a start time")
    return KlineMinute(
        str(Venue.BINANCE),
        asset,
        minute,
        float(decimal(k["o"], "o")),
        float(decimal(k["h"], "h")),
        float(decimal(k["l"], "l")),
        float(decimal(k["c"], "c")),
        float(decimal(k["v"], "v") * multiplier),
        float(decimal(k["V"], "V") * multiplier),
    )


def kline_subscriptions(symbols: list[str]) -> tuple[str, ...]:
    """SUBSCRIBE messages for `<symbol>@kline_1m` of each symbol, a few on one connection."""
    if len(symbols) > MAX_STREAMS:
        log.warning("kline stream: %d symbols, listening to %d", len(symbols), MAX_STREAMS)
    names = [f"{s.lower()}@kline_{INTERVAL}" for s in symbols[:MAX_STREAMS]]
    return tuple(
        json.dumps(
            {
                "method": "SUBSCRIBE",
                "params": names[at : at + PARAMS_PER_SUBSCRIBE],
                "id": at // PARAMS_PER_SUBSCRIBE + 1,
            }
        )
        for at in range(0, len(names), PARAMS_PER_SUBSCRIBE)
    )


def binance_kline_stream(
    fetcher: BinanceFetcher, assets: Callable[[], Iterable[str]]
) -> VenueStream[KlineMinute]:
    """Klines of the polled assets, by the venue's own symbols (1000PEPEUSDT for PEPE): the
    instruments are loaded before connecting, and each reconnect subscribes to the assets
    known by then."""

    async def prepare() -> None:
        if not fetcher.instruments:
            await fetcher.refresh_metadata()

    def subscribe() -> tuple[str, ...]:
        wanted = set(assets())
        return kline_subscriptions(
            sorted(s for s, i in fetcher.instruments.items() if i.asset in wanted)
        )

    def parse(frame: dict[str, Any]) -> list[KlineMinute]:
        kline = parse_binance_kline(frame)
        return [kline] if kline is not None else []

    return VenueStream(Venue.BINANCE, parse, subscribe=subscribe, prepare=prepare, name="kline")


@dataclass
class KlineBook:
    """The newest state of every minute seen since the last drain."""

    _minutes: dict[tuple[str, str, datetime], KlineMinute] = field(default_factory=dict)

    def add(self, kline: KlineMinute) -> None:
        self._minutes[(kline.venue, kline.asset, kline.minute)] = kline

    def drain(self) -> list[KlineMinute]:
        minutes = list(self._minutes.values())
        self._minutes.clear()
        return minutes
