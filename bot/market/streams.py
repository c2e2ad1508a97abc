"""One venue websocket kept alive, whatever it carries (liquidations, klines): what a venue's
stream needs is described by a `VenueStream`, and `StreamConsumer` connects, subscribes, pings,
reconnects and hands every parsed event on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import aiohttp

from bot.market.http import VenueError
from bot.market.models import Venue
from bot.market.values import NOT_AS_DOCUMENTED, BadPayload

log = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """A text the venue wants every `every_s` or it drops the connection as idle."""

    text: str
    every_s: float
    answer: str | None = None  # a reply that is not JSON (OKX's `pong`): dropped, not parsed


@dataclass(frozen=True, slots=True)
class VenueStream(Generic[E]):
    """What one venue websocket needs; `StreamConsumer` does the rest."""

    venue: Venue
    parse: Callable[[dict[str, Any]], list[E]]
    # Sent on every connect (subscriptions die with it); a callable is asked each time, after
    # `prepare`, so a reconnect subscribes to what is known by then.
    subscribe: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    keepalive: KeepAlive | None = None
    # Awaited before every connect, e.g. to load what `parse` needs; a VenueError from it counts
    # as a failed connect, so it is retried with the same backoff.
    prepare: Callable[[], Awaitable[None]] | None = None
    name: str = "liquidation"  # what the logs call it


@dataclass
class StreamConsumer(Generic[E]):
    """Keeps one websocket alive: reconnects with backoff and jitter, treats `stall_s` without
    any frame as a dead connection (silent stalls happen), pings where the venue wants it."""

    stream: VenueStream[E]
    url: str
    on_event: Callable[[E], None]
    stall_s: float = 90.0
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    connects: int = 0
    stalls: int = 0
    last_frame_at: datetime | None = None

    @property
    def venue(self) -> Venue:
        return self.stream.venue

    async def run(self, stop: asyncio.Event) -> None:
        attempt = 0
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                try:
                    if self.stream.prepare is not None:
                        await self.stream.prepare()
                    await self._connection(session, stop)
                    attempt = 0
                except (
                    aiohttp.ClientError,
                    TimeoutError,
                    ConnectionError,
                    VenueError,
                    BadPayload,  # a malformed instruments answer in `prepare`: retry it too
                    KeyError,
                ) as error:
                    log.warning(
                        "%s %s stream: %s", self.venue, self.stream.name, type(error).__name__
                    )
                    attempt += 1
                if stop.is_set():
                    break
                delay = min(self.max_backoff_s, self.backoff_s * 2 ** min(attempt, 10))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay * random.uniform(0.5, 1.0))

    async def _connection(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        async with session.ws_connect(self.url, heartbeat=None) as ws:
            self.connects += 1
            subscribe = self.stream.subscribe
            for request in subscribe() if callable(subscribe) else subscribe:
                await ws.send_str(request)
            keepalive = self.stream.keepalive
            pinger = asyncio.create_task(self._ping(ws, keepalive)) if keepalive else None
            stopping = asyncio.ensure_future(stop.wait())
            try:
                while True:
                    receive = asyncio.ensure_future(ws.receive())
                    done, _ = await asyncio.wait(
                        {receive, stopping},
                        timeout=self.stall_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if receive not in done:
                        receive.cancel()
                        if stopping not in done:
                            self.stalls += 1
                            log.warning(
                                "%s %s stream silent for %ss",
                                self.venue,
                                self.stream.name,
                                self.stall_s,
                            )
                        return
                    message = receive.result()
                    if message.type in (
                        aiohttp.WSMsgType.CLOSED,
                        aiohttp.WSMsgType.ERROR,
                        aiohttp.WSMsgType.CLOSING,
                    ):
                        return
                    if message.type is aiohttp.WSMsgType.TEXT:
                        self.last_frame_at = datetime.now(UTC)
                        if keepalive is None or message.data != keepalive.answer:
                            self._handle(message.data)
            finally:
                stopping.cancel()
                if pinger is not None:
                    pinger.cancel()

    @staticmethod
    async def _ping(ws: aiohttp.ClientWebSocketResponse, keepalive: KeepAlive) -> None:
        while True:
            await asyncio.sleep(keepalive.every_s)
            await ws.send_str(keepalive.text)

    def _handle(self, raw: str) -> None:
        try:
            events = self.stream.parse(json.loads(raw))
        except NOT_AS_DOCUMENTED as error:  # a frame of null where an object was too
            log.warning("%s: unreadable %s frame (%s)", self.venue, self.stream.name, error)
            return
        for event in events:
            self.on_event(event)
