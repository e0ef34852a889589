"""python-telegram-bot's HTTP transport on aiohttp (the bot's Bot API calls; polling keeps httpx).

python-telegram-bot builds every Bot API call (parameters, files, timeouts), sends it through a
:class:`telegram.request.BaseRequest` and parses the answer; only the sending is done here. Its
default transport, httpx, costs several times more CPU per request than aiohttp's client (which
the helpdesk already runs for its webhook servers): in the 1,000-user burst it was the largest
cost of a worker after the engine turn.

Timeouts map onto aiohttp's: ``connect`` (waiting for a free pooled connection plus opening one),
``sock_read`` (``read_timeout``); aiohttp has no write timeout of its own, so a write counts
towards the read timeout's budget instead.
"""

from __future__ import annotations

import ssl
import urllib.request
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` over one :class:`aiohttp.ClientSession`."""

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        ssl_context: ssl.SSLContext | None = None,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_timeout: float | None = 20.0,
    ):
        self._pool_size = connection_pool_size
        self._ssl = ssl_context
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._media_timeout = media_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (seconds)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (needs the running event loop)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=self._ssl if self._ssl else True)
            # trust_env: HTTP(S)_PROXY and NO_PROXY apply, as they did with httpx. Only when a proxy
            # is set: with it, every request reads the environment (and ~/.netrc) again.
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                trust_env=bool(urllib.request.getproxies()),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
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
        """Send one request; ``(status, body)``. Timeouts raise ``TimedOut``, other transport
        failures ``NetworkError`` (as python-telegram-bot expects of a transport)."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_timeout if files else self._write_timeout
        else:
            write = write_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        timeout = aiohttp.ClientTimeout(
            connect=_sum(pool, connect), sock_connect=connect, sock_read=_sum(read, write)
        )
        data: Any = fields or None
        if files:
            form = aiohttp.FormData()
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _sum(a: float | None, b: float | None) -> float | None:
    """``a + b``, where ``None`` (no limit) wins."""
    return None if a is None or b is None else a + b
