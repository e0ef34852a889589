"""Which events may run side by side: one conversation at a time, every conversation concurrently.

:func:`conversation_key` names the conversation an event belongs to (a user's chat, or one thread
of the desk); :class:`KeyedLocks` lets the events of one key through in arrival order (asyncio
locks are first come, first served) while other keys proceed. Across processes the engine also
locks the key in the database (:meth:`bot.core.ports.UnitOfWork.lock`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot.core.records import Role
from bot.core.types import Event


def conversation_key(event: Event, desk: bool) -> str:
    """The conversation ``event`` belongs to: a user's chat, or a thread (ticket) of the desk."""
    address = event.address
    if desk:
        return f"desk:{address.platform}:{address.chat_id}:{address.thread_id or ''}"
    return f"chat:{address.platform}:{address.chat_id}"


class KeyedLocks:
    """One asyncio lock per key, kept only while somebody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Wait for ``key`` (behind the earlier arrivals), hold it for the block."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


@dataclass
class RoleCache:
    """Desk-membership answers remembered for ``ttl_seconds`` (a lookup waits on the platform)."""

    ttl_seconds: float = 60.0
    monotonic: Callable[[], float] = time.monotonic
    _known: dict[str, tuple[Role, float]] = field(default_factory=dict)

    def get(self, key: str) -> Role | None:
        """The remembered role of ``key``, if still fresh."""
        found = self._known.get(key)
        if found is None or found[1] < self.monotonic():
            return None
        return found[0]

    def put(self, key: str, role: Role) -> None:
        """Remember ``role`` for ``key``."""
        if len(self._known) > 50_000:  # a flood of distinct senders must not grow it forever
            self._known.clear()
        self._known[key] = (role, self.monotonic() + self.ttl_seconds)
