"""HTTP to one venue: one reused session, timeouts, retries with backoff and jitter that honour
Retry-After, the venue's own way of saying "error" inside HTTP 200, and a circuit breaker.

A venue that keeps failing is left alone for a while (the breaker opens) instead of being
hammered: Binance bans an IP that ignores 429s (418), Bybit blocks it for 10 minutes (403).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiolimiter import AsyncLimiter

from bot.i18n import N_
from bot.market.reasons import (
    ANSWER_WITH,
    HTTP_STATUS,
    NO_ANSWER,
    RATE_LIMITED,
    Reason,
    duration,
    reason,
)

log = logging.getLogger(__name__)

# (HTTP status, parsed body) -> raise VenueError if the body says "error" despite HTTP 200.
EnvelopeCheck = Callable[[int, Any], None]


def envelope_code(body: dict[str, Any], field: str, kind: type[int | str]) -> Any:
    """The venue's own status code in an answer's envelope, of the type it documents. A code of
    null or of another type is said to be one, never shown as "error None"; a JSON true is no
    0 either, though Python's True == 1."""
    code = body[field]
    if type(code) is not kind:
        sent = orjson.dumps(code).decode()[:40]
        raise VenueError(reason(ANSWER_WITH, field=field, value=sent))
    return code


def network_reason(error: aiohttp.ClientError) -> Reason:
    """What a trader can act on; the exception's class name stays in the log."""
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return reason(N_("unreachable (its address does not resolve)"))
    if isinstance(error, aiohttp.ClientConnectorError):
        return reason(N_("unreachable (connection refused)"))
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return reason(N_("connection dropped mid-answer"))
    return reason(N_("unreachable (network error)"))


class VenueError(Exception):
    """`reason` is shown to people after the venue's name: say what happened, in words."""

    def __init__(
        self,
        reason: Reason,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        unknown_symbol: bool = False,
        cool_off: float | None = None,
    ) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.unknown_symbol = unknown_symbol
        self.cool_off = cool_off  # open the breaker at least this long (bans, IP blocks)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    jitter: float = 0.25
    max_retry_after_s: float = 30.0  # a longer wait belongs to the breaker, not to this tick

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        base = min(self.max_delay_s, self.base_delay_s * 2.0**attempt)
        return base * (1 + random.uniform(-self.jitter, self.jitter))


