"""``GET /healthz`` and ``GET /metrics`` on an aiohttp server: the webhook servers of the
Telegram and Slack adapters add them, and :class:`StatusServer` serves them alone (polling or
Socket Mode, where there is no webhook server) on ``HELPDESK_STATUS_LISTEN``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from bot.core.ports import StatusPages

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


# (method, path, handler): a channel's routes, for its own server or another channel's.
Route = tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


def add_routes(app: web.Application, routes: Sequence[Route]) -> None:
    """Add ``routes`` to ``app``."""
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)


def add_status_routes(app: web.Application, pages: StatusPages | None) -> None:
    """Answer ``/healthz`` and ``/metrics`` on ``app`` from ``pages`` (nothing when None)."""
    if pages is None:
        return

    async def healthz(_request: web.Request) -> web.Response:
        try:
            healthy, details = await asyncio.to_thread(pages.health)
        except Exception as error:  # the check itself failed: that is unhealthy, not a crash
            log.warning("health check failed", exc_info=True)
            healthy, details = False, {"status": "unhealthy", "error": type(error).__name__}
        return web.json_response(details, status=200 if healthy else 503)

    async def metrics(_request: web.Request) -> web.Response:
        try:
            body, content_type = await asyncio.to_thread(pages.metrics)
        except Exception:
            log.warning("metrics could not be collected", exc_info=True)
            return web.Response(status=503, text="metrics unavailable\n")
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(METRICS_PATH, metrics)


def split_listen(listen: str, default_port: int) -> tuple[str, int]:
    """``"host:port"`` (or ``":port"``, or ``"port"``) as (host, port); host defaults to 0.0.0.0."""
    host, _, port = listen.strip().rpartition(":")
    return host or "0.0.0.0", int(port or default_port)


def bound_port(runner: web.AppRunner | None) -> int | None:
    """The port ``runner`` listens on (None when it does not)."""
    if runner is None:
        return None
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


class StatusServer:
    """A web server with only the status routes."""

    def __init__(self, pages: StatusPages, listen: str):
        self.pages = pages
        self.listen = listen
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen on ``listen`` (SO_REUSEPORT, so the workers of one host share the port)."""
        app = web.Application()
        add_status_routes(app, self.pages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, port = split_listen(self.listen, 9100)
        await web.TCPSite(self._runner, host, port, reuse_port=True).start()
        log.info("status pages on %s:%s (%s, %s)", host, self.port, HEALTH_PATH, METRICS_PATH)

    @property
    def port(self) -> int | None:
        """The bound port (useful with port 0)."""
        return bound_port(self._runner)

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
