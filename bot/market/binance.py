"""Binance USDⓈ-M: premiumIndex + ticker/24hr for all symbols, openInterest per symbol.

OI is the only per-symbol call of any venue (one request per symbol per tick), so the fetcher
paces it with a token bucket and stops asking when the used weight nears the 2400/min limit
(that poll then fails: a venue near its limit is not healthy).
Contracts are 1 base unit: OI arrives in coin.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiolimiter import AsyncLimiter

from bot.market.http import VenueClient, VenueError
from bot.market.models import Snapshot, Venue
from bot.market.values import BadPayload, decimal, from_ms, optional_decimal, positive, unscale

DEFAULT_URL = "https://fapi.binance.com"
COINM_URL = "https://dapi.binance.com"
WEIGHT_LIMIT = 2400  # request weight per minute and IP
WEIGHT_CEILING = 1800  # leave room for everyone else on this IP
METADATA_TTL_S = 3600.0
OI_CONCURRENCY = 16


def check_binance(status: int, body: Any) -> None:
    if status >= 400 and isinstance(body, dict) and "code" in body:
        code = body.get("code")
        if code == -1121:
            raise VenueError("invalid symbol", unknown_symbol=True)
        if code == -1003:
            raise VenueError("too many requests (-1003)", retryable=True)
        raise VenueError(f"error {code}")


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
            face = decimal(row["contractSize"], "contractSize")
            instruments[row["symbol"]] = Instrument(row["symbol"], asset, multiplier, face)
        elif row.get("quoteAsset") == "USDT":
            instruments[row["symbol"]] = Instrument(row["symbol"], asset, multiplier)
    return instruments


def parse_funding_intervals(body: Any) -> dict[str, int]:
    """fundingInfo lists only symbols whose interval or cap was adjusted; the rest are 8 h."""
    return {row["symbol"]: int(row["fundingIntervalHours"]) for row in body or []}


def build_snapshot(
    instrument: Instrument,
    premium: dict[str, Any],
    ticker: dict[str, Any] | None,
    open_interest: dict[str, Any],
    interval_hours: int,
) -> Snapshot:
    mark = positive(premium.get("markPrice"), "markPrice")
    contracts = decimal(open_interest.get("openInterest"), "openInterest")
    ts = from_ms(premium.get("time")) or from_ms(open_interest.get("time"))
    if ts is None:
        raise BadPayload("premiumIndex without time")
    volume = optional_decimal(ticker.get("volume")) if ticker else None
    face = instrument.face_usd
    if face is not None:
        # COIN-M contracts are USD: OI in USD = contracts x face, in coin = that / mark (I4);
        # volume comes in contracts, and in coin as baseVolume.
        oi_usd = contracts * face
        oi_coin = oi_usd / mark
        volume_coin = optional_decimal(ticker.get("baseVolume")) if ticker else None
        volume_usd = volume * face if volume is not None else None
    else:
        oi_coin, oi_usd = contracts * instrument.multiplier, contracts * mark
        volume_coin = volume * instrument.multiplier if volume is not None else None
        volume_usd = optional_decimal(ticker.get("quoteVolume")) if ticker else None
    return Snapshot(
        venue=Venue.BINANCE_COINM if face is not None else Venue.BINANCE,
        symbol=instrument.symbol,
        asset=instrument.asset,
        inverse=face is not None,
        ts=ts,
        mark=mark,
        index=optional_decimal(premium.get("indexPrice"), zero_is_absent=True),
        last=optional_decimal(ticker.get("lastPrice")) if ticker else None,
        oi_contracts=contracts,
        oi_coin=oi_coin,
        oi_usd=oi_usd,
        # Delivery contracts send "" here: absent, never a 0 % rate.
        funding_rate=optional_decimal(premium.get("lastFundingRate")),
        funding_interval_hours=interval_hours,
        next_funding_time=from_ms(premium.get("nextFundingTime")),
        volume_24h_coin=volume_coin,
        volume_24h_usd=volume_usd,
    )


@dataclass
class BinanceFetcher:
    client: VenueClient
    oi_per_second: float = 40.0  # spreads 300 calls over ~8 s; the budget is per minute
    venue: Venue = Venue.BINANCE
    api: str = "fapi/v1"  # "dapi/v1" for COIN-M: the same endpoints, inverse contracts
    _instruments: dict[str, Instrument] = field(default_factory=dict)
    _intervals: dict[str, int] = field(default_factory=dict)
    _metadata_at: float = 0.0
    _oi_limiter: AsyncLimiter | None = None

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> BinanceFetcher:
        return cls(VenueClient("binance", base_url, check_binance, **client))

    @classmethod
    def create_coinm(cls, base_url: str = COINM_URL, **client: Any) -> BinanceFetcher:
        return cls(
            VenueClient("binance_coinm", base_url, check_binance, **client),
            venue=Venue.BINANCE_COINM,
            api="dapi/v1",
        )

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self._instruments

    def funding_interval(self, symbol: str) -> int:
        return self._intervals.get(symbol, 8)

    async def refresh_metadata(self) -> None:
        info, funding = await asyncio.gather(
            self.client.get(f"{self.api}/exchangeInfo"), self.client.get(f"{self.api}/fundingInfo")
        )
        self._instruments = parse_instruments(info)
        self._intervals = parse_funding_intervals(funding)
        self._metadata_at = time.monotonic()

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        if not self._instruments or time.monotonic() - self._metadata_at > METADATA_TTL_S:
            await self.refresh_metadata()
        premiums, tickers = await asyncio.gather(
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
        snapshots = [
            build_snapshot(
                inst,
                by_symbol[inst.symbol],
                ticker_by_symbol.get(inst.symbol),
                interests[inst.symbol],
                self._intervals.get(inst.symbol, 8),
            )
            for inst in wanted
            if inst.symbol in interests
        ]
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

        await asyncio.gather(*(one(s) for s in symbols))
        if skipped:
            # The symbols left unasked would keep their last numbers: the poll is not whole.
            raise VenueError(
                f"request weight near the limit ({self.client.used_weight} of {WEIGHT_LIMIT} "
                f"a minute used), open interest not asked for {skipped} "
                + ("symbol" if skipped == 1 else "symbols")
            )
        return results, notes

    async def aclose(self) -> None:
        await self.client.aclose()