@dataclass
class CircuitBreaker:
    """Closed -> open after `threshold` failed polls in a row, or at once for as long as the
    venue asks (a ban, an IP block) -> half-open after `reset_s`: one trial poll -> closed on
    success, open again on failure.

    Polls count, not requests: OKX makes five requests a poll, and one bad poll must not keep a
    venue out for a minute after it has recovered. The collector reports each poll."""

    threshold: int = 3
    reset_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    open_until: float = 0.0
    reason: Reason = NO_ANSWER  # why it opened, for the people reading "Left out"

    @property
    def state(self) -> str:
        if self.open_until == 0.0:
            return "closed"
        return "open" if self.clock() < self.open_until else "half-open"

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        # A poll that was already in flight when a ban opened the breaker proves nothing:
        # only a half-open trial may close it.
        if self.state == "open":
            return
        self.failures, self.open_until = 0, 0.0

    def failure(self) -> None:
        if self.state == "open":
            return  # a ban during this poll already opened it, for as long as the venue said
        self.failures += 1
        if self.failures >= self.threshold or self.state == "half-open":
            self._open(self.reset_s, reason(N_("{n} failed polls in a row"), n=self.failures))

    def hold(self, seconds: float, why: Reason) -> None:
        self._open(max(self.reset_s, seconds), why)

    def _open(self, seconds: float, why: Reason) -> None:
        self.open_until, self.reason = self.clock() + seconds, why


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """The answers of a venue's concurrent requests, in order. On the first failure the others
    are cancelled, and waited for, before it is raised: left running (as asyncio.gather leaves
    them) they kept asking, retries and all, after their poll had failed and after shutdown had
    closed the venue's session, which they then opened again for nobody to close."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class VenueClient:
    name: str
    base_url: str
    check: EnvelopeCheck
    timeout_s: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    limiter: AsyncLimiter | None = None
    requests: int = 0
    used_weight: int = 0  # Binance X-MBX-USED-WEIGHT-1M, last seen
    _retrying: dict[object, Reason] = field(default_factory=dict)  # call -> why it is retried
    _session: aiohttp.ClientSession | None = None
    _closed: bool = False

    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            # One session per venue: none is opened again after shutdown closed it.
            raise VenueError(reason(N_("closed: the bot is shutting down")))
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                base_url=self.base_url.rstrip("/") + "/",
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
                headers={"User-Agent": "oiwatch/0.1"},
            )
        return self._session

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self._call("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        return await self._call("POST", path, json=body)

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if not self.breaker.allow():
            raise VenueError(reason(N_("paused after {reason}"), reason=self.breaker.reason))
        call = object()
        try:
            return await self._attempts(call, method, path, **kwargs)
        finally:
            self._retrying.pop(call, None)

    @property
    def retrying(self) -> Reason | None:
        """Why a request of this venue is being retried right now, if one is."""
        return next(iter(self._retrying.values()), None)

    async def _attempts(self, call: object, method: str, path: str, **kwargs: Any) -> Any:
        last: VenueError | None = None
        for attempt in range(self.retry.attempts):
            try:
                body = await self._once(method, path.lstrip("/"), **kwargs)
            except VenueError as error:
                last = error
                if error.unknown_symbol:
                    raise  # the venue is fine; the symbol is not
                if not error.retryable or attempt == self.retry.attempts - 1:
                    break
                wait = self.retry.delay(attempt, error.retry_after)
                if wait > self.retry.max_retry_after_s:
                    break
                self._retrying[call] = error.reason
                await asyncio.sleep(wait)
            else:
                return body
        assert last is not None
        if last.cool_off is not None:
            # Concurrent requests of this poll stop at once: the venue said to stay away.
            self.breaker.hold(last.cool_off, last.reason)
        raise last

    async def _once(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.limiter is not None:
            await self.limiter.acquire()
        self.requests += 1
        try:
            async with self.session().request(method, path, **kwargs) as response:
                raw = await response.read()
                weight = response.headers.get("X-MBX-USED-WEIGHT-1M")
                if weight is not None and weight.isdigit():
                    self.used_weight = int(weight)
                status, headers = response.status, response.headers
        except TimeoutError:
            timeout = duration(self.timeout_s, 1)
            raise VenueError(
                reason(N_("timed out after {seconds}s"), seconds=timeout), retryable=True
            ) from None
        except aiohttp.ClientError as error:
            log.info("%s: %r", self.name, error)
            raise VenueError(network_reason(error), retryable=True) from None
        if status == 418:
            wait = _retry_after(headers) or 120.0
            banned = reason(N_("IP banned (418) for {seconds}s"), seconds=duration(wait))
            raise VenueError(banned, cool_off=wait)
        if status == 429:
            raise VenueError(
                reason(RATE_LIMITED, code=429),
                retryable=True,
                retry_after=_retry_after(headers),
            )
        if status >= 500:
            raise VenueError(reason(N_("server error {status}"), status=status), retryable=True)
        malformed = False
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body, malformed = None, True
        if malformed and status < 400:
            # Usually a response cut short; the next attempt tends to be whole. Checked before
            # the venue's envelope, which would call it an answer without its code, once.
            raise VenueError(reason(N_("malformed JSON")), retryable=True)
        # The venue's own rules first: an error page (Bybit's 403) is not JSON either.
        self.check(status, body)
        if status >= 400:
            raise VenueError(reason(HTTP_STATUS, status=status))
        return body
