"""A local fake of the venues for the real aiohttp fetchers: one module per venue in
tests/fakes/venues/, each declaring its routes as data; this server holds the scripted markets,
injects faults and serves the websockets.

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
from typing import Any

from aiohttp import web

from bot.market.venues.registry import DEFAULT_VENUES, MarketEndpoints
from tests.fakes.local_server import serve_locally
from tests.fakes.venues import FAKES, binance
from tests.fakes.venues.base import BAR_MS, FIXTURES, TEST_DATA, VenueFake, fixture, s

__all__ = ["FIXTURES", "TEST_DATA", "AssetState", "FakeExchange", "fixture"]

# The ones that tell themselves apart by query first: they share a prefix with another.
_DISPATCH = sorted(FAKES.values(), key=lambda fake: not fake.query)


@dataclass
class AssetState:
    mark: Decimal
    index: Decimal
    oi_coin: Decimal
    funding: Decimal = Decimal("0.0001")
    interval_h: int = 8
    volume_coin: Decimal = Decimal(1000)
    # Listed on the venues polled by default unless a test says otherwise.
    venues: set[str] = field(default_factory=lambda: {str(v) for v in DEFAULT_VENUES})


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
        # Frames queued per websocket, by its path without "-ws": binance, binance-kline...
        self.ws_frames: dict[str, asyncio.Queue[str]] = {
            path.strip("/").removesuffix("-ws"): asyncio.Queue()
            for fake in FAKES.values()
            for path in fake.endpoints.values()
            if path.endswith("-ws")
        }
        self.ws_received: list[str] = []  # what clients sent (subscriptions, pings)
        self.ws_connections: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self.port = 0

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
        envelope-rate, empty (the venue's valid answer with an empty list), truncated (the
        answer cut off halfway, HTTP 200)."""
        self.faults.setdefault(path, []).append(Fault(kind, times, retry_after, delay_s))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoints(self) -> MarketEndpoints:
        """Every venue fake's endpoints, as its `VenueFake.endpoints` declare them."""
        ws_base = f"ws://127.0.0.1:{self.port}"
        return MarketEndpoints(
            **{
                name: (ws_base if path.endswith("-ws") else self.base_url) + path
                for fake in FAKES.values()
                for name, path in fake.endpoints.items()
            }
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeExchange:
        app = web.Application()
        for queue in self.ws_frames:
            app.router.add_get(f"/{queue}-ws", self._websocket)
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

    # -- markets ---------------------------------------------------------------------------

    def freeze(self, venue: str) -> None:
        """From now on the venue answers with its markets as they are now, however they move."""
        self.frozen[venue] = copy.deepcopy(self.markets(venue))

    def markets(self, venue: str) -> list[tuple[str, AssetState]]:
        """(asset, state) of every market the venue lists now."""
        if venue in self.frozen:
            return self.frozen[venue]
        return [(a, st) for a, st in self.assets.items() if venue in st.venues]

    def drift(self, back: int) -> Decimal:
        """OI factor of the history bar `back` bars before now: 1 - drift x back."""
        return 1 - self.history_drift * back

    def bar_ms(self, back: int) -> int:
        """The stamp of the history bar `back` bars before now. Venues stamp bars on the
        5-minute grid, as the recordings show (`history_on_grid`); anchored at now instead,
        a test's 1h/4h/24h changes do not depend on where the wall clock sits in its bar."""
        if self.history_on_grid:
            return self.now_ms // BAR_MS * BAR_MS - back * BAR_MS
        return self.now_ms - back * BAR_MS

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
        bar = binance.Bar(open, high, low, close, volume, taker_buy, closed)
        self.push_ws("binance-kline", binance.kline_frame(asset, minute_ms, self.now_ms, bar))

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        venue = request.path.strip("/").removesuffix("-ws")
        self.ws_connections[venue] += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        fake = next(f for f in FAKES.values() if request.path in f.endpoints.values())

        async def read() -> None:
            async for message in ws:
                self.ws_received.append(message.data)
                answer = fake.ws_answer(message.data)
                if answer is not None:
                    await ws.send_str(answer)

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
        prefix, _, rest = path[1:].partition("/")
        fake = next((f for f in _DISPATCH if f.claims(prefix, "/" + rest, request)), None)
        response = await self._respond(path, fake, request)
        if fake is not None:
            response.headers.update(fake.headers(self))
        return response

    async def _respond(
        self, path: str, fake: VenueFake | None, request: web.Request
    ) -> web.Response:
        fault = self._next_fault(path)
        faulted = await self._fault(path, fault) if fault is not None else None
        if faulted is not None:
            return faulted
        if fake is None:
            return web.json_response({"error": "no such path"}, status=404)
        body = await fake.routes[path.removeprefix(f"/{fake.prefix}")](self, request)
        if isinstance(body, web.Response):
            return body
        if fault is not None and fault.kind == "empty":
            body = _emptied(body)
        if fault is not None and fault.kind == "truncated":
            whole = json.dumps(body).encode()
            return web.Response(body=whole[: len(whole) // 2], content_type="application/json")
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
        headers = {"Retry-After": s(fault.retry_after)} if fault.retry_after is not None else {}
        prefix = path[1:].partition("/")[0]
        venue = next((f for f in _DISPATCH if f.prefix == prefix), None)
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay_s or 60)
            return None
        if fault.kind in ("429", "418"):
            body = venue.throttled() if venue is not None else {}
            return web.json_response(body, status=int(fault.kind), headers=headers)
        if fault.kind in ("403", "500", "502", "503"):
            return web.Response(status=int(fault.kind), text="error", headers=headers)
        if fault.kind == "malformed":
            return web.Response(
                status=200, text='{"truncated": [1, 2', content_type="application/json"
            )
        if fault.kind == "envelope-rate" and venue is not None and venue.envelope_rate:
            return web.json_response(venue.envelope_rate())
        if fault.kind in ("empty", "truncated"):
            return None  # the answer, emptied or cut
        raise ValueError(f"fault {fault.kind} not known for {path}")
