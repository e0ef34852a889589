"""Delivers outbox rows through the platform senders, retrying temporary errors until a deadline.

- **Leases of live workers.** A row is taken with a short lease (``lease_seconds``) that names the
  worker; while the send waits on the network a heartbeat renews it. A worker that dies leaves a
  lease that runs out within seconds, and any other (or the restarted) worker takes the row over.
- **Attempts.** Every try is recorded before the send and its outcome after it. A row taken over
  from a dead worker whose last attempt has no outcome was perhaps delivered: that attempt is marked
  ``uncertain``; a sender that can look the message up (``DeduplicatingSender``) is asked first,
  and the message is sent again only if the platform does not have it.
- **Deadline, not attempt count.** Temporary errors (5xx, timeouts, connection errors, 429) are
  retried with capped exponential backoff and jitter until ``give_up_after`` has passed since the
  message was decided; permanent errors fail at once and are shown to the specialist.
- **Outages.** The first temporary failure opens an outage for the platform (shared by every worker
  in ``delivery_health``). Meanwhile one worker probes the platform every ``probe_seconds`` with the
  oldest waiting row; the first success closes the outage and makes every row that waited for it due
  again, so the backlog drains at once, in order per chat. The desk is told once when an outage has
  lasted ``alert_after`` and once when it is over.

Each send happens outside any transaction; it is prepared in one and recorded in the next, with
the engine's consequences (``DeliveryObserver``) in that same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from bot.core.ports import (
    Clock,
    DeduplicatingSender,
    Sender,
    UnitOfWork,
    UnitOfWorkFactory,
    WindowedSender,
)
from bot.core.process import process_name
from bot.core.records import (
    AttemptOutcome,
    DeliveryAttempt,
    DeliveryHealth,
    OutboxItem,
    OutboxStatus,
    StoredMessage,
)
from bot.core.types import DeliveryError, OutboundMessage, SendReceipt
from bot.core.wire import payload_to_message

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
WAIT_FOR_CARD_SECONDS = 2
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class DeliveryObserver(Protocol):
    """What happens after a delivery, a final failure or a platform outage (the engine)."""

    def after_delivery(
        self, uow: UnitOfWork, item: OutboxItem, receipt: SendReceipt, now: datetime
    ) -> None: ...

    def after_failure(self, uow: UnitOfWork, item: OutboxItem, reason: str, now: datetime) -> None: ...

    def after_outage(
        self, uow: UnitOfWork, platform: str, since: datetime, waiting: int, reason: str, now: datetime
    ) -> None: ...

    def after_recovery(
        self, uow: UnitOfWork, platform: str, since: datetime, waiting: int, now: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How long and how often the dispatcher retries (``OUTBOX_*`` settings)."""

    give_up_after: timedelta = timedelta(hours=24)
    lease_seconds: float = 10.0
    probe_seconds: float = 10.0
    alert_after: timedelta = timedelta(minutes=3)
    max_backoff_seconds: float = MAX_BACKOFF_SECONDS
    concurrency: int = 16  # sends in flight at once, to different chats

    @property
    def heartbeat_seconds(self) -> float:
        """How often a lease is renewed while a send waits: a third of the lease."""
        return max(0.05, self.lease_seconds / 3)


def backoff_seconds(
    attempts: int, rng: random.Random | None = None, cap: float = MAX_BACKOFF_SECONDS
) -> float:
    """Capped exponential backoff with jitter: a random wait in the upper half of 2, 4, 8, ... s.

    The jitter spreads the retries of many rows that failed together, so a platform coming back
    is not hit by all of them at the same instant.
    """
    ceiling = float(min(cap, 2 ** min(attempts, 30)))
    return (rng or random).uniform(ceiling / 2, ceiling)


def worker_name() -> str:
    """This process's name in leases and attempts: host, pid and a random suffix."""
    return process_name()


