"""A lease one process at a time holds, kept in the database (``job_runs``, job ``lease``).

Telegram lets only one consumer call ``getUpdates``: in polling mode every helpdesk process asks for
the poller lease before each poll; the holder renews it while it polls, the others stand by and
take over once it was not renewed for ``seconds`` (the holder died)."""

from __future__ import annotations

import asyncio
import logging

from bot.core.ports import Clock, UnitOfWorkFactory
from bot.core.process import process_name

log = logging.getLogger(__name__)


class DatabaseLease:
    """Implements ``bot.core.ports.Lease`` on the unit of work's ``jobs`` repository."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        name: str,
        seconds: float,
        holder: str | None = None,
    ):
        self.uow_factory = uow_factory
        self.clock = clock
        self.name = name
        self.seconds = seconds
        self.holder = holder or process_name()
        self.held = False

    def _hold(self) -> bool:
        with self.uow_factory() as uow:
            won = uow.jobs.hold_lease(self.name, self.holder, self.clock.now(), self.seconds)
            uow.commit()
        return won

    async def hold(self) -> bool:
        """Take or renew the lease; True when this process holds it now. A database that cannot
        be reached holds nothing (better no poller for a moment than two)."""
        try:
            won = await asyncio.to_thread(self._hold)
        except Exception:
            log.warning("could not renew the %s lease", self.name, exc_info=True)
            won = False
        if won != self.held:
            log.info(
                "%s lease %s by %s", self.name, "taken" if won else "held elsewhere; standing by", self.holder
            )
        self.held = won
        return won

    def _release(self) -> None:
        with self.uow_factory() as uow:
            uow.jobs.drop_lease(self.name, self.holder)
            uow.commit()

    async def release(self) -> None:
        """Give the lease up (a clean shutdown): another process takes over at once."""
        if not self.held:
            return
        self.held = False
        try:
            await asyncio.to_thread(self._release)
        except Exception:
            log.warning("could not release the %s lease", self.name, exc_info=True)
