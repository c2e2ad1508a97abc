"""Bybit v5 linear: one tickers call gives OI, funding, interval, mark, index, volume for all;
OI history, the liquidation stream and the risk-limit tiers. Inverse contracts share the poll
(bot/market/venues/bybit_inverse.py).

Errors arrive inside HTTP 200 (retCode); the IP limit answers HTTP 403 and wants 10 minutes of
silence.

OI convention: Bybit documents `openInterest` as "the sum of both sides" and since 2026-06 adds
`singleOpenInterest` (half of it in its example). Binance and OKX count one side (a long and
its matching short are one contract), so `singleOpenInterest` is used where present to keep
venues in one unit; older responses without it are taken as they are.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.market.history import (
    Funding,
    Market,
    Page,
    bar_of,
    bars,
    by_time,
    each_market,
    market_per_asset,
    newest_first,
    snapshot,
)
from bot.market.http import VenueClient, VenueError, envelope_code, together
from bot.market.klines import prices
from bot.market.liquidations import (
    PING_S,
    AssetResolver,
    forced_close,
    liquidation_time,
    market_of_usdt_symbol,
)
from bot.market.models import LiquidationEvent, Snapshot, Venue
from bot.market.reasons import (
    ANSWER_WITHOUT,
    IP_LIMIT,
    TOO_MANY,
    UNKNOWN_SYMBOL,
    VENUE_SAID,
    reason,
)
from bot.market.streams import KeepAlive, VenueStream
from bot.market.values import (
    NOT_AS_DOCUMENTED,
    BadPayload,
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

if TYPE_CHECKING:
    from bot.risk.tiers import TierTable

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.bybit.com"
LIQUIDATION_WS = "wss://stream.bybit.com/v5/public/linear"
BYBIT_ARGS_LIMIT = 21_000  # characters of `args` one Bybit connection accepts
OI_PAGE = 200
KLINE_START, KLINE_PRICES = 0, slice(1, 5)  # [start, open, high, low, close, ...]
# Coin-margined perpetuals whose tiers /liq uses (`bybit btcusd inverse`).
INVERSE_ASSETS = ("BTC", "ETH")
IP_BLOCK_COOL_OFF_S = 600.0
HAS = Has(history=True, liquidations=True, tiers=True)


def check_bybit(status: int, body: Any) -> None:
    if status == 403:
        raise VenueError(reason(IP_LIMIT), cool_off=IP_BLOCK_COOL_OFF_S)
    if not isinstance(body, dict) or "retCode" not in body:
        if status < 400:
            raise VenueError(reason(ANSWER_WITHOUT, field="retCode"))
        return
    code = envelope_code(body, "retCode", int)
    if code == 0:
        return
    message = str(body.get("retMsg", ""))[:80]
    if code == 10006:
        raise VenueError(reason(TOO_MANY, message=message), retryable=True)
    if code == 10001 and "symbol" in message.lower():
        raise VenueError(reason(UNKNOWN_SYMBOL, message=message), unknown_symbol=True)
    raise VenueError(reason(VENUE_SAID, code=code, message=message))


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


def one_side_oi(row: dict[str, Any]) -> Decimal | None:
    """Contracts counted once per long/short pair, as Binance and OKX count them; None when
    none are open."""
    if row.get("singleOpenInterest") in (None, ""):
        return open_interest(row.get("openInterest"), "openInterest")
    return open_interest(row.get("singleOpenInterest"), "singleOpenInterest")


def build_snapshot(
    row: dict[str, Any], base: str, ts_ms: Any, *, inverse: bool = False
) -> Snapshot | None:
    funding = optional_funding(row.get("fundingRate"), "fundingRate")
    if funding is None:
        return None  # an expiring future listed under linear: not a perpetual
    asset, multiplier = unscale(base)
    mark = positive(row.get("markPrice"), "markPrice")
    contracts = one_side_oi(row)
    ts = from_ms(ts_ms)
    if ts is None:
        raise BadPayload("tickers without time")
    if contracts is None:
        return None  # nothing open: nothing to watch
    volume, turnover = (
        optional_amount(row.get("volume24h"), "volume24h"),
        optional_amount(row.get("turnover24h"), "turnover24h"),
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
        mark=per_coin(mark, multiplier),
        index=per_coin(optional_price(row.get("indexPrice"), "indexPrice"), multiplier),
        last=per_coin(optional_price(row.get("lastPrice"), "lastPrice"), multiplier),
        oi_contracts=contracts,
        oi_coin=oi_coin,
        oi_usd=oi_usd,
        funding_rate=funding,
        funding_interval_hours=optional_hours(
            row.get("fundingIntervalHour"), "fundingIntervalHour"
        ),
        next_funding_time=from_ms(row.get("nextFundingTime")),
        volume_24h_coin=volume_coin,
        volume_24h_usd=volume_usd,
    )


def inverse_oi(open_interest_usd: Any, mark: Any) -> tuple[Any, Any]:
    """Bybit inverse: OI is in USD (1 USD contracts); coin = USD / mark (vector I3)."""
    usd = decimal(open_interest_usd, "openInterest")
    return usd, usd / positive(mark, "markPrice")


@dataclass
class BybitFetcher(Lacks):
    client: VenueClient
    venue: Venue = Venue.BYBIT
    category: str = "linear"  # or "inverse": the same calls, coin-margined contracts
    has: Has = HAS
    liquidation_ws: str = LIQUIDATION_WS
    _bases: dict[str, str] = field(default_factory=dict)  # symbol -> base coin of each perpetual
    _metadata_at: float = 0.0

    @classmethod
    def create(cls, base_url: str = DEFAULT_URL, **client: Any) -> BybitFetcher:
        return cls(VenueClient(str(Venue.BYBIT), base_url, check_bybit, **client))

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

    def markets(self) -> list[Market]:
        return [
            Market(self.venue, symbol, *unscale(base_coin))
            for symbol, base_coin in self._bases.items()
        ]

    async def tick(self, assets: frozenset[str] | None) -> tuple[list[Snapshot], list[str]]:
        if metadata_due(self._bases, self._metadata_at):
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

    async def backfill(self, assets: Iterable[str], hours: int) -> list[Snapshot]:
        return await backfill_bybit(self, assets, hours)

    def liquidations(self, assets: Iterable[str]) -> Feed[LiquidationEvent]:
        """Topics by the venue's own symbols, 1000PEPEUSDT for PEPE (PEPEUSDT is no Bybit
        symbol, so its liquidations never came): the instruments are loaded before
        connecting."""
        wanted = frozenset(assets)

        async def prepare() -> None:
            if not self._bases:
                await self.refresh_metadata()

        def symbols() -> list[str]:
            return sorted(m.symbol for m in self.markets() if m.asset in wanted)

        return Feed(bybit_stream(symbols, prepare=prepare), self.liquidation_ws)

    async def tiers(self, assets: list[str]) -> list[TierTable]:
        """Linear tiers of every polled asset, and the inverse ones /liq knows."""
        try:
            if metadata_due(self._bases, self._metadata_at):
                await self.refresh_metadata()
        except (VenueError, *NOT_AS_DOCUMENTED) as error:
            log.warning("bybit tiers not refreshed: %s", error)
            return []
        return await bybit_tiers(self.client, bybit_symbols(self.markets(), assets))

    async def aclose(self) -> None:
        await self.client.aclose()


def bybit_snapshots(
    market: Market, oi_rows: list[dict[str, Any]], klines: list[list[str]], funding: Funding
) -> list[Snapshot]:
    opens = {
        bar_of(ts): prices(*row[KLINE_PRICES])[0]
        for ts, row in by_time(klines, lambda row: row[KLINE_START])
    }
    snapshots = []
    for ts, row in by_time(oi_rows, lambda row: row["timestamp"]):
        mark = opens.get(bar_of(ts))
        if mark is None:
            continue
        contracts = one_side_oi(row)
        if contracts is None:
            continue  # no OI, so nothing to read a change from: left out rather than guessed
        snapshots.append(
            snapshot(
                market,
                ts,
                funding,
                mark=mark,
                contracts=contracts,
                coin=contracts,
                usd=contracts * mark,
            )
        )
    return snapshots


async def backfill_bybit(
    fetcher: BybitFetcher, assets: Iterable[str], hours: int = 24
) -> list[Snapshot]:
    get = fetcher.client.get
    rows = bars(hours)

    async def load(market: Market) -> list[Snapshot]:
        base = {"category": "linear", "symbol": market.symbol}

        async def oi_page(limit: int, cursor: str | None) -> Page[dict[str, Any]]:
            params = {**base, "intervalTime": "5min", "limit": str(limit)}
            if cursor:
                params["cursor"] = cursor
            result = (await get("v5/market/open-interest", params))["result"]
            return result["list"], result.get("nextPageCursor") or None

        history, klines, funding = await together(
            newest_first(oi_page, rows, OI_PAGE),
            # One bar more: a new bar may open between the two requests.
            get("v5/market/kline", {**base, "interval": "5", "limit": str(rows + 1)}),
            get("v5/market/funding/history", {**base, "limit": "100"}),
        )
        rates = Funding.settled(
            (row["fundingRateTimestamp"], row["fundingRate"]) for row in funding["result"]["list"]
        )
        return bybit_snapshots(market, history, klines["result"]["list"], rates)

    return await each_market(fetcher, assets, load)


def parse_bybit_all_liquidation(
    frame: dict[str, Any], resolve: AssetResolver = market_of_usdt_symbol
) -> list[LiquidationEvent]:
    if not str(frame.get("topic", "")).startswith("allLiquidation."):
        return []
    events = []
    for item in frame.get("data", []):
        market = resolve(item["s"])
        if market is None:
            continue
        qty, price = positive(item["v"], "v"), positive(item["p"], "p")
        ts = liquidation_time(item.get("T") or frame.get("ts"))
        side = Side.LONG if item["S"] == "Buy" else Side.SHORT
        events.append(forced_close(Venue.BYBIT, item["s"], market, side, qty, price, ts))
    return events


def bybit_subscriptions(symbols: list[str]) -> list[list[str]]:
    """allLiquidation topics batched so no subscribe message passes the args limit."""
    batches: list[list[str]] = [[]]
    size = 2  # the brackets
    for symbol in symbols:
        topic = f"allLiquidation.{symbol}"
        cost = len(json.dumps(topic)) + 2  # quoted, plus the ", " separator
        if size + cost > BYBIT_ARGS_LIMIT and batches[-1]:
            batches.append([])
            size = 2
        batches[-1].append(topic)
        size += cost
    return [b for b in batches if b]


def bybit_stream(
    symbols: list[str] | Callable[[], list[str]],
    ping_s: float = PING_S,
    prepare: Callable[[], Awaitable[None]] | None = None,
) -> VenueStream[LiquidationEvent]:
    """`symbols` as they are, or asked on every connect (after `prepare`)."""

    def subscribe() -> tuple[str, ...]:
        listed = symbols() if callable(symbols) else symbols
        return tuple(
            json.dumps({"op": "subscribe", "args": batch}) for batch in bybit_subscriptions(listed)
        )

    return VenueStream(
        Venue.BYBIT,
        parse_bybit_all_liquidation,
        subscribe=subscribe,
        keepalive=KeepAlive('{"op":"ping"}', ping_s),
        prepare=prepare,
    )


def bybit_symbols(markets: list[Market], assets: list[str]) -> dict[str, str]:
    """Bybit's symbol -> the name its tier table is kept under, for the USDT perpetual of every
    polled asset and the inverse ones /liq knows. Asked by the venue's own symbol (PEPEUSDT is
    no Bybit symbol, 1000PEPEUSDT is) and kept as <ASSET>USDT, the name /liq and a guarded
    position look up whichever venue they name: one name per asset and venue, and the brackets
    (USD notional) need no scaling. Inverse contracts are never scaled."""
    linear = {m.symbol: f"{asset}USDT" for asset, m in market_per_asset(markets, assets).items()}
    return linear | {f"{asset}USD": f"{asset}USD" for asset in assets if asset in INVERSE_ASSETS}


async def bybit_tiers(client: VenueClient, symbols: Mapping[str, str]) -> list[TierTable]:
    # Loaded here: bot.risk.tiers brings the translation catalogs, which a process that only
    # polls (the CLI snapshot, the benches) need not load.
    from bot.risk.tiers import tiers_from_bybit_risk_limit

    date = f"live {datetime.now(UTC):%Y-%m-%d}"
    tables = []
    for symbol, name in symbols.items():
        category = "linear" if symbol.endswith(("USDT", "USDC")) else "inverse"
        try:
            payload = await client.get(
                "v5/market/risk-limit", {"category": category, "symbol": symbol}
            )
            tables.append(tiers_from_bybit_risk_limit(payload, symbol, date, name=name))
        # A ladder that does not hold (BadTierTable) is a ValueError, one of NOT_AS_DOCUMENTED.
        except (VenueError, ArithmeticError, *NOT_AS_DOCUMENTED) as error:
            log.warning("bybit tiers for %s not refreshed: %s", symbol, error)
    return tables
