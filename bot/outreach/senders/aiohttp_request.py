"""A python-telegram-bot request backend on aiohttp.

PTB's default backend (httpx) reached ~200 sends/s on this machine where aiohttp reaches
~2,000/s, and the outreach benchmark needs 1,000/s. Text requests only (no file uploads).
Errors map onto PTB's: a failed connection is a NetworkError (nothing was sent), a connect timeout
is a TimedOut whose message starts with "Connect timeout" (nothing was sent), and anything after
the request may have left (read timeout, lost connection) is a TimedOut — "uncertain" for the
outreach sender.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECT_TIMEOUT_PREFIX = "Connect timeout"


class AiohttpRequest(BaseRequest):
    def __init__(
        self, pool_size: int = 64, read_timeout: float = 10.0, connect_timeout: float = 10.0
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),  # TLS verification stays on
                timeout=aiohttp.ClientTimeout(
                    total=None, connect=self._connect_timeout, sock_read=self._read_timeout
                ),
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
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("AiohttpRequest sends text requests only (no files)")
        data = request_data.json_parameters if request_data else None
        try:
            async with self._session.request(method, url, data=data) as response:
                return response.status, await response.read()
        except aiohttp.ClientConnectorError as err:
            raise NetworkError(f"connection failed, request not sent: {err}") from err
        except aiohttp.ServerTimeoutError as err:
            if "Connection timeout" in str(err):
                raise TimedOut(f"{CONNECT_TIMEOUT_PREFIX}: request not sent") from err
            raise TimedOut(f"Read timeout: {err}") from err
        except asyncio.TimeoutError as err:
            raise TimedOut(f"{CONNECT_TIMEOUT_PREFIX} (waiting for a connection): request not sent") from err
        except aiohttp.ClientError as err:
            raise TimedOut(f"connection lost after sending: {type(err).__name__}: {err}") from err
