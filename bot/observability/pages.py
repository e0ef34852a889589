"""The status pages of one process: :class:`HealthCheck` and :class:`MetricsPage` behind the
``StatusPages`` port the web servers in ``handlers/`` answer with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.core.ports import Channel, UnitOfWorkFactory
from bot.observability.health import HealthCheck
from bot.observability.metrics import MetricsPage


class HelpdeskStatusPages:
    """Implements ``bot.core.ports.StatusPages``."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        channels: Sequence[Channel],
        migrations_current: Callable[[], bool],
    ):
        self.health_check = HealthCheck(uow_factory, channels, migrations_current)
        self.metrics_page = MetricsPage(uow_factory)

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details); see :class:`HealthCheck`."""
        return self.health_check.check()

    def metrics(self) -> tuple[bytes, str]:
        """The Prometheus page; see :class:`MetricsPage`."""
        return self.metrics_page.render()
