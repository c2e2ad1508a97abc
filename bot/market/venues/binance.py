"""Binance USDⓈ-M: premiumIndex + ticker/24hr for all symbols, openInterest per symbol; OI
history to backfill from, the liquidation stream and 1-minute klines. COIN-M shares the poll
(bot/market/venues/binance_coinm.py).

OI is the only per-symbol call of any venue (one request per symbol per tick), so the fetcher
paces it with a token bucket and stops asking when the used weight nears the 2400/min limit
(that poll then fails: a venue near its limit is not healthy).
Contracts are 1 base unit: OI arrives in coin.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiolimiter import AsyncLimiter

from bot.i18n import N_
from bot.market.history import Funding, Market, bars, by_time, each_market, snapshot
from bot.market.http import VenueClient, VenueError, envelope_code, together
from bot.market.klines import KlineMinute, prices
from bot.market.liquidations import (
    AssetResolver,
    forced_close,
    liquidation_time,
    market_of_usdt_symbol,
)
from bot.market.models import LiquidationEvent, Snapshot, Venue
from bot.market.reasons import TOO_MANY, UNKNOWN_SYMBOL, VENUE_ERROR, reason
from bot.market.streams import VenueStream
from bot.market.values import (
    BadPayload,
    amount,
    decimal,
    from_ms,
    open_interest,
    optional_amount,
    optional_funding,
    optional_hours,
    optional_price,
    per_coin,
    positive,
    unscale,
)
from bot.market.venues.base import Feed, Has, Lacks, metadata_due
from bot.risk.side import Side

log = logging.getLogger(__name__)

DEFAULT_URL = "https://fapi.binance.com"
WEIGHT_LIMIT = 2400  # request weight per minute and IP
WEIGHT_CEILING = 1800  # leave room for everyone else on this IP
OI_CONCURRENCY = 16
LIQUIDATION_WS = "wss://fstream.binance.com/ws/!forceOrder@arr"
KLINE_WS = "wss://fstream.binance.com/stream"
MAX_ROWS = 500  # what openInterestHist serves at most
KLINE_INTERVAL = "1m"
MAX_STREAMS = 1024  # one Binance connection listens to at most this many streams
PARAMS_PER_SUBSCRIBE = 200  # a few messages for every stream: under 10 messages a second
HAS = Has(history=True, liquidations=True, klines=True)
# Two texts rather than a plural form: a reason is worded later, where only N_ texts are kept.
WEIGHT_NEAR_ONE = N_(
    "request weight near the limit ({used} of {limit} a minute used), "
    "open interest not asked for {n} symbol"
)
WEIGHT_NEAR_MANY = N_(
    "request weight near the limit ({used} of {limit} a minute used), "
    "open interest not asked for {n} symbols"
)


def check_binance(status: int, body: Any) -> None:
    if status >= 400 and isinstance(body, dict) and "code" in body:
        code = envelope_code(body, "code", int)
        if code == -1121:
            raise VenueError(reason(UNKNOWN_SYMBOL, message=code), unknown_symbol=True)
        if code == -1003:
            raise VenueError(reason(TOO_MANY, message=code), retryable=True)
        raise VenueError(reason(VENUE_ERROR, code=code))


@dataclass(frozen=True)
class Instrument:
    symbol: str
    asset: str
    multiplier: Decimal  # base units per contract unit (1000 for 1000PEPEUSDT)
    face_usd: Decimal | None = None  # COIN-M: USD per contract (100 BTC, 10 others)


def parse_instruments(body: Any) -> dict[str, Instrument]:
    """Perpetuals that trade: USDT-margined on fapi, coin-margined on dapi (which says
    `contractStatus` and gives `contractSize` in USD). Quarterlies, TradFi and delisting
    contracts are out."""
    instruments = {}
    for row in body["symbols"]:
        status = row.get("status", row.get("contractStatus"))
        if row.get("contractType") != "PERPETUAL" or status != "TRADING":
            continue
        asset, multiplier = unscale(row["baseAsset"])
        if "contractSize" in row and row.get("marginAsset") != "USDT":
            face = positive(row["contractSize"], "contractSize")
            instruments[row["symbol"]] = Instrument(row["symbol"], asset, multiplier, face)
        elif row.get("quoteAsset") == "USDT":
            instruments[row["symbol"]] = Instrument(row["symbol"], asset, multiplier)
    return instruments


def parse_funding_intervals(body: Any) -> dict[str, int | None]:
    """fundingInfo lists only symbols whose interval or cap was adjusted; the rest are 8 h. A
    listed symbol without an interval is unknown, not 8 h."""
    return {
        row["symbol"]: optional_hours(row["fundingIntervalHours"], "fundingIntervalHours")
        for row in body or []
    }


def build_snapshot(
    instrument: Instrument,
    premium: dict[str, Any],
    ticker: dict[str, Any] | None,
    interest: dict[str, Any],
    interval_hours: int | None,
) -> Snapshot | None:
    """None for a market without open interest."""
    mark = positive(premium.get("markPrice"), "markPrice")
    contracts = open_interest(interest.get("openInterest"), "openInterest")
    ts = from_ms(premium.get("time")) or from_ms(interest.get("time"))
    if ts is None:
        raise BadPayload("premiumIndex without time")
    if contracts is None:
        return None
    volume = optional_amount(ticker.get("volume"), "volume") if ticker else None
    face = instrument.face_usd
    unit = instrument.multiplier
    if face is not None:
        # COIN-M contracts are USD: OI in USD = contracts x face, in coin = that / mark (I4);
        # volume comes in contracts, and in coin as baseVolume.
        oi_usd = contracts * face
        oi_coin = oi_usd / mark
        volume_coin = optional_amount(ticker.get("baseVolume"), "baseVolume") if ticker else None
        volume_usd = volume * face if volume is not None else None
    else:
        oi_coin, oi_usd = contracts * unit, contracts * mark
        volume_coin = volume * unit if volume is not None else None
        volume_usd = optional_amount(ticker.get("quoteVolume"), "quoteVolume") if ticker else None
    return Snapshot(
        venue=Venue.BINANCE_COINM if face is not None else Venue.BINANCE,
        symbol=instrument.symbol,
        asset=instrument.asset,
        inverse=face is not None,
        ts=ts,
        mark=per_coin(mark, unit),
        index=per_coin(optional_price(premium.get("indexPrice"), "indexPrice"), unit),
        last=per_coin(optional_price(ticker.get("lastPrice"), "lastPrice"), unit)
        if ticker
        else None,
        oi_contracts=contracts,
        oi_coin=oi_coin,
        oi_usd=oi_usd,
        # Delivery contracts send "" here: absent, never a 0 % rate.
        funding_rate=optional_funding(premium.get("lastFundingRate"), "lastFundingRate"),
        funding_interval_hours=interval_hours,
        next_funding_time=from_ms(premium.get("nextFundingTime")),
        volume_24h_coin=volume_coin,
        volume_24h_usd=volume_usd,
    )


@dataclass
class BinanceFetcher(Lacks):
    client: VenueClient
    oi_per_second: float = 40.0  # spreads 300 calls over ~8 s; the budget is per minute
    venue: Venue = Venue.BINANCE
    api: str = "fapi/v1"  # "dapi/v1" for COIN-M: the same endpoints, inverse contracts
    has: Has = HAS
    liquidation_ws: str = LIQUIDATION_WS
    kline_ws: str = KLINE_WS
    _instruments: dict[str, Instrument] = field(default_factory=dict)
    _intervals: dict[str, int | None] = field(default_factory=dict)
    _metadata_at: float = 0.0
    _oi_limiter: AsyncLimiter | None = None

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> BinanceFetcher:
        return cls(VenueClient(str(Venue.BINANCE), base_url, check_binance, **client))

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self._instruments

    def markets(self) -> list[Market]:
        return [
            Market(self.venue, inst.symbol, inst.asset, inst.multiplier)
            for inst in self._instruments.values()
        ]

    def funding_interval(self, symbol: str) -> int | None:
        return self._intervals.get(symbol, 8)

    async def refresh_metadata(self) -> None:
        info, funding = await together(
            self.client.get(f"{self.api}/exchangeInfo"), self.client.get(f"{self.api}/fundingInfo")
        )
        self._instruments = parse_instruments(info)
        self._intervals = parse_funding_intervals(funding)
        self._metadata_at = time.monotonic()

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        if metadata_due(self._instruments, self._metadata_at):
            await self.refresh_metadata()
        premiums, tickers = await together(
            self.client.get(f"{self.api}/premiumIndex"), self.client.get(f"{self.api}/ticker/24hr")
        )
        by_symbol = {row["symbol"]: row for row in premiums}
        ticker_by_symbol = {row["symbol"]: row for row in tickers}
        wanted = [
            inst
            for sym, inst in self._instruments.items()
            if sym in by_symbol and (assets is None or inst.asset in assets)
        ]
        interests, notes = await self._open_interest(i.symbol for i in wanted)
        snapshots = []
        for inst in wanted:
            if inst.symbol not in interests:
                continue
            snap = build_snapshot(
                inst,
                by_symbol[inst.symbol],
                ticker_by_symbol.get(inst.symbol),
                interests[inst.symbol],
                self.funding_interval(inst.symbol),
            )
            if snap is not None:
                snapshots.append(snap)
        return snapshots, notes

    async def _open_interest(
        self, symbols: Iterable[str]
    ) -> tuple[dict[str, dict[str, Any]], list[str]]:
        if self._oi_limiter is None:
            self._oi_limiter = AsyncLimiter(self.oi_per_second, 1)
        gate = asyncio.Semaphore(OI_CONCURRENCY)
        results: dict[str, dict[str, Any]] = {}
        notes: list[str] = []
        skipped = 0

        async def one(symbol: str) -> None:
            nonlocal skipped
            async with gate:
                if self.client.used_weight > WEIGHT_CEILING:
                    skipped += 1
                    return
                async with self._oi_limiter:  # type: ignore[union-attr]
                    try:
                        body = await self.client.get(f"{self.api}/openInterest", {"symbol": symbol})
                    except VenueError as error:
                        if not error.unknown_symbol:
                            raise
                        notes.append(f"{symbol}: unknown to the venue")
                        return
                results[symbol] = body

        await together(*(one(s) for s in symbols))
        if skipped:
            # The symbols left unasked would keep their last numbers: the poll is not whole.
            unasked = WEIGHT_NEAR_ONE if skipped == 1 else WEIGHT_NEAR_MANY
            raise VenueError(
                reason(unasked, used=self.client.used_weight, limit=WEIGHT_LIMIT, n=skipped)
            )
        return results, notes

    async def backfill(self, assets: Iterable[str], hours: int) -> list[Snapshot]:
        """`openInterestHist` gives coin and USD per 5 minutes (USD / coin is the mark proxy,
        as in the real metrics files) and `fundingRate` the settled rates."""
        get = self.client.get

        async def load(market: Market) -> list[Snapshot]:
            limit = str(min(MAX_ROWS, bars(hours)))
            history, funding = await together(
                get(
                    "futures/data/openInterestHist",
                    {"symbol": market.symbol, "period": "5m", "limit": limit},
                ),
                get("fapi/v1/fundingRate", {"symbol": market.symbol, "limit": "100"}),
            )
            rates = Funding.settled(
                ((row["fundingTime"], row["fundingRate"]) for row in funding),
                self.funding_interval(market.symbol),
            )
            return binance_snapshots(market, history, rates)

        return await each_market(self, assets, load)

    def liquidations(self, assets: Iterable[str]) -> Feed[LiquidationEvent]:
        return Feed(binance_stream(), self.liquidation_ws)

    def klines(self, assets: Callable[[], Iterable[str]]) -> Feed[KlineMinute]:
        return Feed(binance_kline_stream(self, assets), self.kline_ws)

    async def aclose(self) -> None:
        await self.client.aclose()


def binance_snapshots(
    market: Market, oi_rows: list[dict[str, Any]], funding: Funding
) -> list[Snapshot]:
    snapshots = []
    for ts, row in by_time(oi_rows, lambda row: row["timestamp"]):
        coin = decimal(row["sumOpenInterest"], "sumOpenInterest")
        if coin <= 0:
            continue  # no OI, so no USD / coin price: left out rather than guessed
        # The mark is USD / coin: never 0 or negative.
        usd = positive(row["sumOpenInterestValue"], "sumOpenInterestValue")
        snapshots.append(
            snapshot(market, ts, funding, mark=usd / coin, contracts=coin, coin=coin, usd=usd)
        )
    return snapshots


def parse_binance_force_order(
    frame: dict[str, Any], resolve: AssetResolver = market_of_usdt_symbol
) -> LiquidationEvent | None:
    """A raw `/ws` frame or a `/stream` one wrapped as {"stream", "data"}; both carry one order."""
    data = frame.get("data", frame)
    if data.get("e") != "forceOrder":
        return None
    order = data["o"]
    market = resolve(order["s"])
    if market is None:
        return None
    qty = positive(order.get("z") or order.get("q"), "filled quantity")
    price = positive(order.get("ap") or order.get("p"), "average price")
    ts = liquidation_time(order.get("T") or data.get("E"))
    side = Side.LONG if order["S"] == "SELL" else Side.SHORT
    return forced_close(Venue.BINANCE, order["s"], market, side, qty, price, ts)


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
    open_, high, low, close = (
        per_coin(price, multiplier) for price in prices(k["o"], k["h"], k["l"], k["c"])
    )
    return KlineMinute(
        str(Venue.BINANCE),
        asset,
        minute,
        float(open_),
        float(high),
        float(low),
        float(close),
        float(amount(k["v"], "v") * multiplier),
        float(amount(k["V"], "V") * multiplier),
    )


def kline_subscriptions(symbols: list[str]) -> tuple[str, ...]:
    """SUBSCRIBE messages for `<symbol>@kline_1m` of each symbol, a few on one connection."""
    if len(symbols) > MAX_STREAMS:
        log.warning("kline stream: %d symbols, listening to %d", len(symbols), MAX_STREAMS)
    names = [f"{s.lower()}@kline_{KLINE_INTERVAL}" for s in symbols[:MAX_STREAMS]]
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


def binance_stream() -> VenueStream[LiquidationEvent]:
    def parse(frame: dict[str, Any]) -> list[LiquidationEvent]:
        event = parse_binance_force_order(frame)
        return [event] if event is not None else []

    return VenueStream(Venue.BINANCE, parse)


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
