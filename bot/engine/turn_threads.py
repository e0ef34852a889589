"""Turns (an event's database transaction) in worker threads, for a database a network away.

A turn talks to the database with a blocking driver. By default the turns of a process run on
the event loop, one batch at a time (:mod:`bot.engine.turn_batches`). With PostgreSQL a network
away a turn mostly waits for its round trips; :class:`ThreadedTurns` runs the batches in a few
worker threads, so several transactions are open at once, the loop stays free for the
webhooks and deliveries meanwhile, and the matcher runs off the loop.

Each worker thread keeps an event loop of its own (a turn is a coroutine: the features are
``async``); a turn never waits on the network, and the one thing that may (a desk-membership
lookup not done before the transaction) is sent back to the process's main loop by the engine.
Events of one conversation still run one after another: the engine holds the conversation's
key on the main loop around the turn, and in the database (:meth:`bot.core.ports.UnitOfWork.lock`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
TurnFactory = Callable[[], Coroutine[Any, Any, T]]


class ThreadedTurns:
    """Turns in ``threads`` worker threads, each with its own event loop, at most ``threads`` at
    once (PostgreSQL: every turn has a connection of its own from the pool)."""

    def __init__(self, threads: int):
        if threads < 1:
            raise ValueError("ThreadedTurns needs at least one thread")
        self.threads = threads
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="turn")
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()

    async def run(self, make: TurnFactory[T]) -> T:
        """Run ``make()`` in a worker thread; the caller's loop goes on meanwhile. A caller that
        is cancelled does not stop the turn (it commits or rolls back as a whole)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run, make)

    def _run(self, make: TurnFactory[T]) -> T:
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None:
            loop = asyncio.new_event_loop()
            self._local.loop = loop
            with self._loops_lock:
                self._loops.append(loop)
        return loop.run_until_complete(make())

    def close(self) -> None:
        """Wait for the turns under way, then close the threads' loops."""
        self._executor.shutdown(wait=True)
        with self._loops_lock:
            loops, self._loops = self._loops, []
        for loop in loops:
            loop.close()
