"""Turns on the event loop, in batches: the turns waiting when one batch starts share the next.

On the event loop a process runs one transaction at a time (the drivers block). Under a burst,
events of many conversations wait for that turn; :class:`TurnBatches` hands all those waiting
(up to ``limit``) to one call of ``run_batch``, which the engine runs as one transaction: one
``BEGIN``, one lock statement for all their conversations, their queued inserts written together
and one ``COMMIT`` (group commit). With one event waiting, as in a quiet hour, a batch is that one
turn, run at once: nothing waits for a batch to fill.

With the turns in worker threads (:mod:`bot.engine.turn_threads`, a database a network away),
up to one batch per thread runs at once.

Each submitter gets its own turn's result or exception; the engine runs the turns of a failed
batch again one by one (nothing of a failed batch was committed), so one bad event fails only its
own turn. Events of one conversation never share a batch: the engine holds the conversation's key
until its turn's result is in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
BatchRunner = Callable[[list[Item]], Awaitable[list["int | BaseException"]]]
DEFAULT_LIMIT = 32
"""Turns per batch at most (a batch of 32 question turns is about 100 ms of work)."""


class TurnBatches(Generic[Item]):
    """Collects submitted turns and runs them in batches, in arrival order: one batch at a time,
    or up to ``parallel`` at once (when ``run_batch`` hands them to worker threads)."""

    def __init__(self, run_batch: BatchRunner[Item], limit: int = DEFAULT_LIMIT, parallel: int = 1):
        self._run_batch = run_batch
        self.limit = max(1, limit)
        self.parallel = max(1, parallel)
        self._waiting: list[tuple[Item, asyncio.Future[int]]] = []
        self._drainers: set[asyncio.Task[None]] = set()
        self.batches = 0
        """Batches run so far (for tests and the benchmark)."""
        self.largest = 0
        """The most turns one batch held."""

    async def submit(self, item: Item) -> int:
        """Queue ``item``'s turn; returns its result once its batch committed (or raises its
        error). A submitter that is cancelled meanwhile does not stop the turn."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if len(self._drainers) < self.parallel:
            self._drainers.add(asyncio.create_task(self._drain()))
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[int]]] = []
        try:
            while self._waiting:
                batch = self._waiting[: self.limit]
                del self._waiting[: self.limit]
                self.batches += 1
                self.largest = max(self.largest, len(batch))
                try:
                    results = await self._run_batch([item for item, _ in batch])
                except Exception as error:  # run_batch reports per turn; this is a safety net
                    log.exception("a batch of %d turns failed", len(batch))
                    results = [error] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its submitter was cancelled
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
                # Let the loop read what arrived during the batch (it forms the next one).
                await asyncio.sleep(0)
        except asyncio.CancelledError:  # the process stops: nobody waits for a turn forever
            for _, future in batch + self._waiting:
                future.cancel()
            self._waiting.clear()
            raise
        finally:
            # At once, not in a done-callback: a turn submitted right after must start a drainer.
            current = asyncio.current_task()
            if current is not None:
                self._drainers.discard(current)