class OutboxDispatcher:
    """Sends due outbox rows for the platforms this process has senders for."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        senders: Mapping[str, Sender],
        clock: Clock,
        observer: DeliveryObserver,
        policy: DeliveryPolicy | None = None,
        chat_ids: Sequence[str] | None = None,
        rng: random.Random | None = None,
        worker: str | None = None,
    ):
        self.uow_factory = uow_factory
        self.senders = dict(senders)
        self.clock = clock
        self.observer = observer
        self.policy = policy or DeliveryPolicy()
        self.chat_ids = chat_ids  # a console process delivers only to its own terminal
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.worker = worker or worker_name()
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
            probes = self._probes(uow, now)
            uow.commit()
        # Keep each chat's order: a message waiting for a retry (or being sent by another process)
        # holds back the later messages to the same chat. Different chats are delivered side by
        # side (at most ``policy.concurrency`` sends at once): a platform's round trip must not
        # make every other chat wait.
        chains: dict[tuple[str, str], list[int]] = {}
        held_chats: set[tuple[str, str]] = set()
        for item in pending:
            chat = (item.platform, item.chat_id)
            if chat in held_chats:
                continue
            due = item.next_attempt_at is None or item.next_attempt_at <= now or item.id in probes
            if not due:
                held_chats.add(chat)
                continue
            assert item.id is not None
            chains.setdefault(chat, []).append(item.id)
        gate = asyncio.Semaphore(max(1, self.policy.concurrency))

        async def deliver_chain(item_ids: list[int]) -> int:
            sent = 0
            for item_id in item_ids:
                async with gate:
                    if not await self._deliver(item_id, probe=item_id in probes):
                        return sent
                sent += 1
            return sent

        counts = await asyncio.gather(*(deliver_chain(ids) for ids in chains.values()))
        return sum(counts)

    def _probes(self, uow: UnitOfWork, now: datetime) -> set[int]:
        """Rows to try now although their backoff has not run out: per platform in an outage, its
        oldest waiting row, at most once per ``probe_seconds`` across every worker."""
        probes: set[int] = set()
        every = timedelta(seconds=self.policy.probe_seconds)
        for platform in self.senders:
            health = uow.outbox.health(platform)
            if health is None or health.failing_since is None:
                continue
            head = uow.outbox.oldest_pending(platform, self.chat_ids)
            if head is None or head.id is None or not head.outage_wait or head.claimed_by:
                continue
            if uow.outbox.take_probe(platform, now, every):
                probes.add(head.id)
        return probes

    @contextlib.asynccontextmanager
    async def _lease_kept(self, item_id: int) -> AsyncIterator[None]:
        """Renew the lease on ``item_id`` while the body waits on the network."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.policy.heartbeat_seconds)
                until = self.clock.now() + timedelta(seconds=self.policy.lease_seconds)
                try:
                    with self.uow_factory() as uow:
                        uow.outbox.renew([item_id], self.worker, until)
                        uow.commit()
                except Exception:  # a busy database: the next beat tries again
                    log.debug("lease renewal of outbox row %s failed", item_id, exc_info=True)

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, item_id: int, probe: bool = False) -> bool:
        prepared = self._prepare(item_id, probe)
        if isinstance(prepared, bool):
            return False
        message, attempt, uncertain_since = prepared
        sender = self.senders[message.address.platform]
        receipt: SendReceipt | None = None
        failure: tuple[str, float | None, bool] | None = None
        async with self._lease_kept(item_id):
            if uncertain_since is not None and isinstance(sender, DeduplicatingSender):
                with contextlib.suppress(Exception):
                    receipt = await sender.find_delivered(message, uncertain_since)
                if receipt is not None:
                    log.info("outbox row %s was already delivered by a worker that died", item_id)
            if receipt is None:
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
                outcome = AttemptOutcome.SENT
            else:
                outcome = AttemptOutcome.FOUND_SENT
        with self.uow_factory() as uow:
            item = uow.outbox.get(item_id)
            if item is None:
                return failure is None
            now = self.clock.now()
            if failure is not None:
                self._failed(uow, item, attempt, *failure)
                uow.commit()
                return False
            assert receipt is not None
            self._sent(uow, item, message, receipt, attempt, outcome, now)
            uow.commit()
        return True

    def _prepare(
        self, item_id: int, probe: bool = False
    ) -> tuple[OutboundMessage, int, datetime | None] | Literal[False]:
        """Take the row (a lease in this worker's name) and record the attempt, in one transaction
        committed before the send. False: not now (sent or taken by another worker, waiting for
        its retry, or its card is not out yet); else the message, the attempt number and, when an
        earlier attempt's outcome is unknown, when that attempt started."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            item = uow.outbox.get(item_id)
            if item is None or item.status != OutboxStatus.PENDING:
                return False
            waiting = item.next_attempt_at is not None and item.next_attempt_at > now
            if waiting and (not probe or item.claimed_by):
                return False  # another worker holds it, or it waits for its retry
            until = now + timedelta(seconds=self.policy.lease_seconds)
            # Compare-and-set on the value just read: of two workers, one wins.
            if not uow.outbox.take(item_id, self.worker, until, FAR_FUTURE):
                return False
            assert item.id is not None
            message = payload_to_message(item.payload)
            ticket = uow.tickets.get(item.ticket_id) if item.ticket_id is not None else None
            if item.purpose in ("desk", "card_update") and ticket is not None and ticket.id is not None:
                if (
                    ticket.escalated
                    and not ticket.desk_card_message_id
                    and uow.outbox.card_pending(ticket.id)
                ):
                    # The card is not out yet: its thread does not exist. Try again shortly.
                    item.next_attempt_at = now + timedelta(seconds=WAIT_FOR_CARD_SECONDS)
                    item.claimed_by = None
                    uow.commit()
                    return False
                if ticket.desk_chat_id == message.address.chat_id and message.address.thread_id is None:
                    message = _with_thread(message, ticket.desk_thread_id)
            previous = uow.outbox.attempts(item.id)
            uncertain_since: datetime | None = None
            for earlier in previous:
                if earlier.outcome == AttemptOutcome.SENDING:
                    earlier.outcome = AttemptOutcome.UNCERTAIN
                    earlier.finished_at = now
                    earlier.detail = f"the worker {earlier.worker} stopped before recording the outcome"
                    uncertain_since = earlier.started_at
                    log.warning(
                        "outbox row %s: attempt %s by %s has no outcome",
                        item_id,
                        earlier.attempt,
                        earlier.worker,
                    )
            number = max((a.attempt for a in previous), default=0) + 1
            uow.outbox.start_attempt(DeliveryAttempt(item.id, number, self.worker, now))
            outside = self._outside_reply_window(uow, item, now)
            uow.commit()
        message = replace(message, delivery_key=f"outbox-{item_id}", outside_reply_window=outside)
        return message, number, uncertain_since

    def _outside_reply_window(self, uow: UnitOfWork, item: OutboxItem, now: datetime) -> bool:
        """Whether ``item`` goes to a platform with a reply window that closed (the user's last
        message is older than the window, or there is none)."""
        sender = self.senders.get(item.platform)
        if not isinstance(sender, WindowedSender):
            return False
        last = uow.messages.last_inbound_at(item.platform, item.chat_id)
        return last is None or now - last >= sender.reply_window

    def _sent(
        self,
        uow: UnitOfWork,
        item: OutboxItem,
        message: OutboundMessage,
        receipt: SendReceipt,
        attempt: int,
        outcome: AttemptOutcome,
        now: datetime,
    ) -> None:
        item.status = OutboxStatus.SENT
        item.attempts += 1
        item.sent_at = now
        item.claimed_by = None
        item.outage_wait = False
        item.receipt_message_id = receipt.message_id
        item.receipt_thread_id = receipt.address.thread_id
        self._finish_attempt(uow, item, attempt, outcome, now)
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
        closed = uow.outbox.note_success(item.platform, now)
        if closed is not None and closed.failing_since is not None:
            released = uow.outbox.release_outage_waits(item.platform, now)
            log.warning("deliveries to %s work again; %s waiting messages released", item.platform, released)
            if closed.alerted_at is not None:
                self.observer.after_recovery(uow, item.platform, closed.failing_since, released, now)
            self.wake()

    def _failed(
        self,
        uow: UnitOfWork,
        item: OutboxItem,
        attempt: int,
        reason: str,
        retry_after: float | None,
        permanent: bool,
    ) -> None:
        now = self.clock.now()
        item.attempts += 1
        item.last_error = reason[:500]
        item.claimed_by = None
        created = item.created_at or now
        expired = now - created >= self.policy.give_up_after
        outcome = AttemptOutcome.PERMANENT if permanent or expired else AttemptOutcome.TEMPORARY
        self._finish_attempt(uow, item, attempt, outcome, now, reason)
        if permanent or expired:
            item.status = OutboxStatus.FAILED
            item.outage_wait = False
            log.warning("outbox row %s failed for good: %s", item.id, reason)
            self.observer.after_failure(uow, item, reason, now)
            return
        if retry_after is not None:  # a rate limit: wait what the platform asked, no outage
            item.outage_wait = False
            item.next_attempt_at = now + timedelta(seconds=retry_after)
            return
        wait = backoff_seconds(item.attempts, self.rng, self.policy.max_backoff_seconds)
        item.outage_wait = True
        item.next_attempt_at = min(now + timedelta(seconds=wait), created + self.policy.give_up_after)
        health = uow.outbox.note_failure(item.platform, now, reason)
        self._maybe_alert(uow, health, now)

    def _maybe_alert(self, uow: UnitOfWork, health: DeliveryHealth, now: datetime) -> None:
        since = health.failing_since
        if since is None or health.alerted_at is not None or now - since < self.policy.alert_after:
            return
        if uow.outbox.mark_alerted(health.platform, since, now):
            waiting = uow.outbox.pending_count(health.platform)
            log.warning("deliveries to %s failing since %s; %s waiting", health.platform, since, waiting)
            self.observer.after_outage(uow, health.platform, since, waiting, health.last_error, now)

    def _finish_attempt(
        self,
        uow: UnitOfWork,
        item: OutboxItem,
        attempt: int,
        outcome: AttemptOutcome,
        now: datetime,
        detail: str = "",
    ) -> None:
        assert item.id is not None
        for recorded in uow.outbox.attempts(item.id):
            if recorded.attempt == attempt:
                recorded.outcome = outcome
                recorded.finished_at = now
                recorded.detail = detail[:500]


def _with_thread(message: OutboundMessage, thread_id: str | None) -> OutboundMessage:
    return replace(message, address=message.address.in_thread(thread_id))
