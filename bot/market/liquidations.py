"""Liquidation flow from the venues' websockets, summed per asset per minute.

Side conventions are opposite and easy to get wrong:
- Binance `!forceOrder@arr`: `S` is the side of the liquidation *order*; SELL closes a long, so
  SELL means a long was liquidated.
- Bybit `allLiquidation`: its docs say `S: "Buy"` means a long position was liquidated.
- OKX `liquidation-orders`: `posSide: "long"` means a long was liquidated; in net mode
  (`posSide: "net"`) `side` is the liquidation order's, so `side: "sell"` means a long. `sz` is
  in contracts (x ctVal coin) and the price is `bkPx`, the bankruptcy price.
Every feed is a lower bound (Binance pushes at most one order per symbol per second), so "no
liquidations seen" never means calm.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.market.models import LiquidationEvent, Venue
from bot.market.okx import Instrument, OkxFetcher
from bot.market.streams import KeepAlive, VenueStream
from bot.market.values import BadPayload, decimal, from_ms, unscale
from bot.risk.side import Side

AssetResolver = Callable[[str], str | None]
# OKX instId -> (asset, coin per contract); USD-margined swaps are absent, so they are skipped.
OkxContracts = Mapping[str, tuple[str, Decimal]]
PING_S = 20.0  # Bybit asks for 20 s; OKX closes connections idle for 30 s
BYBIT_ARGS_LIMIT = 21_000  # characters of `args` one Bybit connection accepts
OKX_SUBSCRIBE = {"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": "SWAP"}]}


def _time(value: Any) -> datetime:
    ts = from_ms(value)
    if ts is None:
        raise BadPayload("liquidation without a time")
    return ts


def asset_from_usdt_symbol(symbol: str) -> str | None:
    if not symbol.endswith("USDT"):
        return None
    return unscale(symbol.removesuffix("USDT"))[0]


def parse_binance_force_order(
    frame: dict[str, Any], resolve: AssetResolver = asset_from_usdt_symbol
) -> LiquidationEvent | None:
    """A raw `/ws` frame or a `/stream` one wrapped as {"stream", "data"}; both carry one order."""
    data = frame.get("data", frame)
    if data.get("e") != "forceOrder":
        return None
    order = data["o"]
    asset = resolve(order["s"])
    if asset is None:
        return None
    qty = decimal(order.get("z") or order.get("q"), "filled quantity")
    price = decimal(order.get("ap") or order.get("p"), "average price")
    ts = _time(order.get("T") or data.get("E"))
    side = Side.LONG if order["S"] == "SELL" else Side.SHORT
    return LiquidationEvent(Venue.BINANCE, order["s"], asset, side, qty, price, qty * price, ts)


def parse_bybit_all_liquidation(
    frame: dict[str, Any], resolve: AssetResolver = asset_from_usdt_symbol
) -> list[LiquidationEvent]:
    if not str(frame.get("topic", "")).startswith("allLiquidation."):
        return []
    events = []
    for item in frame.get("data", []):
        asset = resolve(item["s"])
        if asset is None:
            continue
        qty, price = decimal(item["v"], "v"), decimal(item["p"], "p")
        ts = _time(item.get("T") or frame.get("ts"))
        side = Side.LONG if item["S"] == "Buy" else Side.SHORT
        events.append(
            LiquidationEvent(Venue.BYBIT, item["s"], asset, side, qty, price, qty * price, ts)
        )
    return events


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
        asset, ct_val = contract
        for detail in item.get("details", []):
            qty = decimal(detail["sz"], "sz") * ct_val
            price = decimal(detail["bkPx"], "bkPx")
            long = detail["posSide"] == "long" or (
                detail["posSide"] == "net" and detail["side"] == "sell"
            )
            side = Side.LONG if long else Side.SHORT
            events.append(
                LiquidationEvent(
                    Venue.OKX,
                    item["instId"],
                    asset,
                    side,
                    qty,
                    price,
                    qty * price,
                    _time(detail["ts"]),
                )
            )
    return events


def okx_contracts(instruments: Mapping[str, Instrument]) -> OkxContracts:
    return {i.inst_id: (i.asset, i.ct_val) for i in instruments.values()}


@dataclass(frozen=True, slots=True)
class MinuteFlow:
    venue: Venue
    asset: str
    minute: datetime
    long_usd: Decimal  # longs force-closed (market sells)
    short_usd: Decimal  # shorts force-closed (market buys)
    events: int


@dataclass
class LiquidationAggregator:
    _open: dict[tuple[Venue, str, datetime], list[Any]] = field(default_factory=dict)

    def add(self, event: LiquidationEvent) -> None:
        minute = event.ts.replace(second=0, microsecond=0)
        bucket = self._open.setdefault(
            (event.venue, event.asset, minute), [Decimal(0), Decimal(0), 0]
        )
        bucket[0 if event.side_liquidated is Side.LONG else 1] += event.usd
        bucket[2] += 1

    def drain(self) -> list[MinuteFlow]:
        """Everything gathered so far; minutes may come again later and are added up."""
        flows = [
            MinuteFlow(venue, asset, minute, long_usd, short_usd, count)
            for (venue, asset, minute), (long_usd, short_usd, count) in self._open.items()
        ]
        self._open.clear()
        return flows


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


def binance_stream() -> VenueStream[LiquidationEvent]:
    def parse(frame: dict[str, Any]) -> list[LiquidationEvent]:
        event = parse_binance_force_order(frame)
        return [event] if event is not None else []

    return VenueStream(Venue.BINANCE, parse)


def bybit_stream(symbols: list[str], ping_s: float = PING_S) -> VenueStream[LiquidationEvent]:
    return VenueStream(
        Venue.BYBIT,
        parse_bybit_all_liquidation,
        subscribe=tuple(
            json.dumps({"op": "subscribe", "args": batch}) for batch in bybit_subscriptions(symbols)
        ),
        keepalive=KeepAlive('{"op":"ping"}', ping_s),
    )


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
