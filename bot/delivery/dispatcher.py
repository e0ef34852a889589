"""Delivers outbox rows through the platform senders, retrying temporary errors until a deadline.

- **Leases of live workers.** A row is taken with a short lease (``lease_seconds``) that names the
  worker; while the sends wait on the network, one heartbeat renews the leases of all of them. A
  worker that dies leaves leases that run out within seconds, and any other (or the restarted)
  worker takes the rows over.
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

Each send happens outside any transaction. Rows are taken in batches (one transaction takes the
heads of many chats' queues and records their attempts) and their outcomes are recorded in batches
too, with the engine's consequences (``DeliveryObserver``) in that same transaction: per message a
share of two transactions, not two of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

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
T = TypeVar("T")
HEALTH_RECHECK_SECONDS = 1.0
"""A delivery that worked looks for an open outage to close at most this often while none is
open (another worker's outage is closed by the next delivery after that)."""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # a worker thread
        return None


MAX_BACKOFF_SECONDS = 300
WAIT_FOR_CARD_SECONDS = 2
COALESCE_SECONDS = 0.002  # recording outcomes waits this long for more to record in one go
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


@dataclass(slots=True)
class _Delivery:
    """One row being delivered by this worker: the message as sent, and then its outcome."""

    item_id: int
    chat: tuple[str, str]  # (platform, chat id)
    message: OutboundMessage
    attempt: int
    uncertain_since: datetime | None  # an earlier attempt's outcome is unknown: it started then
    receipt: SendReceipt | None = None
    failure: tuple[str, float | None, bool] | None = None  # reason, retry after, permanent
    outcome: AttemptOutcome = field(default=AttemptOutcome.SENT)


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
        self._stirred: asyncio.Event | None = None  # set while a pass runs
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the passes run on
        # Per platform: until when a success need not look for an open outage (none was open).
        self._no_outage_until: dict[str, float] = {}
        # Whether the passes' transactions run in a worker thread (PostgreSQL: the loop goes on
        # meanwhile) or on the loop (SQLite).
        self.off_loop = False

    def wake(self) -> None:
        """Ask for a pass now (called after the engine committed new rows): a pass under way
        looks for new rows at once. Safe to call from any thread."""
        loop = self._loop
        if loop is not None and _running_loop() is not loop:
            loop.call_soon_threadsafe(self._wake_here)
        else:
            self._wake_here()

    def _wake_here(self) -> None:
        self._wake.set()
        if self._stirred is not None:
            self._stirred.set()

    async def _in_transaction(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(*args)`` (which opens its own unit of work) where :attr:`off_loop` says."""
        if self.off_loop:
            return await asyncio.to_thread(work, *args)
        return work(*args)

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
        """Deliver what is due, and what becomes due meanwhile, until nothing is left to take now;
        returns how many were delivered.

        Rows are taken in batches: one transaction takes the heads of many chats' queues (and
        records their attempts), the sends run side by side (at most ``policy.concurrency`` at
        once, one per chat, so each chat's order is kept), and the outcomes that have come in are
        recorded together in one transaction, while the other sends go on. A slow platform call
        holds back only its own chat. A message waiting for a retry (or being sent by another
        process) holds back the later messages to its chat.
        """
        self._loop = asyncio.get_running_loop()
        probes = await self._in_transaction(self._due_probes)
        in_flight: dict[tuple[str, str], asyncio.Task[None]] = {}
        leased: set[int] = set()
        finished: list[_Delivery] = []
        stopped: set[tuple[str, str]] = set()  # failed in this pass: its later messages wait
        stirred = asyncio.Event()
        delivered = 0

        async def send(delivery: _Delivery) -> None:
            try:
                await self._send(delivery)
            finally:
                finished.append(delivery)
                stirred.set()

        heartbeat = asyncio.create_task(self._keep_leases(leased))
        self._stirred = stirred
        try:
            look = True
            while True:
                room = max(1, self.policy.concurrency)
                free = room - len(in_flight)
                # Take rows when a quarter of the room is free (or nothing is in flight): fewer,
                # larger batches, as the queue is read each time.
                if look and free > 0 and (free >= room // 4 or not in_flight):
                    look = False
                    busy = set(in_flight) | stopped
                    batch = await self._in_transaction(self._take_batch, free, busy, probes)
                    for delivery in batch:
                        probes.discard(delivery.item_id)
                        leased.add(delivery.item_id)
                        in_flight[delivery.chat] = asyncio.create_task(send(delivery))
                        look = True  # there may be more than one batch's worth
                if not in_flight:
                    break
                await stirred.wait()
                stirred.clear()
                if self._wake.is_set():
                    self._wake.clear()
                    look = True
                if finished:
                    if len(finished) < len(in_flight):
                        await asyncio.sleep(COALESCE_SECONDS)  # let outcomes come in together
                    done, finished[:] = list(finished), []
                    delivered += await self._in_transaction(self._record, done)
                    for delivery in done:
                        in_flight.pop(delivery.chat, None)
                        leased.discard(delivery.item_id)
                        if delivery.failure is not None:
                            stopped.add(delivery.chat)
                    look = True
        finally:
            self._stirred = None
            heartbeat.cancel()
            for task in in_flight.values():
                task.cancel()
            await asyncio.gather(heartbeat, *in_flight.values(), return_exceptions=True)
        return delivered

    def _due_probes(self) -> set[int]:
        with self.uow_factory() as uow:
            probes = self._probes(uow, self.clock.now())
            uow.commit()
        return probes

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

    async def _keep_leases(self, leased: set[int]) -> None:
        """Renew the leases on the rows being sent, in one statement, while the sends wait on the
        network (a third of the lease apart)."""
        while True:
            await asyncio.sleep(self.policy.heartbeat_seconds)
            if not leased:
                continue
            until = self.clock.now() + timedelta(seconds=self.policy.lease_seconds)
            try:
                with self.uow_factory() as uow:
                    uow.outbox.renew(set(leased), self.worker, until)
                    uow.commit()
            except Exception:  # a busy database: the next beat tries again
                log.debug("lease renewal of outbox rows %s failed", sorted(leased), exc_info=True)

    def _take_batch(self, room: int, busy: set[tuple[str, str]], probes: set[int]) -> list[_Delivery]:
        """Take up to ``room`` rows that head their chat's queue (chats in ``busy`` left out) and
        record their attempts, in one transaction committed before any send."""
        now = self.clock.now()
        try:
            with self.uow_factory() as uow:
                heads = [
                    row
                    for row in uow.outbox.queued(
                        self.senders.keys(), now, limit=room + len(busy), chat_ids=self.chat_ids, also=probes
                    )
                    if (row.platform, row.chat_id) not in busy
                ][:room]
                if not heads:
                    return []
                until = now + timedelta(seconds=self.policy.lease_seconds)
                won = uow.outbox.take_many(
                    [h.id for h in heads if h.id not in probes], self.worker, until, now
                )
                items = uow.outbox.get_many([h.id for h in heads])
                won |= {
                    h.id for h in heads if h.id in probes and self._take_probe(uow, items.get(h.id), until)
                }
                earlier = uow.outbox.attempts_of(won)
                taken = [
                    prepared
                    for h in heads
                    if h.id in won
                    and (prepared := self._prepare(uow, items[h.id], earlier.get(h.id, []), now)) is not None
                ]
                uow.commit()
        except Exception:
            log.exception("taking outbox rows failed; they stay queued")
            return []
        return taken

    def _take_probe(self, uow: UnitOfWork, item: OutboxItem | None, until: datetime) -> bool:
        """Take a probe row, waiting out an outage, unless another worker holds it."""
        if item is None or item.id is None or item.status != OutboxStatus.PENDING or item.claimed_by:
            return False
        # Compare-and-set on the value just read: of two workers, one wins.
        return uow.outbox.take(item.id, self.worker, until, FAR_FUTURE)

    def _prepare(
        self, uow: UnitOfWork, item: OutboxItem, previous: list[DeliveryAttempt], now: datetime
    ) -> _Delivery | None:
        """The delivery of a row just taken, with its attempt recorded. None: not now (its card
        is not out yet: it is given back and tried again shortly)."""
        assert item.id is not None
        message = payload_to_message(item.payload)
        ticket = uow.tickets.get(item.ticket_id) if item.ticket_id is not None else None
        if item.purpose in ("desk", "card_update") and ticket is not None and ticket.id is not None:
            if ticket.escalated and not ticket.desk_card_message_id and uow.outbox.card_pending(ticket.id):
                # The card is not out yet: its thread does not exist. Try again shortly.
                item.next_attempt_at = now + timedelta(seconds=WAIT_FOR_CARD_SECONDS)
                item.claimed_by = None
                return None
            if ticket.desk_chat_id == message.address.chat_id and message.address.thread_id is None:
                message = _with_thread(message, ticket.desk_thread_id)
        uncertain_since: datetime | None = None
        for earlier in previous:
            if earlier.outcome == AttemptOutcome.SENDING:
                earlier.outcome = AttemptOutcome.UNCERTAIN
                earlier.finished_at = now
                earlier.detail = f"the worker {earlier.worker} stopped before recording the outcome"
                uncertain_since = earlier.started_at
                log.warning(
                    "outbox row %s: attempt %s by %s has no outcome", item.id, earlier.attempt, earlier.worker
                )
        number = max((a.attempt for a in previous), default=0) + 1
        uow.outbox.start_attempt(DeliveryAttempt(item.id, number, self.worker, now))
        outside = self._outside_reply_window(uow, item, now)
        message = replace(message, delivery_key=f"outbox-{item.id}", outside_reply_window=outside)
        return _Delivery(item.id, (item.platform, item.chat_id), message, number, uncertain_since)

    async def _send(self, delivery: _Delivery) -> None:
        """Send (or, after a worker died mid-send, first look up) one delivery; the outcome is
        kept on it. Never raises but for cancellation."""
        message = delivery.message
        sender = self.senders[message.address.platform]
        if delivery.uncertain_since is not None and isinstance(sender, DeduplicatingSender):
            with contextlib.suppress(Exception):
                delivery.receipt = await sender.find_delivered(message, delivery.uncertain_since)
            if delivery.receipt is not None:
                log.info("outbox row %s was already delivered by a worker that died", delivery.item_id)
                delivery.outcome = AttemptOutcome.FOUND_SENT
                return
        try:
            if message.thread_title:
                delivery.receipt = await sender.open_thread(message.address, message.thread_title, message)
            else:
                delivery.receipt = await sender.send(message)
        except DeliveryError as error:
            delivery.failure = (error.reason, error.retry_after, error.permanent)
        except Exception as error:  # network trouble and the like: retry
            log.warning("delivery of outbox row %s failed: %r", delivery.item_id, error)
            delivery.failure = (f"{type(error).__name__}: {error}", None, False)

    def _record(self, done: list[_Delivery]) -> int:
        """Record the outcomes of ``done`` in one transaction (each alone if that fails, so one bad
        row does not hold back the others); returns how many were delivered."""
        try:
            return self._record_in_one(done)
        except Exception:
            if len(done) == 1:
                log.exception("recording the delivery of outbox row %s failed", done[0].item_id)
                return 0
            log.exception("recording %s deliveries together failed; recording them one by one", len(done))
            return sum(self._record([delivery]) for delivery in done)

    def _record_in_one(self, done: list[_Delivery]) -> int:
        delivered = 0
        with self.uow_factory() as uow:
            items = uow.outbox.get_many([d.item_id for d in done])
            attempts = uow.outbox.attempts_of(items)
            succeeded: set[str] = set()
            for delivery in done:
                item = items.get(delivery.item_id)
                if item is None:
                    delivered += delivery.failure is None
                    continue
                mine = attempts.get(delivery.item_id, [])
                if delivery.failure is not None:
                    self._failed(uow, item, mine, delivery.attempt, *delivery.failure)
                    continue
                assert delivery.receipt is not None
                now = self.clock.now()
                self._sent(
                    uow,
                    item,
                    delivery.message,
                    delivery.receipt,
                    mine,
                    delivery.attempt,
                    delivery.outcome,
                    now,
                )
                succeeded.add(item.platform)
                delivered += 1
            for platform in sorted(succeeded):
                self._note_success(uow, platform, self.clock.now())
            uow.commit()
        return delivered

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
        attempts: list[DeliveryAttempt],
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
        _finish_attempt(attempts, attempt, outcome, now)
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

    def _note_success(self, uow: UnitOfWork, platform: str, now: datetime) -> None:
        """Deliveries to ``platform`` worked: close its outage, if one was open, and release what
        waited for it."""
        if time.monotonic() < self._no_outage_until.get(platform, 0.0):
            return  # none open a moment ago, and none opened here since
        closed = uow.outbox.note_success(platform, now)
        if closed is None:
            self._no_outage_until[platform] = time.monotonic() + HEALTH_RECHECK_SECONDS
        if closed is not None and closed.failing_since is not None:
            released = uow.outbox.release_outage_waits(platform, now)
            log.warning("deliveries to %s work again; %s waiting messages released", platform, released)
            if closed.alerted_at is not None:
                self.observer.after_recovery(uow, platform, closed.failing_since, released, now)
            self.wake()

    def _failed(
        self,
        uow: UnitOfWork,
        item: OutboxItem,
        attempts: list[DeliveryAttempt],
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
        _finish_attempt(attempts, attempt, outcome, now, reason)
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
        self._no_outage_until.pop(item.platform, None)
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
    attempts: list[DeliveryAttempt], attempt: int, outcome: AttemptOutcome, now: datetime, detail: str = ""
) -> None:
    """Record the outcome of attempt number ``attempt`` among a row's ``attempts``."""
    for recorded in attempts:
        if recorded.attempt == attempt:
            recorded.outcome = outcome
            recorded.finished_at = now
            recorded.detail = detail[:500]


def _with_thread(message: OutboundMessage, thread_id: str | None) -> OutboundMessage:
    return replace(message, address=message.address.in_thread(thread_id))
