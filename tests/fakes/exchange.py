"""A local fake of Binance USDⓈ-M, Bybit, OKX and Hyperliquid for the real aiohttp fetchers.

Every body is built from a real recorded response in tests/data/exchanges: a fixture row is
the template (same keys, same types, numbers as strings where the venue sends strings) and only
the values are scripted. Faults are scripted per path: 429 with Retry-After, Binance 418, Bybit
403, 5xx, delays past the client timeout, malformed JSON, HTTP-200 error envelopes from the
*.CONSTRUCTED.json fixtures, valid empty lists, and missing symbols. `binance_weight` sets
Binance's X-MBX-USED-WEIGHT-1M header; `freeze(venue)` makes one venue repeat its answer.

    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, oi_coin=90000, funding=0.0001)
        fx.fail("/okx/api/v5/public/open-interest", "500")
        collector = Collector(make_fetchers(fx.endpoints, Venue), ["BTC"])
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.market.venues.registry import MarketEndpoints
from tests.fakes.local_server import serve_locally

# Copied into the repository with their provenance (SOURCES.md beside them): a clone tests
# green with nothing beside it.
TEST_DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURES = TEST_DATA / "exchanges"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


SCALED = {"PEPE": 1000, "SHIB": 1000, "BONK": 1000}
OKX_CT_VAL = {"BTC": Decimal("0.01"), "ETH": Decimal("0.1")}
BAR_MS = 300_000  # the 5-minute bars of OI history
HISTORY_BARS = 1440  # what the fake Bybit and OKX keep (OKX's documented cap)


@dataclass
class AssetState:
    mark: Decimal
    index: Decimal
    oi_coin: Decimal
    funding: Decimal = Decimal("0.0001")
    interval_h: int = 8
    volume_coin: Decimal = Decimal(1000)
    venues: set[str] = field(default_factory=lambda: {"binance", "bybit", "okx", "hyperliquid"})


@dataclass
class Fault:
    kind: str
    times: int
    retry_after: float | None = None
    delay_s: float = 0.0


def _emptied(body: Any) -> Any:
    """The same envelope with no rows: [] (Binance), result.list (Bybit), data (OKX),
    [meta with an empty universe, []] (Hyperliquid)."""
    if isinstance(body, list) and body and isinstance(body[0], dict) and "universe" in body[0]:
        return [{**body[0], "universe": []}, []]
    if isinstance(body, list):
        return []
    if "result" in body:
        return {**body, "result": {**body["result"], "list": []}}
    return {**body, "data": []}


def _s(value: Decimal | float | int) -> str:
    return format(Decimal(str(value)).normalize(), "f")


class FakeExchange:
    def __init__(self, *, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.pinned_ms: int | None = None  # the venues' clock: live unless a test pins it
        self.assets: dict[str, AssetState] = {}
        self.requests: Counter[str] = Counter()
        self.faults: dict[str, list[Fault]] = {}
        self.hidden_symbols: set[str] = set()  # answer "unknown symbol" for these
        self.binance_weight: int | None = None  # X-MBX-USED-WEIGHT-1M on Binance answers
        self.frozen: dict[str, list[tuple[str, AssetState]]] = {}  # venue -> markets as frozen
        # Bybit risk-limit ladders per symbol: (cap, mmr, max leverage, MM deduction)
        self.bybit_tiers: dict[str, list[tuple[str, str, str, str]]] = {}
        # OKX position tiers per asset: (max contracts, mmr, max leverage)
        self.okx_tiers: dict[str, list[tuple[str, str, str]]] = {}
        self.history_drift = Decimal(0)  # OI change per 5-minute bar in backfilled history
        self.history_on_grid = False
        self.ws_frames: dict[str, asyncio.Queue[str]] = {
            "binance": asyncio.Queue(),
            "binance-kline": asyncio.Queue(),
            "bybit": asyncio.Queue(),
            "okx": asyncio.Queue(),
        }
        self.ws_received: list[str] = []  # what clients sent (subscriptions, pings)
        self.ws_connections: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._templates = {
            "bn_premium": fixture("binance_usdm/premiumIndex_all.json")[0],
            "bn_ticker": fixture("binance_usdm/ticker_24hr_all.json")[0],
            "bn_oi": fixture("binance_usdm/openInterest_BTCUSDT.json"),
            "bn_oi_hist": fixture("binance_usdm/openInterestHist_BTCUSDT_5m.json")[0],
            "bn_funding_hist": fixture("binance_usdm/fundingRate_BTCUSDT.json")[0],
            "bn_info": fixture("binance_usdm/exchangeInfo.json"),
            "bn_funding_info": fixture("binance_usdm/fundingInfo.json")[0],
            "bn_invalid": fixture("binance_usdm/error_-1121_invalid_symbol.json"),
            "bn_too_many": fixture("binance_usdm/error_-1003_too_many_requests.CONSTRUCTED.json"),
            "bn_ws_kline": fixture("binance_usdm/ws_kline_1m.json"),
            "cm_info": fixture("binance_coinm/exchangeInfo.json"),
            "cm_premium": fixture("binance_coinm/premiumIndex_BTCUSD_PERP.json")[0],
            "cm_ticker": fixture("binance_coinm/ticker_24hr_BTCUSD_PERP.json")[0],
            "cm_oi": fixture("binance_coinm/openInterest_BTCUSD_PERP.json"),
            "by_instruments": fixture("bybit/instruments_info_linear.json"),
            "by_tickers": fixture("bybit/tickers_inverse_BTCUSD.json"),
            "by_rate": fixture("bybit/error_10006_rate_limit.CONSTRUCTED.json"),
            "by_unknown": fixture("bybit/error_10001_not_supported_symbols.CONSTRUCTED.json"),
            "by_oi_hist": fixture("bybit/open_interest_inverse_BTCUSD_1d.json"),
            "by_kline": fixture("bybit/kline_inverse_BTCUSD.json"),
            "by_funding_hist": fixture("bybit/funding_history.json"),
            "ok_oi": fixture("okx/open_interest_SWAP.json"),
            "ok_funding": fixture("okx/funding_rate_BTC-USDT-SWAP.json"),
            "ok_mark": fixture("okx/mark_price_BTC-USDT-SWAP.json"),
            "ok_tickers": fixture("okx/tickers_SWAP.json"),
            "ok_index": fixture("okx/index_tickers_BTC-USDT.json"),
            "ok_instruments": fixture("okx/instruments_SWAP.json"),
            "ok_rate": fixture("okx/error_50011_rate_limit.CONSTRUCTED.json"),
            "ok_unknown": fixture("okx/error_51001_instrument_not_found.CONSTRUCTED.json"),
            "ok_oi_hist": fixture("okx/rubik_contracts_open_interest_history.json"),
            "ok_funding_hist": fixture("okx/funding_rate_history.json"),
            "hl": fixture("hyperliquid/metaAndAssetCtxs.json"),
        }

    # -- scripting -------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        return self.pinned_ms if self.pinned_ms is not None else int(time.time() * 1000)

    @now_ms.setter
    def now_ms(self, value: int) -> None:
        self.pinned_ms = value

    def set(self, asset: str, **values: Any) -> AssetState:
        """Create or change an asset's market: mark, index, oi_coin, funding, interval_h..."""
        state = self.assets.get(asset)
        if state is None:
            mark = Decimal(str(values.get("mark", 100)))
            state = self.assets[asset] = AssetState(
                mark=mark, index=mark, oi_coin=Decimal(str(values.get("oi_coin", 1000)))
            )
        for key, value in values.items():
            current = getattr(state, key)
            setattr(state, key, Decimal(str(value)) if isinstance(current, Decimal) else value)
        return state

    def fail(
        self,
        path: str,
        kind: str,
        *,
        times: int = 1,
        retry_after: float | None = None,
        delay_s: float = 0.0,
    ) -> None:
        """kind: 429, 418, 403, 500, 503, timeout (a delay, then the answer), malformed,
        envelope-rate, empty (the venue's valid answer with an empty list)."""
        self.faults.setdefault(path, []).append(Fault(kind, times, retry_after, delay_s))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoints(self) -> MarketEndpoints:
        return MarketEndpoints(
            binance=f"{self.base_url}/binance",
            binance_coinm=f"{self.base_url}/binance_coinm",
            bybit=f"{self.base_url}/bybit",
            okx=f"{self.base_url}/okx",
            hyperliquid=f"{self.base_url}/hyperliquid",
            binance_ws=f"ws://127.0.0.1:{self.port}/binance-ws",
            binance_kline_ws=f"ws://127.0.0.1:{self.port}/binance-kline-ws",
            bybit_ws=f"ws://127.0.0.1:{self.port}/bybit-ws",
            okx_ws=f"ws://127.0.0.1:{self.port}/okx-ws",
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeExchange:
        app = web.Application()
        app.router.add_get("/binance-ws", self._websocket)
        app.router.add_get("/binance-kline-ws", self._websocket)
        app.router.add_get("/bybit-ws", self._websocket)
        app.router.add_get("/okx-ws", self._websocket)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, self.port = await serve_locally(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Open streams wait on their queues: wake each so the server can shut down at once.
        for queue in self.ws_frames.values():
            for _ in range(8):
                queue.put_nowait("__close__")
        if self._runner is not None:
            await self._runner.cleanup()

    # -- symbols ---------------------------------------------------------------------------

    def freeze(self, venue: str) -> None:
        """From now on the venue answers with its markets as they are now, however they move."""
        self.frozen[venue] = copy.deepcopy(self._on(venue))

    def _on(self, venue: str) -> list[tuple[str, AssetState]]:
        if venue in self.frozen:
            return self.frozen[venue]
        return [(a, s) for a, s in self.assets.items() if venue in s.venues]

    def _drift(self, back: int) -> Decimal:
        """OI factor of the history bar `back` bars before now: 1 - drift x back."""
        return 1 - self.history_drift * back

    def _bar_ms(self, back: int) -> int:
        """The stamp of the history bar `back` bars before now. Venues stamp bars on the
        5-minute grid, as the recordings show (`history_on_grid`); anchored at now instead,
        a test's 1h/4h/24h changes do not depend on where the wall clock sits in its bar."""
        if self.history_on_grid:
            return self.now_ms // BAR_MS * BAR_MS - back * BAR_MS
        return self.now_ms - back * BAR_MS

    @staticmethod
    def binance_symbol(asset: str) -> str:
        scale = SCALED.get(asset)
        return f"{scale}{asset}USDT" if scale else f"{asset}USDT"

    @staticmethod
    def hyperliquid_name(asset: str) -> str:
        return f"k{asset}" if asset in SCALED else asset

    # -- websockets ------------------------------------------------------------------------

    def push_ws(self, venue: str, frame: dict[str, Any]) -> None:
        """Queue a frame for the venue's liquidation stream (a burst is many pushes)."""
        self.ws_frames[venue].put_nowait(json.dumps(frame))

    def push_kline(
        self,
        asset: str,
        minute_ms: int,
        *,
        open: Any,
        high: Any,
        low: Any,
        close: Any,
        volume: Any,
        taker_buy: Any,
        closed: bool = False,
    ) -> None:
        """Queue a Binance `@kline_1m` frame (combined-stream form): the minute starting at
        `minute_ms` so far, volumes in coins as for an unscaled symbol."""
        symbol = self.binance_symbol(asset)
        frame = copy.deepcopy(self._templates["bn_ws_kline"])
        frame["stream"] = f"{symbol.lower()}@kline_1m"
        frame["data"].update(E=self.now_ms, s=symbol)
        frame["data"]["k"].update(
            t=minute_ms,
            T=minute_ms + 59_999,
            s=symbol,
            o=_s(open),
            h=_s(high),
            l=_s(low),
            c=_s(close),
            v=_s(volume),
            V=_s(taker_buy),
            q=_s(Decimal(str(volume)) * Decimal(str(close))),
            Q=_s(Decimal(str(taker_buy)) * Decimal(str(close))),
            x=closed,
        )
        self.push_ws("binance-kline", frame)

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        venue = request.path.strip("/").removesuffix("-ws")
        self.ws_connections[venue] += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        async def read() -> None:
            async for message in ws:
                self.ws_received.append(message.data)
                if message.data == "ping":  # OKX's keep-alive; others ping in JSON
                    await ws.send_str("pong")
                elif '"SUBSCRIBE"' in message.data:  # Binance answers each subscription
                    request_id = json.loads(message.data)["id"]
                    await ws.send_str(json.dumps({"result": None, "id": request_id}))

        reader = asyncio.create_task(read())
        queue = self.ws_frames[venue]
        try:
            while not ws.closed:
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break  # the client went away: leave the frames for its next connection
                frame = getter.result()
                if frame == "__close__":
                    break
                if reader.done():
                    queue.put_nowait(frame)
                    break
                await ws.send_str(frame)
        finally:
            reader.cancel()
            await ws.close()
        return ws

    # -- request handling ------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        self.requests[path] += 1
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        response = await self._respond(path, request)
        if path.startswith("/binance/") and self.binance_weight is not None:
            response.headers["X-MBX-USED-WEIGHT-1M"] = str(self.binance_weight)
        return response

    async def _respond(self, path: str, request: web.Request) -> web.Response:
        fault = self._next_fault(path)
        faulted = await self._fault(path, fault) if fault is not None else None
        if faulted is not None:
            return faulted
        venue = path.split("/")[1]
        try:
            body = await getattr(self, f"_{venue}")(path, request)
        except (AttributeError, KeyError):
            return web.json_response({"error": "no such path"}, status=404)
        if isinstance(body, web.Response):
            return body
        if fault is not None and fault.kind == "empty":
            body = _emptied(body)
        return web.json_response(body)

    def _next_fault(self, path: str) -> Fault | None:
        queue = self.faults.get(path)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault

    async def _fault(self, path: str, fault: Fault) -> web.Response | None:
        headers = {"Retry-After": _s(fault.retry_after)} if fault.retry_after is not None else {}
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay_s or 60)
            return None
        if fault.kind in ("429", "418"):
            body = self._templates["bn_too_many"] if path.startswith("/binance") else {}
            return web.json_response(body, status=int(fault.kind), headers=headers)
        if fault.kind in ("403", "500", "502", "503"):
            return web.Response(status=int(fault.kind), text="error", headers=headers)
        if fault.kind == "malformed":
            return web.Response(
                status=200, text='{"truncated": [1, 2', content_type="application/json"
            )
        if fault.kind == "envelope-rate":
            key = "by_rate" if path.startswith("/bybit") else "ok_rate"
            return web.json_response(self._templates[key])
        if fault.kind == "empty":
            return None  # the answer, emptied
        raise ValueError(f"unknown fault kind {fault.kind}")

    # -- Binance ---------------------------------------------------------------------------

    async def _binance(self, path: str, request: web.Request) -> Any:
        t = self._templates
        if path == "/binance/fapi/v1/exchangeInfo":
            info = copy.deepcopy(t["bn_info"])
            template = info["symbols"][0]
            info["symbols"] = []
            for asset, _ in self._on("binance"):
                row = copy.deepcopy(template)
                scale = SCALED.get(asset)
                row.update(
                    symbol=self.binance_symbol(asset),
                    pair=self.binance_symbol(asset),
                    baseAsset=f"{scale}{asset}" if scale else asset,
                )
                info["symbols"].append(row)
            return info
        if path == "/binance/fapi/v1/fundingInfo":
            rows = []
            for asset, state in self._on("binance"):
                if state.interval_h != 8:  # only adjusted symbols are listed, as live
                    row = dict(t["bn_funding_info"])
                    row.update(
                        symbol=self.binance_symbol(asset), fundingIntervalHours=state.interval_h
                    )
                    rows.append(row)
            return rows
        if path == "/binance/fapi/v1/premiumIndex":
            rows = []
            for asset, state in self._on("binance"):
                scale = SCALED.get(asset, 1)
                row = dict(t["bn_premium"])
                row.update(
                    symbol=self.binance_symbol(asset),
                    markPrice=_s(state.mark * scale),
                    indexPrice=_s(state.index * scale),
                    lastFundingRate=_s(state.funding),
                    nextFundingTime=self.now_ms + 3_600_000,
                    time=self.now_ms,
                )
                rows.append(row)
            return rows
        if path == "/binance/fapi/v1/ticker/24hr":
            rows = []
            for asset, state in self._on("binance"):
                scale = SCALED.get(asset, 1)
                row = dict(t["bn_ticker"])
                row.update(
                    symbol=self.binance_symbol(asset),
                    lastPrice=_s(state.mark * scale),
                    volume=_s(state.volume_coin / scale),
                    quoteVolume=_s(state.volume_coin * state.mark),
                )
                rows.append(row)
            return rows
        if path == "/binance/futures/data/openInterestHist":
            symbol = request.query.get("symbol", "")
            limit = int(request.query.get("limit", "30"))
            for asset, state in self._on("binance"):
                if self.binance_symbol(asset) == symbol:
                    scale = SCALED.get(asset, 1)
                    row = dict(self._templates["bn_oi_hist"])
                    # History as scripted: the state now, shifted by `history_drift` per bar.
                    return [
                        dict(
                            row,
                            symbol=symbol,
                            timestamp=self._bar_ms(back),
                            sumOpenInterest=_s(state.oi_coin / scale * self._drift(back)),
                            sumOpenInterestValue=_s(state.oi_coin * self._drift(back) * state.mark),
                        )
                        for back in reversed(range(limit))
                    ]
            return web.json_response(t["bn_invalid"], status=400)
        if path == "/binance/fapi/v1/fundingRate":
            symbol = request.query.get("symbol", "")
            for asset, state in self._on("binance"):
                if self.binance_symbol(asset) == symbol:
                    row = dict(self._templates["bn_funding_hist"])
                    return [
                        dict(
                            row,
                            symbol=symbol,
                            fundingRate=_s(state.funding),
                            fundingTime=self.now_ms - k * state.interval_h * 3_600_000,
                        )
                        for k in (2, 1, 0)
                    ]
            return web.json_response(t["bn_invalid"], status=400)
        if path == "/binance/fapi/v1/openInterest":
            symbol = request.query.get("symbol", "")
            for asset, state in self._on("binance"):
                if self.binance_symbol(asset) == symbol and symbol not in self.hidden_symbols:
                    row = dict(t["bn_oi"])
                    row.update(
                        symbol=symbol,
                        openInterest=_s(state.oi_coin / SCALED.get(asset, 1)),
                        time=self.now_ms,
                    )
                    return row
            return web.json_response(t["bn_invalid"], status=400)
        raise KeyError(path)

    # -- Binance COIN-M --------------------------------------------------------------------

    async def _binance_coinm(self, path: str, request: web.Request) -> Any:
        t = self._templates
        assets = self._on("binance_coinm")

        def face(asset: str) -> Decimal:
            return Decimal(100) if asset == "BTC" else Decimal(10)

        def row(key: str, asset: str, **values: Any) -> dict[str, Any]:
            return dict(t[key], symbol=f"{asset}USD_PERP", pair=f"{asset}USD", **values)

        if path == "/binance_coinm/dapi/v1/exchangeInfo":
            info = copy.deepcopy(t["cm_info"])
            info["symbols"] = [
                dict(
                    t["cm_info"]["symbols"][0],
                    symbol=f"{a}USD_PERP",
                    pair=f"{a}USD",
                    baseAsset=a,
                    marginAsset=a,
                    contractSize=int(face(a)),
                )
                for a, _ in assets
            ]
            return info
        if path == "/binance_coinm/dapi/v1/fundingInfo":
            return web.json_response(None)  # as recorded: null means no adjusted symbols
        if path == "/binance_coinm/dapi/v1/premiumIndex":
            return [
                row(
                    "cm_premium",
                    a,
                    markPrice=_s(st.mark),
                    indexPrice=_s(st.index),
                    lastFundingRate=_s(st.funding),
                    time=self.now_ms,
                    nextFundingTime=self.now_ms + 3_600_000,
                )
                for a, st in assets
            ]
        if path == "/binance_coinm/dapi/v1/ticker/24hr":
            return [
                row(
                    "cm_ticker",
                    a,
                    lastPrice=_s(st.mark),
                    volume=_s(st.volume_coin * st.mark / face(a)),
                    baseVolume=_s(st.volume_coin),
                )
                for a, st in assets
            ]
        if path == "/binance_coinm/dapi/v1/openInterest":
            symbol = request.query.get("symbol", "")
            for a, st in assets:
                if f"{a}USD_PERP" == symbol:
                    return row(
                        "cm_oi",
                        a,
                        openInterest=_s(st.oi_coin * st.mark / face(a)),
                        time=self.now_ms,
                    )
            return web.json_response(t["bn_invalid"], status=400)
        raise KeyError(path)

    # -- Bybit -----------------------------------------------------------------------------

    async def _bybit(self, path: str, request: web.Request) -> Any:
        t = self._templates
        inverse = request.query.get("category") == "inverse"
        if inverse and path in ("/bybit/v5/market/instruments-info", "/bybit/v5/market/tickers"):
            return self._bybit_inverse(path)
        if path in (
            "/bybit/v5/market/open-interest",
            "/bybit/v5/market/kline",
            "/bybit/v5/market/funding/history",
        ):
            return self._bybit_history(path, request)
        if path == "/bybit/v5/market/instruments-info":
            body = copy.deepcopy(t["by_instruments"])
            template = body["result"]["list"][0]
            body["result"]["list"] = []
            for asset, _ in self._on("bybit"):
                row = copy.deepcopy(template)
                scale = SCALED.get(asset)
                row.update(
                    symbol=self.binance_symbol(asset),
                    baseCoin=f"{scale}{asset}" if scale else asset,
                )
                body["result"]["list"].append(row)
            return body
        if path == "/bybit/v5/market/risk-limit":
            symbol = request.query.get("symbol", "")
            ladder = self.bybit_tiers.get(symbol)
            if ladder is None:
                return self._templates["by_unknown"]
            rows = [
                {
                    "id": i + 1,
                    "symbol": symbol,
                    "riskLimitValue": cap,
                    "maintenanceMargin": mmr,
                    "initialMargin": str(Decimal(mmr) * 2),
                    "isLowestRisk": 1 if i == 0 else 0,
                    "maxLeverage": lev,
                    "mmDeduction": "" if i == 0 else ded,
                }
                for i, (cap, mmr, lev, ded) in enumerate(ladder)
            ]
            # The shape of Bybit's documented example (no recorded fixture exists).
            return {
                "retCode": 0,
                "retMsg": "OK",
                "result": {"category": request.query.get("category", "linear"), "list": rows},
                "retExtInfo": {},
                "time": self.now_ms,
            }
        if path == "/bybit/v5/market/tickers":
            body = copy.deepcopy(t["by_tickers"])
            template = body["result"]["list"][0]
            body["result"]["category"] = "linear"
            body["result"]["list"] = []
            for asset, state in self._on("bybit"):
                scale = SCALED.get(asset, 1)
                row = dict(template)
                row.update(
                    symbol=self.binance_symbol(asset),
                    markPrice=_s(state.mark * scale),
                    indexPrice=_s(state.index * scale),
                    lastPrice=_s(state.mark * scale),
                    openInterest=_s(state.oi_coin / scale),
                    openInterestValue=_s(state.oi_coin * state.mark),
                    fundingRate=_s(state.funding),
                    fundingIntervalHour=str(state.interval_h),
                    nextFundingTime=str(self.now_ms + 3_600_000),
                    volume24h=_s(state.volume_coin / scale),
                    turnover24h=_s(state.volume_coin * state.mark),
                )
                body["result"]["list"].append(row)
            body["time"] = self.now_ms
            return body
        raise KeyError(path)

    def _bybit_history(self, path: str, request: web.Request) -> Any:
        """Linear history, newest first: OI shifted by `history_drift` per bar (one side in
        `singleOpenInterest`, both in `openInterest`, as documented since 2026-06), klines at
        the mark, and the last three settled rates."""
        t = self._templates
        symbol = request.query.get("symbol", "")
        found = [(a, s) for a, s in self._on("bybit") if self.binance_symbol(a) == symbol]
        if not found:
            return t["by_unknown"]
        asset, state = found[0]
        scale = SCALED.get(asset, 1)
        if path.endswith("open-interest"):
            body = copy.deepcopy(t["by_oi_hist"])
            template = body["result"]["list"][0]
            # The cursor is opaque to the client; here it is the number of bars already served.
            first = int(request.query.get("cursor") or 0)
            backs = range(first, min(first + int(request.query.get("limit", "50")), HISTORY_BARS))
            body["result"].update(
                symbol=symbol,
                category="linear",
                list=[
                    dict(
                        template,
                        openInterest=_s(2 * state.oi_coin / scale * self._drift(back)),
                        singleOpenInterest=_s(state.oi_coin / scale * self._drift(back)),
                        timestamp=str(self._bar_ms(back)),
                    )
                    for back in backs
                ],
                nextPageCursor=str(backs.stop) if backs.stop < HISTORY_BARS else "",
            )
        elif path.endswith("kline"):
            body = copy.deepcopy(t["by_kline"])
            price = _s(state.mark * scale)
            bar_volume = state.volume_coin / 288
            body["result"].update(
                symbol=symbol,
                category="linear",
                list=[
                    [
                        str(self._bar_ms(back)),
                        *[price] * 4,
                        _s(bar_volume / scale),
                        _s(bar_volume * state.mark),
                    ]
                    for back in range(int(request.query.get("limit", "200")))
                ],
            )
        else:
            body = copy.deepcopy(t["by_funding_hist"])
            template = body["result"]["list"][0]
            body["result"].update(
                category="linear",
                list=[
                    dict(
                        template,
                        symbol=symbol,
                        fundingRate=_s(state.funding),
                        fundingRateTimestamp=str(self.now_ms - k * state.interval_h * 3_600_000),
                    )
                    for k in (0, 1, 2)
                ],
            )
        body["time"] = self.now_ms
        return body

    def _bybit_inverse(self, path: str) -> Any:
        """category=inverse: 1 USD contracts, OI and volume in USD, value and turnover in coin."""
        t = self._templates
        assets = self._on("bybit_inverse")
        body = copy.deepcopy(
            t["by_instruments" if path.endswith("instruments-info") else "by_tickers"]
        )
        template = body["result"]["list"][0]
        body["result"]["category"] = "inverse"
        if path.endswith("instruments-info"):
            body["result"]["list"] = [
                dict(
                    template,
                    symbol=f"{a}USD",
                    baseCoin=a,
                    quoteCoin="USD",
                    settleCoin=a,
                    contractType="InversePerpetual",
                )
                for a, _ in assets
            ]
            return body
        body["result"]["list"] = [
            dict(
                template,
                symbol=f"{a}USD",
                markPrice=_s(st.mark),
                indexPrice=_s(st.index),
                lastPrice=_s(st.mark),
                openInterest=_s(st.oi_coin * st.mark),
                openInterestValue=_s(st.oi_coin),
                fundingRate=_s(st.funding),
                fundingIntervalHour=str(st.interval_h),
                nextFundingTime=str(self.now_ms + 3_600_000),
                volume24h=_s(st.volume_coin * st.mark),
                turnover24h=_s(st.volume_coin),
            )
            for a, st in assets
        ]
        body["time"] = self.now_ms
        return body

    # -- OKX -------------------------------------------------------------------------------

    def _okx_id(self, asset: str) -> str:
        return f"{asset}-USDT-SWAP"

    async def _okx(self, path: str, request: web.Request) -> Any:
        t = self._templates
        assets = self._on("okx")

        def envelope(template_key: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
            body = copy.deepcopy(t[template_key])
            body["data"] = rows
            return body

        def row(template_key: str, **values: Any) -> dict[str, Any]:
            out = dict(t[template_key]["data"][0])
            out.update(values)
            return out

        ts = str(self.now_ms)
        if path in (
            "/okx/api/v5/rubik/stat/contracts/open-interest-history",
            "/okx/api/v5/public/funding-rate-history",
        ):
            return self._okx_history(path, request)
        if path == "/okx/api/v5/public/instruments":
            linear = next(r for r in t["ok_instruments"]["data"] if r["ctType"] == "linear")
            rows = []
            for asset, _ in assets:
                inst = dict(linear)
                inst.update(
                    instId=self._okx_id(asset),
                    uly=f"{asset}-USDT",
                    instFamily=f"{asset}-USDT",
                    ctValCcy=asset,
                    settleCcy="USDT",
                    ctVal=_s(OKX_CT_VAL.get(asset, Decimal(1))),
                    state="live",
                )
                rows.append(inst)
            return envelope("ok_instruments", rows)
        if path == "/okx/api/v5/public/position-tiers":
            family = request.query.get("instFamily", "")
            ladder = self.okx_tiers.get(family.removesuffix("-USDT"), [])
            # The shape of OKX's documented answer (no recorded fixture exists).
            return envelope(
                "ok_oi",
                [
                    {
                        "uly": family,
                        "instFamily": family,
                        "instId": "",
                        "tier": str(i + 1),
                        "minSz": "0" if i == 0 else ladder[i - 1][0],
                        "maxSz": max_sz,
                        "mmr": mmr,
                        "imr": str(Decimal(mmr) * 2),
                        "maxLever": lever,
                        "optMgnFactor": "0",
                        "quoteMaxLoan": "",
                        "baseMaxLoan": "",
                    }
                    for i, (max_sz, mmr, lever) in enumerate(ladder)
                ],
            )
        if path == "/okx/api/v5/public/open-interest":
            rows = []
            for asset, s in assets:
                ct_val = OKX_CT_VAL.get(asset, Decimal(1))
                rows.append(
                    row(
                        "ok_oi",
                        instId=self._okx_id(asset),
                        oi=_s(s.oi_coin / ct_val),
                        oiCcy=_s(s.oi_coin),
                        oiUsd=_s(s.oi_coin * s.mark),
                        ts=ts,
                    )
                )
            return envelope("ok_oi", rows)
        if path == "/okx/api/v5/public/funding-rate":
            start = self.now_ms + 600_000
            return envelope(
                "ok_funding",
                [
                    row(
                        "ok_funding",
                        instId=self._okx_id(a),
                        fundingRate=_s(s.funding),
                        fundingTime=str(start),
                        nextFundingTime=str(start + s.interval_h * 3_600_000),
                        ts=ts,
                    )
                    for a, s in assets
                ],
            )
        if path == "/okx/api/v5/public/mark-price":
            return envelope(
                "ok_mark",
                [
                    row("ok_mark", instId=self._okx_id(a), markPx=_s(s.mark), ts=ts)
                    for a, s in assets
                ],
            )
        if path == "/okx/api/v5/market/tickers":
            return envelope(
                "ok_tickers",
                [
                    row(
                        "ok_tickers",
                        instId=self._okx_id(a),
                        last=_s(s.mark),
                        volCcy24h=_s(s.volume_coin),
                        vol24h=_s(s.volume_coin / OKX_CT_VAL.get(a, Decimal(1))),
                        ts=ts,
                    )
                    for a, s in assets
                ],
            )
        if path == "/okx/api/v5/market/index-tickers":
            return envelope(
                "ok_index",
                [row("ok_index", instId=f"{a}-USDT", idxPx=_s(s.index), ts=ts) for a, s in assets],
            )
        raise KeyError(path)

    def _okx_history(self, path: str, request: web.Request) -> Any:
        """OI history newest first ([ts, contracts, coin, USD], `history_drift` per bar, pages
        by `end`) and the last three settled rates."""
        t = self._templates
        inst_id = request.query.get("instId", "")
        found = [(a, s) for a, s in self._on("okx") if self._okx_id(a) == inst_id]
        if not found:
            return t["ok_unknown"]
        asset, state = found[0]
        if path.endswith("open-interest-history"):
            body = copy.deepcopy(t["ok_oi_hist"])
            ct_val = OKX_CT_VAL.get(asset, Decimal(1))
            end = int(request.query.get("end") or 0)  # only rows older than this
            limit = min(100, int(request.query.get("limit", "100")))
            backs = [b for b in range(HISTORY_BARS) if not end or self._bar_ms(b) < end][:limit]
            coins = [(self._bar_ms(b), state.oi_coin * self._drift(b)) for b in backs]
            body["data"] = [
                [str(ms), _s(coin / ct_val), _s(coin), _s(coin * state.mark)] for ms, coin in coins
            ]
            return body
        body = copy.deepcopy(t["ok_funding_hist"])
        body["data"] = [
            dict(
                body["data"][0],
                instId=inst_id,
                fundingRate=_s(state.funding),
                realizedRate=_s(state.funding),
                fundingTime=str(self.now_ms - k * state.interval_h * 3_600_000),
            )
            for k in (0, 1, 2)
        ]
        return body

    # -- Hyperliquid -----------------------------------------------------------------------

    async def _hyperliquid(self, path: str, request: web.Request) -> Any:
        if path != "/hyperliquid/info":
            raise KeyError(path)
        body = await request.json()
        if body.get("type") != "metaAndAssetCtxs":
            return web.json_response({"error": "unsupported"}, status=422)
        meta_template = self._templates["hl"][0]["universe"][0]
        ctx_template = self._templates["hl"][1][0]
        universe, ctxs = [], []
        for asset, state in self._on("hyperliquid"):
            scale = SCALED.get(asset, 1)
            meta = dict(meta_template)
            meta["name"] = self.hyperliquid_name(asset)
            ctx = dict(ctx_template)
            ctx.update(
                markPx=_s(state.mark * scale),
                oraclePx=_s(state.index * scale),
                midPx=_s(state.mark * scale),
                openInterest=_s(state.oi_coin / scale),
                funding=_s(state.funding / state.interval_h),  # the same economics, per hour
                dayBaseVlm=_s(state.volume_coin / scale),
                dayNtlVlm=_s(state.volume_coin * state.mark),
            )
            universe.append(meta)
            ctxs.append(ctx)
        return [{"universe": universe}, ctxs]
