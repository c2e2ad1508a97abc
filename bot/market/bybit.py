"""Bybit v5 linear: one tickers call gives OI, funding, interval, mark, index, volume for all.

Errors arrive inside HTTP 200 (retCode); the IP limit answers HTTP 403 and wants 10 minutes of
silence.

OI convention: Bybit documents `openInterest` as "the sum of both sides" and since 2026-06 adds
`singleOpenInterest` (half of it in its example). Binance and OKX count one side (a long and
its matching short are one contract), so `singleOpenInterest` is used where present to keep
venues in one unit; older responses without it are taken as they are.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.market.http import VenueClient, VenueError
from bot.market.models import Snapshot, Venue
from bot.market.values import BadPayload, decimal, from_ms, optional_decimal, positive, unscale

DEFAULT_URL = "https://api.bybit.com"
METADATA_TTL_S = 3600.0
IP_BLOCK_COOL_OFF_S = 600.0


def check_bybit(status: int, body: Any) -> None:
    if status == 403:
        raise VenueError("IP rate limit (403)", cool_off=IP_BLOCK_COOL_OFF_S)
    if not isinstance(body, dict) or "retCode" not in body:
        if status < 400:
            raise VenueError("answer without retCode")
        return
    code = body["retCode"]
    if code == 0:
        return
    message = str(body.get("retMsg", ""))[:80]
    if code == 10006:
        raise VenueError(f"too many visits ({message})", retryable=True)
    if code == 10001 and "symbol" in message.lower():
        raise VenueError(message, unknown_symbol=True)
    raise VenueError(f"retCode {code} {message}")


def parse_instruments(body: Any, category: str = "linear") -> dict[str, str]:
    """symbol -> base coin, for trading perpetuals (pre-listings out): USDT-quoted linear ones,
    or USD inverse ones."""
    kind, quote = (
        ("LinearPerpetual", "USDT") if category == "linear" else ("InversePerpetual", "USD")
    )
    return {
        row["symbol"]: row["baseCoin"]
        for row in body["result"]["list"]
        if row.get("contractType") == kind
        and row.get("status") == "Trading"
        and row.get("quoteCoin") == quote
        and not row.get("isPreListing")
    }


def one_side_oi(row: dict[str, Any]) -> Decimal:
    """Contracts counted once per long/short pair, as Binance and OKX count them."""
    single = optional_decimal(row.get("singleOpenInterest"))
    return single if single is not None else decimal(row.get("openInterest"), "openInterest")


def build_snapshot(
    row: dict[str, Any], base: str, ts_ms: Any, *, inverse: bool = False
) -> Snapshot | None:
    funding = optional_decimal(row.get("fundingRate"))
    if funding is None:
        return None  # an expiring future listed under linear: not a perpetual
    asset, multiplier = unscale(base)
    mark = positive(row.get("markPrice"), "markPrice")
    contracts = one_side_oi(row)
    ts = from_ms(ts_ms)
    if ts is None:
        raise BadPayload("tickers without time")
    interval = row.get("fundingIntervalHour")
    volume, turnover = (
        optional_decimal(row.get("volume24h")),
        optional_decimal(row.get("turnover24h")),
    )
    if inverse:
        # 1 USD contracts: OI and volume arrive in USD, turnover in coin (vector I3).
        oi_usd, oi_coin = inverse_oi(contracts, mark)
        contracts, volume_coin, volume_usd = oi_usd, turnover, volume
    else:
        oi_coin, oi_usd = contracts * multiplier, contracts * mark
        volume_coin = volume * multiplier if volume is not None else None
        volume_usd = turnover
    return Snapshot(
        venue=Venue.BYBIT_INVERSE if inverse else Venue.BYBIT,
        symbol=row["symbol"],
        asset=asset,
        inverse=inverse,
        ts=ts,
        mark=mark,
        index=optional_decimal(row.get("indexPrice"), zero_is_absent=True),
        last=optional_decimal(row.get("lastPrice")),
        oi_contracts=contracts,
        oi_coin=oi_coin,
        oi_usd=oi_usd,
        funding_rate=funding,
        funding_interval_hours=int(interval) if interval not in (None, "") else None,
        next_funding_time=from_ms(row.get("nextFundingTime")),
        volume_24h_coin=volume_coin,
        volume_24h_usd=volume_usd,
    )


def inverse_oi(open_interest_usd: Any, mark: Any) -> tuple[Any, Any]:
    """Bybit inverse: OI is in USD (1 USD contracts); coin = USD / mark (vector I3)."""
    usd = decimal(open_interest_usd, "openInterest")
    return usd, usd / positive(mark, "markPrice")


@dataclass
class BybitFetcher:
    client: VenueClient
    venue: Venue = Venue.BYBIT
    category: str = "linear"  # or "inverse": the same calls, coin-margined contracts
    _bases: dict[str, str] = field(default_factory=dict)
    _metadata_at: float = 0.0

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> BybitFetcher:
        return cls(VenueClient("bybit", base_url, check_bybit, **client))

    @classmethod
    def create_inverse(cls, base_url: str = DEFAULT_URL, **client: Any) -> BybitFetcher:
        return cls(
            VenueClient("bybit_inverse", base_url, check_bybit, **client),
            venue=Venue.BYBIT_INVERSE,
            category="inverse",
        )

    async def refresh_metadata(self) -> None:
        bases: dict[str, str] = {}
        cursor = ""
        # More than 500 linear symbols exist: without limit=1000 and the cursor the list is
        # silently cut.
        for _ in range(10):
            params = {"category": self.category, "limit": "1000"}
            if cursor:
                params["cursor"] = cursor
            body = await self.client.get("v5/market/instruments-info", params)
            bases.update(parse_instruments(body, self.category))
            cursor = body["result"].get("nextPageCursor") or ""
            if not cursor:
                break
        self._bases = bases
        self._metadata_at = time.monotonic()

    @property
    def bases(self) -> dict[str, str]:
        """symbol -> base coin of the listed perpetuals (after refresh_metadata)."""
        return self._bases

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        if not self._bases or time.monotonic() - self._metadata_at > METADATA_TTL_S:
            await self.refresh_metadata()
        body = await self.client.get("v5/market/tickers", {"category": self.category})
        snapshots = []
        for row in body["result"]["list"]:
            base = self._bases.get(row.get("symbol", ""))
            if base is None or (assets is not None and unscale(base)[0] not in assets):
                continue
            snapshot = build_snapshot(
                row, base, body.get("time"), inverse=self.category == "inverse"
            )
            if snapshot is not None:
                snapshots.append(snapshot)
        return snapshots, []

    async def aclose(self) -> None:
        await self.client.aclose()
