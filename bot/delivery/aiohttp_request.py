"""PTB's transport for the broadcast bot over aiohttp instead of httpx.

At paid broadcast's 1,000/s the sender spent most of its CPU in httpcore's pool bookkeeping:
on every request event it scans each open connection (is_idle, has_expired, a getpeername per
socket) and each queued request, so 50 requests in flight cost more than the sends
(bench/bench_fanout.py --scenario urgent --full: ~390/s, p99 26-48 s). aiohttp's connector
hands out a keep-alive connection from a deque and parses responses in C.

Only the transport changes: PTB still turns status codes into its errors (429 RetryAfter, 403
Forbidden, 400 BadRequest, ChatMigrated), and the sender handles them as before. Timeouts
become TimedOut and transport failures NetworkError, as with PTB's HTTPXRequest.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Requests open at once to Telegram: 1,000/s at round trips up to 128 ms.
CONNECTIONS = 128
READ_TIMEOUT_S = 5.0
WRITE_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5.0
POOL_TIMEOUT_S = 1.0
MEDIA_WRITE_TIMEOUT_S = 20.0


def _seconds(value: ODVInput[float], default: float) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    def __init__(self, connections: int = CONNECTIONS) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return READ_TIMEOUT_S

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        fields = request_data.json_parameters if request_data else None
        files = request_data.multipart_data if request_data else None
        body: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            body = aiohttp.FormData(fields or {})
            for name, (filename, content, mime) in files.items():
                body.add_field(name, content, filename=filename, content_type=mime)
        write = _seconds(write_timeout, MEDIA_WRITE_TIMEOUT_S if files else WRITE_TIMEOUT_S)
        read = _seconds(read_timeout, READ_TIMEOUT_S)
        pool = _seconds(pool_timeout, POOL_TIMEOUT_S)
        connect = _seconds(connect_timeout, CONNECT_TIMEOUT_S)
        # aiohttp has no write timeout of its own (the whole request gets write + read), and
        # its `connect` covers waiting for a pooled connection and opening one.
        timeout = aiohttp.ClientTimeout(
            total=None if write is None or read is None else write + read,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
