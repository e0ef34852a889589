"""``/healthz``: the database answers, its migrations are current, every channel is connected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.core.ports import Channel, UnitOfWorkFactory


class HealthCheck:
    """Says whether this process is fit to serve, and why not."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        channels: Sequence[Channel],
        migrations_current: Callable[[], bool],
    ):
        self.uow_factory = uow_factory
        self.channels = list(channels)
        self.migrations_current = migrations_current

    def check(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details); runs a query, so call it off the event loop."""
        details: dict[str, Any] = {}
        try:
            with self.uow_factory() as uow:
                uow.faq.revision()
            details["database"] = "ok"
        except Exception as error:  # any failure means unhealthy; the reason is what an operator needs
            details["database"] = f"unreachable: {type(error).__name__}"
        try:
            current = self.migrations_current()
            details["migrations"] = "current" if current else "behind: run helpdesk db upgrade"
        except Exception as error:
            details["migrations"] = f"unknown: {type(error).__name__}"
        channels = {
            channel.platform: "connected" if getattr(channel, "connected", True) else "not connected"
            for channel in self.channels
        }
        details["channels"] = channels
        healthy = (
            details["database"] == "ok"
            and details["migrations"] == "current"
            and all(state == "connected" for state in channels.values())
        )
        details["status"] = "ok" if healthy else "unhealthy"
        return healthy, details
