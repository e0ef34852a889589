"""Delivers outbox rows through the platform senders, with retries and backoff.

A row is claimed in the database before it is sent, so two processes never send it twice; a
crash between commit and delivery loses nothing, since pending rows are picked up on the next
pass. Each delivery is recorded (stored message, receipt) and its consequences applied by the
engine in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.core.ports import Clock, Sender, UnitOfWork, UnitOfWorkFactory
from bot.core.records import OutboxItem, OutboxStatus, StoredMessage
from bot.core.types import DeliveryError, OutboundMessage, SendReceipt
from bot.core.wire import payload_to_message

log = logging.getLogger(__name__)

CLAIM_SECONDS = 60
MAX_BACKOFF_SECONDS = 300
WAIT_FOR_CARD_SECONDS = 2
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class DeliveryObserver(Protocol):
    """What happens after a delivery or a final failure (implemented by the engine)."""

    def after_delivery(
        self, uow: UnitOfWork, item: OutboxItem, receipt: SendReceipt, now: datetime
    ) -> None: ...

    def after_failure(self, uow: UnitOfWork, item: OutboxItem, reason: str, now: datetime) -> None: ...


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff: 2, 4, 8, ... seconds, capped."""
    return float(min(MAX_BACKOFF_SECONDS, 2**attempts))


class OutboxDispatcher:
    """Sends due outbox rows for the platforms this process has senders for."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        senders: Mapping[str, Sender],
        clock: Clock,
        observer: DeliveryObserver,
        max_attempts: int = 6,
        chat_ids: Sequence[str] | None = None,
    ):
        self.uow_factory = uow_factory
        self.senders = dict(senders)
        self.clock = clock
        self.observer = observer
        self.max_attempts = max_attempts
        self.chat_ids = chat_ids  # a console process delivers only to its own terminal
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Ask for a pass now (called after the engine committed new rows)."""
        self._wake.set()

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        """Deliver until cancelled: at every wake-up and at least every ``poll_seconds``."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
            self._wake.clear()

    async def run_once(self) -> int:
        """One pass over the due rows; returns how many were delivered."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            pending = uow.outbox.due(FAR_FUTURE, self.senders.keys(), limit=500, chat_ids=self.chat_ids)
        delivered = 0
        # Keep each chat's order: a message waiting for a retry (or being sent by another process)
        # holds back the later messages to the same chat.
        held_chats: set[tuple[str, str]] = set()
        for item in pending:
            chat = (item.platform, item.chat_id)
            if chat in held_chats:
                continue
            if item.next_attempt_at is not None and item.next_attempt_at > now:
                held_chats.add(chat)
                continue
            assert item.id is not None
            if not self._claim(item.id):
                continue
            outcome = await self._deliver(item.id)
            if outcome:
                delivered += 1
            else:
                held_chats.add(chat)
        return delivered

    def _claim(self, item_id: int) -> bool:
        now = self.clock.now()
        with self.uow_factory() as uow:
            won = uow.outbox.claim(item_id, now + timedelta(seconds=CLAIM_SECONDS), now)
            uow.commit()
        return won

    async def _deliver(self, item_id: int) -> bool:
        # Prepare in one transaction, send outside any (a send waits on the network, and an open
        # SQLite write transaction would block every other writer in this process meanwhile), then
        # record the outcome in a second one. The claim keeps other processes off the row.
        with self.uow_factory() as uow:
            item = uow.outbox.get(item_id)
            if item is None or item.status != OutboxStatus.PENDING:
                return True
            message = payload_to_message(item.payload)
            ticket = uow.tickets.get(item.ticket_id) if item.ticket_id is not None else None
            if item.purpose in ("desk", "card_update") and ticket is not None:
                if ticket.escalated and not ticket.desk_card_message_id and item.attempts < self.max_attempts:
                    # The card is not out yet: its thread does not exist. Try again shortly.
                    item.next_attempt_at = self.clock.now() + timedelta(seconds=WAIT_FOR_CARD_SECONDS)
                    uow.commit()
                    return False
                if ticket.desk_chat_id == message.address.chat_id and message.address.thread_id is None:
                    message = _with_thread(message, ticket.desk_thread_id)
            sender = self.senders[item.platform]
        failure: tuple[str, float | None, bool] | None = None
        try:
            if message.thread_title:
                receipt = await sender.open_thread(message.address, message.thread_title, message)
            else:
                receipt = await sender.send(message)
        except DeliveryError as error:
            failure = (error.reason, error.retry_after, error.permanent)
        except Exception as error:  # network trouble and the like: retry
            log.warning("delivery of outbox row %s failed: %r", item_id, error)
            failure = (f"{type(error).__name__}: {error}", None, False)
        with self.uow_factory() as uow:
            item = uow.outbox.get(item_id)
            if item is None:
                return failure is None
            if failure is not None:
                self._failed(uow, item, *failure)
                uow.commit()
                return False
            now = self.clock.now()
            item.status = OutboxStatus.SENT
            item.attempts += 1
            item.sent_at = now
            item.receipt_message_id = receipt.message_id
            item.receipt_thread_id = receipt.address.thread_id
            uow.messages.add(
                StoredMessage(
                    direction="out",
                    platform=receipt.address.platform,
                    chat_id=receipt.address.chat_id,
                    thread_id=receipt.address.thread_id,
                    user_id=None,
                    text=message.text,
                    platform_message_id=receipt.message_id,
                    ticket_id=item.ticket_id,
                    at=now,
                )
            )
            self.observer.after_delivery(uow, item, receipt, now)
            uow.commit()
            return True

    def _failed(
        self, uow: UnitOfWork, item: OutboxItem, reason: str, retry_after: float | None, permanent: bool
    ) -> None:
        now = self.clock.now()
        item.attempts += 1
        item.last_error = reason[:500]
        if permanent or item.attempts >= self.max_attempts:
            item.status = OutboxStatus.FAILED
            log.warning("outbox row %s failed for good: %s", item.id, reason)
            self.observer.after_failure(uow, item, reason, now)
            return
        wait = retry_after if retry_after is not None else backoff_seconds(item.attempts)
        item.next_attempt_at = now + timedelta(seconds=wait)


def _with_thread(message: OutboundMessage, thread_id: str | None) -> OutboundMessage:
    return replace(message, address=message.address.in_thread(thread_id))
