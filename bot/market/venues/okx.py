"""OKX v5 swaps: five bulk calls joined on instId (OI, funding, mark, tickers, index); OI
history, the liquidation stream and the position tiers.

`code` is a string and errors come inside HTTP 200. OI arrives in contracts; coin = contracts x
ctVal from the instruments list (0.01 BTC for BTC-USDT-SWAP). The funding interval is
nextFundingTime - fundingTime: OKX symbols can run 8, 6, 4, 2 or 1 h.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.market.history import (
    Funding,
    Market,
    Page,
    bars,
    by_time,
    each_market,
    market_per_asset,
    newest_first,
    snapshot,
)
from bot.market.http import VenueClient, VenueError, envelope_code, together
from bot.market.liquidations import PING_S, forced_close, liquidation_time
from bot.market.models import LiquidationEvent, Snapshot, Venue
from bot.market.reasons import ANSWER_WITHOUT, RATE_LIMITED, UNKNOWN_SYMBOL, VENUE_SAID, reason
from bot.market.streams import KeepAlive, VenueStream
from bot.market.values import (
    NOT_AS_DOCUMENTED,
    BadPayload,
    decimal,
    from_ms,
    open_interest,
    optional_amount,
    optional_funding,
    optional_price,
    per_coin,
    positive,
    unscale,
)
from bot.market.venues.base import Feed, Has, Lacks, metadata_due
from bot.risk.side import Side

if TYPE_CHECKING:
    from bot.risk.tiers import TierTable

log = logging.getLogger(__name__)

DEFAULT_URL = "https://www.okx.com"
LIQUIDATION_WS = "wss://ws.okx.com:8443/ws/v5/public"
OKX_SUBSCRIBE = {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}
# OKX instId -> (asset, ctValCcy units per contract, coins per such unit); USD-margined swaps
# are absent, so they are skipped.
OkxContracts = Mapping[str, tuple[str, Decimal, Decimal]]
OI_PAGE = 100
TS, OI_CONTRACTS, OI_COIN, OI_USD = 0, 1, 2, 3
HAS = Has(history=True, liquidations=True, tiers=True)


def check_okx(status: int, body: Any) -> None:
    if not isinstance(body, dict) or "code" not in body:
        if status < 400:
            raise VenueError(reason(ANSWER_WITHOUT, field="code"))
        return
    code = envelope_code(body, "code", str)
    if code == "0":
        return
    message = str(body.get("msg", ""))[:80]
    if code in ("50011", "50013"):
        raise VenueError(reason(RATE_LIMITED, code=code), retryable=True)
    if code == "51001":
        raise VenueError(reason(UNKNOWN_SYMBOL, message=message), unknown_symbol=True)
    raise VenueError(reason(VENUE_SAID, code=code, message=message))


@dataclass(frozen=True)
class Instrument:
    inst_id: str
    asset: str
    ct_val: Decimal  # base coin per contract
    multiplier: Decimal


def parse_instruments(body: Any) -> dict[str, Instrument]:
    instruments = {}
    for row in body["data"]:
        if (
            row.get("ctType") == "linear"
            and row.get("settleCcy") == "USDT"
            and row.get("state") == "live"
        ):
            asset, multiplier = unscale(row.get("ctValCcy") or row["uly"].split("-")[0])
            instruments[row["instId"]] = Instrument(
                row["instId"], asset, positive(row.get("ctVal"), "ctVal"), multiplier
            )
    return instruments


def funding_interval_hours(row: dict[str, Any]) -> int | None:
    start, end = from_ms(row.get("fundingTime")), from_ms(row.get("nextFundingTime"))
    if start is None or end is None:
        return None
    hours = round((end - start).total_seconds() / 3600)
    return hours if hours > 0 else None


def build_snapshot(
    inst: Instrument,
    oi: dict[str, Any],
    funding: dict[str, Any] | None,
    mark_row: dict[str, Any],
    ticker: dict[str, Any] | None,
    index: dict[str, Any] | None,
) -> Snapshot | None:
    """None for a market without open interest."""
    mark = positive(mark_row.get("markPx"), "markPx")
    contracts = open_interest(oi.get("oi"), "oi")
    ts = from_ms(mark_row.get("ts"))
    if ts is None:
        raise BadPayload("mark price without ts")
    if contracts is None:
        return None
    coin = contracts * inst.ct_val
    volume_coin = optional_amount(ticker.get("volCcy24h"), "volCcy24h") if ticker else None
    last = optional_price(ticker.get("last"), "last") if ticker else None
    rate = optional_funding(funding.get("fundingRate"), "fundingRate") if funding else None
    return Snapshot(
        venue=Venue.OKX,
        symbol=inst.inst_id,
        asset=inst.asset,
        inverse=False,
        ts=ts,
        mark=per_coin(mark, inst.multiplier),
        index=per_coin(optional_price(index.get("idxPx"), "idxPx"), inst.multiplier)
        if index
        else None,
        last=per_coin(last, inst.multiplier),
        oi_contracts=contracts,
        oi_coin=coin * inst.multiplier,
        oi_usd=coin * mark,
        funding_rate=rate,
        funding_interval_hours=funding_interval_hours(funding) if funding else None,
        next_funding_time=from_ms(funding.get("fundingTime")) if funding else None,
        volume_24h_coin=volume_coin * inst.multiplier if volume_coin is not None else None,
        volume_24h_usd=volume_coin * last if volume_coin is not None and last else None,
    )


@dataclass
class OkxFetcher(Lacks):
    client: VenueClient
    venue: Venue = Venue.OKX
    has: Has = HAS
    liquidation_ws: str = LIQUIDATION_WS
    _instruments: dict[str, Instrument] = field(default_factory=dict)
    _metadata_at: float = 0.0

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> OkxFetcher:
        return cls(VenueClient(str(Venue.OKX), base_url, check_okx, **client))

    async def refresh_metadata(self) -> None:
        body = await self.client.get("api/v5/public/instruments", {"instType": "SWAP"})
        self._instruments = parse_instruments(body)
        self._metadata_at = time.monotonic()

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        if metadata_due(self._instruments, self._metadata_at):
            await self.refresh_metadata()
        get = self.client.get
        oi, funding, marks, tickers, indexes = await together(
            get("api/v5/public/open-interest", {"instType": "SWAP"}),
            get("api/v5/public/funding-rate", {"instId": "ANY"}),
            get("api/v5/public/mark-price", {"instType": "SWAP"}),
            get("api/v5/market/tickers", {"instType": "SWAP"}),
            get("api/v5/market/index-tickers", {"quoteCcy": "USDT"}),
        )

        def by_id(body: Any) -> dict[str, dict[str, Any]]:
            return {row["instId"]: row for row in body["data"]}

        funding_by, mark_by, ticker_by, index_by = (
            by_id(funding),
            by_id(marks),
            by_id(tickers),
            by_id(indexes),
        )
        snapshots, notes = [], []
        for row in oi["data"]:
            inst = self._instruments.get(row.get("instId", ""))
            if inst is None or (assets is not None and inst.asset not in assets):
                continue
            mark_row = mark_by.get(inst.inst_id)
            if mark_row is None:
                notes.append(f"{inst.inst_id}: no mark price")
                continue
            index = index_by.get(inst.inst_id.removesuffix("-SWAP"))
            snap = build_snapshot(
                inst,
                row,
                funding_by.get(inst.inst_id),
                mark_row,
                ticker_by.get(inst.inst_id),
                index,
            )
            if snap is not None:
                snapshots.append(snap)
        return snapshots, notes

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self._instruments

    def markets(self) -> list[Market]:
        return [
            Market(self.venue, inst.inst_id, inst.asset, inst.multiplier)
            for inst in self._instruments.values()
        ]

    async def backfill(self, assets: Iterable[str], hours: int) -> list[Snapshot]:
        return await backfill_okx(self, assets, hours)

    def liquidations(self, assets: Iterable[str]) -> Feed[LiquidationEvent]:
        # OKX frames are in contracts: the polled instruments know their size.
        return Feed(okx_stream(self), self.liquidation_ws)

    async def tiers(self, assets: list[str]) -> list[TierTable]:
        return await okx_tiers(self, assets)

    async def aclose(self) -> None:
        await self.client.aclose()


def okx_snapshots(market: Market, oi_rows: list[list[str]], funding: Funding) -> list[Snapshot]:
    snapshots = []
    for ts, row in by_time(oi_rows, lambda row: row[TS]):
        coin = decimal(row[OI_COIN], "oiCcy")
        if coin <= 0:
            continue  # no OI, so no USD / coin price: left out rather than guessed
        usd = positive(row[OI_USD], "oiUsd")  # the mark is USD / coin: never 0 or negative
        snapshots.append(
            snapshot(
                market,
                ts,
                funding,
                mark=usd / coin,
                contracts=positive(row[OI_CONTRACTS], "oi"),
                coin=coin,
                usd=usd,
            )
        )
    return snapshots


async def backfill_okx(
    fetcher: OkxFetcher, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    get = fetcher.client.get

    async def load(market: Market) -> list[Snapshot]:
        async def oi_page(limit: int, end: str | None) -> Page[list[str]]:
            params = {"instId": market.symbol, "period": "5m", "limit": str(limit)}
            if end:
                params["end"] = end  # rows older than this one
            data = (await get("api/v5/rubik/stat/contracts/open-interest-history", params))["data"]
            return data, data[-1][TS] if data else None

        history, funding = await together(
            newest_first(oi_page, bars(hours), OI_PAGE),
            get("api/v5/public/funding-rate-history", {"instId": market.symbol, "limit": "100"}),
        )
        rates = Funding.settled((row["fundingTime"], row["fundingRate"]) for row in funding["data"])
        return okx_snapshots(market, history, rates)

    return await each_market(fetcher, assets, load)


def parse_okx_liquidation_orders(
    frame: dict[str, Any], contracts: OkxContracts
) -> list[LiquidationEvent]:
    """One frame carries instruments, each with several liquidations (not in time order)."""
    if frame.get("arg", {}).get("channel") != "liquidation-orders":
        return []
    events = []
    for item in frame.get("data", []):
        contract = contracts.get(item["instId"])
        if contract is None:
            continue
        asset, ct_val, multiplier = contract
        for detail in item.get("details", []):
            qty = positive(detail["sz"], "sz") * ct_val
            price = positive(detail["bkPx"], "bkPx")
            long = detail["posSide"] == "long" or (
                detail["posSide"] == "net" and detail["side"] == "sell"
            )
            side = Side.LONG if long else Side.SHORT
            events.append(
                forced_close(
                    Venue.OKX,
                    item["instId"],
                    (asset, multiplier),
                    side,
                    qty,
                    price,
                    liquidation_time(detail["ts"]),
                )
            )
    return events


def okx_contracts(instruments: Mapping[str, Instrument]) -> OkxContracts:
    return {i.inst_id: (i.asset, i.ct_val, i.multiplier) for i in instruments.values()}


def okx_stream(fetcher: OkxFetcher, ping_s: float = PING_S) -> VenueStream[LiquidationEvent]:
    """Contract values come from the fetcher on every frame, so its hourly instrument refresh
    (new listings) reaches the stream without a reconnect."""

    async def prepare() -> None:
        if not fetcher.instruments:
            await fetcher.refresh_metadata()

    return VenueStream(
        Venue.OKX,
        lambda frame: parse_okx_liquidation_orders(frame, okx_contracts(fetcher.instruments)),
        subscribe=(json.dumps(OKX_SUBSCRIBE),),
        keepalive=KeepAlive("ping", ping_s, answer="pong"),
        prepare=prepare,
    )


async def okx_tiers(fetcher: OkxFetcher, assets: list[str]) -> list[TierTable]:
    """Isolated-margin tiers per USDT swap; contract sizes from OKX's instrument list."""
    # Loaded here, as in bybit_tiers: only a tier refresh needs bot.risk.tiers.
    from bot.risk.tiers import tiers_from_okx_position_tiers

    date = f"live {datetime.now(UTC):%Y-%m-%d}"
    tables = []
    try:
        await fetcher.refresh_metadata()
    except VenueError as error:
        log.warning("okx tiers not refreshed: %s", error)
        return []
    # By the instrument OKX lists (its family, as for Bybit's 1000PEPEUSDT), kept as
    # <ASSET>USDT; the caps turn from contracts into coins of the asset (ctVal x multiplier),
    # the unit /liq's per-coin sizes are in.
    for asset, market in market_per_asset(fetcher.markets(), assets).items():
        instrument = fetcher.instruments[market.symbol]
        try:
            payload = await fetcher.client.get(
                "api/v5/public/position-tiers",
                {
                    "instType": "SWAP",
                    "tdMode": "isolated",
                    "instFamily": market.symbol.removesuffix("-SWAP"),
                },
            )
            tables.append(
                tiers_from_okx_position_tiers(
                    payload, f"{asset}USDT", instrument.ct_val * instrument.multiplier, date
                )
            )
        # A ladder that does not hold (BadTierTable) is a ValueError, one of NOT_AS_DOCUMENTED.
        except (VenueError, ArithmeticError, *NOT_AS_DOCUMENTED) as error:
            log.warning("okx tiers for %s not refreshed: %s", asset, error)
    return tables
