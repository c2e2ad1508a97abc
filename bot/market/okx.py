"""OKX v5 swaps: five bulk calls joined on instId (OI, funding, mark, tickers, index).

`code` is a string and errors come inside HTTP 200. OI arrives in contracts; coin = contracts x
ctVal from the instruments list (0.01 BTC for BTC-USDT-SWAP). The funding interval is
nextFundingTime - fundingTime: OKX symbols can run 8, 6, 4, 2 or 1 h.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.market.http import VenueClient, VenueError
from bot.market.models import Snapshot, Venue
from bot.market.values import BadPayload, decimal, from_ms, optional_decimal, positive, unscale

DEFAULT_URL = "https://www.okx.com"
METADATA_TTL_S = 3600.0
MS_PER_HOUR = 3_600_000


def check_okx(status: int, body: Any) -> None:
    if not isinstance(body, dict) or "code" not in body:
        if status < 400:
            raise VenueError("answer without code")
        return
    code = str(body["code"])
    if code == "0":
        return
    message = str(body.get("msg", ""))[:80]
    if code in ("50011", "50013"):
        raise VenueError(f"rate limited ({code})", retryable=True)
    if code == "51001":
        raise VenueError(message, unknown_symbol=True)
    raise VenueError(f"code {code} {message}")


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
                row["instId"], asset, decimal(row.get("ctVal"), "ctVal"), multiplier
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
) -> Snapshot:
    mark = positive(mark_row.get("markPx"), "markPx")
    contracts = decimal(oi.get("oi"), "oi")
    coin = contracts * inst.ct_val
    ts = from_ms(mark_row.get("ts"))
    if ts is None:
        raise BadPayload("mark price without ts")
    volume_coin = optional_decimal(ticker.get("volCcy24h")) if ticker else None
    last = optional_decimal(ticker.get("last")) if ticker else None
    return Snapshot(
        venue=Venue.OKX,
        symbol=inst.inst_id,
        asset=inst.asset,
        inverse=False,
        ts=ts,
        mark=mark,
        index=optional_decimal(index.get("idxPx")) if index else None,
        last=last,
        oi_contracts=contracts,
        oi_coin=coin * inst.multiplier,
        oi_usd=coin * mark,
        funding_rate=optional_decimal(funding.get("fundingRate")) if funding else None,
        funding_interval_hours=funding_interval_hours(funding) if funding else None,
        next_funding_time=from_ms(funding.get("fundingTime")) if funding else None,
        volume_24h_coin=volume_coin * inst.multiplier if volume_coin is not None else None,
        volume_24h_usd=volume_coin * last if volume_coin is not None and last else None,
    )


@dataclass
class OkxFetcher:
    client: VenueClient
    venue: Venue = Venue.OKX
    _instruments: dict[str, Instrument] = field(default_factory=dict)
    _metadata_at: float = 0.0

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> OkxFetcher:
        return cls(VenueClient("okx", base_url, check_okx, **client))

    async def refresh_metadata(self) -> None:
        body = await self.client.get("api/v5/public/instruments", {"instType": "SWAP"})
        self._instruments = parse_instruments(body)
        self._metadata_at = time.monotonic()

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        if not self._instruments or time.monotonic() - self._metadata_at > METADATA_TTL_S:
            await self.refresh_metadata()
        get = self.client.get
        oi, funding, marks, tickers, indexes = await asyncio.gather(
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
            snapshots.append(
                build_snapshot(
                    inst,
                    row,
                    funding_by.get(inst.inst_id),
                    mark_row,
                    ticker_by.get(inst.inst_id),
                    index,
                )
            )
        return snapshots, notes

    @property
    def instruments(self) -> dict[str, Instrument]:
        return self._instruments

    async def aclose(self) -> None:
        await self.client.aclose()
