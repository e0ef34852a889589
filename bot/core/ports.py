"""Ports: the interfaces the core needs from the outside world (typing.Protocol)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from bot.core.records import (
    AuditEntry,
    Conversation,
    DeliveryAttempt,
    DeliveryHealth,
    FaqDraft,
    FaqVersion,
    OutboxItem,
    PersonalData,
    QueuedDelivery,
    StoredMessage,
    Ticket,
    TicketEvent,
    UserRecord,
)
from bot.core.types import (
    Attachment,
    ChannelAddress,
    DeliveryStatus,
    Event,
    FaqEntry,
    MatchResult,
    MatchThresholds,
    MediaFile,
    OutboundMessage,
    SendReceipt,
    UserRef,
)


class Clock(Protocol):
    """Current time, injected so tests control it. Always timezone-aware UTC."""

    def now(self) -> datetime: ...


class EventSink(Protocol):
    """What every adapter calls with each platform event."""

    async def handle(self, event: Event) -> None: ...


@runtime_checkable
class DeliveryStatusSink(Protocol):
    """Takes what a platform reports later about delivered messages (the engine)."""

    async def delivery_status(self, status: DeliveryStatus) -> None: ...


class MediaSource(Protocol):
    """Fetches a file a user sent on one platform, so another platform's adapter can pass it on."""

    platform: str

    async def fetch(self, attachment: Attachment) -> MediaFile:
        """The file's bytes; raises ``DeliveryError`` when it cannot be fetched."""
        ...


class Sender(Protocol):
    """Delivers outbound messages on one platform. Raises ``DeliveryError`` on failure."""

    platform: str

    async def send(self, message: OutboundMessage) -> SendReceipt: ...

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt: ...


@runtime_checkable
class DeduplicatingSender(Protocol):
    """A :class:`Sender` whose platform can tell whether a message was already delivered."""

    async def find_delivered(self, message: OutboundMessage, since: datetime) -> SendReceipt | None:
        """The receipt of ``message`` (found by its ``delivery_key``) if it was posted after
        ``since``, else None."""
        ...


@runtime_checkable
class WindowedSender(Protocol):
    """A :class:`Sender` whose platform takes free-form messages only within ``reply_window`` of
    the user's last message (WhatsApp's customer-service window); the dispatcher marks messages
    sent later ``outside_reply_window``."""

    reply_window: timedelta


class DeskDirectory(Protocol):
    """Tells whether a person is a member of the desk channel on their platform."""

    async def is_desk_member(self, user: UserRef) -> bool: ...


class AnswerFinder(Protocol):
    """Matches a question against the FAQ (implemented by the knowledge base)."""

    def match(self, text: str, lang: str | None = None) -> MatchResult: ...

    def rebuild(self, entries: Sequence[FaqEntry], thresholds: MatchThresholds | None = None) -> None: ...


@runtime_checkable
class CalibratingFinder(AnswerFinder, Protocol):
    """An :class:`AnswerFinder` that fits its own decision thresholds to the FAQ it is given.

    ``kind`` names what decides (e.g. ``lexical`` or ``semantic:<model>``): thresholds fitted for
    one kind do not fit another. ``fit_thresholds`` uses ``labelled`` questions (``(text,
    expected entry id or "escalate")``) when there are enough, else questions simulated from the
    FAQ itself; it may take seconds and does not change the thresholds in use.
    """

    @property
    def kind(self) -> str: ...

    def fit_thresholds(
        self,
        labelled: Sequence[tuple[str, str]] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> MatchThresholds: ...

    def set_thresholds(self, thresholds: MatchThresholds) -> None: ...

    def prepare(self, text: str) -> None:
        """Do the costly part of matching ``text`` ahead (off the event loop, outside any
        transaction); :meth:`match` then finds it done."""

    def is_prepared(self, text: str) -> bool:
        """Whether :meth:`prepare` would have nothing to do for ``text`` (cheap; on the loop)."""


class EmbeddingStore(Protocol):
    """Phrasing embeddings kept in the database, keyed by model id and text key (a hash of the
    normalised text), so a restart or another process never encodes an unchanged FAQ again."""

    def load(self, model_id: str, keys: Sequence[str]) -> dict[str, bytes]: ...

    def save(self, model_id: str, vectors: Mapping[str, bytes]) -> None: ...


class UserRepository(Protocol):
    def get(self, platform: str, user_id: str) -> UserRecord | None: ...
    def add(self, user: UserRecord) -> UserRecord: ...


class ConversationRepository(Protocol):
    def get(self, platform: str, chat_id: str, user_id: str) -> Conversation | None: ...
    def add(self, conversation: Conversation) -> Conversation: ...
    def for_ticket(self, ticket_id: int) -> Conversation | None: ...


class TicketRepository(Protocol):
    def add(self, ticket: Ticket) -> Ticket: ...
    def get(self, ticket_id: int) -> Ticket | None: ...
    def by_desk_thread(self, platform: str, chat_id: str, thread_id: str) -> Ticket | None: ...
    def open_for_requester(self, platform: str, user_id: str) -> list[Ticket]: ...
    def list_open(self) -> list[Ticket]: ...
    def list_created_between(self, start: datetime, end: datetime) -> list[Ticket]: ...
    def add_event(self, event: TicketEvent) -> None: ...
    def events(self, ticket_id: int) -> list[TicketEvent]: ...
    def events_for(self, ticket_ids: Iterable[int]) -> dict[int, list[TicketEvent]]: ...
    def resolved_between(self, start: datetime, end: datetime) -> list[Ticket]: ...


class MessageRepository(Protocol):
    def seen_event(self, platform: str, event_id: str) -> bool: ...
    def add(self, message: StoredMessage) -> StoredMessage: ...
    def ticket_for_platform_message(self, platform: str, chat_id: str, message_id: str) -> int | None: ...
    def for_ticket(self, ticket_id: int, limit: int = 50) -> list[StoredMessage]: ...
    def last_inbound_at(self, platform: str, chat_id: str) -> datetime | None: ...


class OutboxRepository(Protocol):
    def add(self, item: OutboxItem) -> OutboxItem: ...
    def get(self, item_id: int) -> OutboxItem | None: ...
    def by_receipt(self, platform: str, message_id: str) -> OutboxItem | None: ...
    def due(
        self, now: datetime, platforms: Iterable[str], limit: int = 50, chat_ids: Iterable[str] | None = None
    ) -> list[OutboxItem]: ...
    def claim(self, item_id: int, until: datetime, now: datetime | None = None) -> bool: ...
    def status_counts(self) -> dict[str, dict[str, int]]: ...
    def take(self, item_id: int, worker: str, until: datetime, now: datetime) -> bool: ...
    def queued(
        self,
        platforms: Iterable[str],
        now: datetime,
        limit: int = 500,
        chat_ids: Iterable[str] | None = None,
        also: Iterable[int] = (),
    ) -> list[QueuedDelivery]: ...
    def take_many(self, item_ids: Iterable[int], worker: str, until: datetime, now: datetime) -> set[int]: ...
    def get_many(self, item_ids: Iterable[int]) -> dict[int, OutboxItem]: ...
    def attempts_of(self, item_ids: Iterable[int]) -> dict[int, list[DeliveryAttempt]]: ...
    def renew(self, item_ids: Iterable[int], worker: str, until: datetime) -> int: ...
    def oldest_pending(self, platform: str, chat_ids: Iterable[str] | None = None) -> OutboxItem | None: ...
    def release_outage_waits(self, platform: str, now: datetime) -> int: ...
    def pending_count(self, platform: str) -> int: ...
    def card_pending(self, ticket_id: int) -> bool: ...
    def start_attempt(self, attempt: DeliveryAttempt) -> DeliveryAttempt: ...
    def attempts(self, item_id: int) -> list[DeliveryAttempt]: ...
    def health(self, platform: str) -> DeliveryHealth | None: ...
    def note_failure(self, platform: str, now: datetime, error: str) -> DeliveryHealth: ...
    def note_success(self, platform: str, now: datetime) -> DeliveryHealth | None: ...
    def mark_alerted(self, platform: str, since: datetime, now: datetime) -> bool: ...
    def take_probe(self, platform: str, now: datetime, every: timedelta) -> bool: ...


class FaqRepository(Protocol):
    def all(self) -> list[FaqEntry]: ...
    def get(self, entry_id: str) -> FaqEntry | None: ...
    def put(self, entry: FaqEntry, author: str, note: str = "") -> FaqEntry: ...
    def delete(self, entry_id: str, author: str, note: str = "") -> bool: ...
    def history(self, entry_id: str) -> list[FaqVersion]: ...
    def revision(self) -> int: ...
    def get_setting(self, key: str) -> Any: ...
    def set_setting(self, key: str, value: Any) -> None: ...


class AuditRepository(Protocol):
    def add(self, entry: AuditEntry) -> None: ...
    def recent(self, limit: int = 50) -> list[AuditEntry]: ...


class JobRunRepository(Protocol):
    """Claims of scheduled work (a recap period, a reminder step), once per (job, key) across processes."""

    def claim(
        self,
        job: str,
        key: str,
        now: datetime,
        *,
        owner: str = "",
        stale_after: timedelta | None = None,
        detail: dict[str, Any] | None = None,
    ) -> bool: ...
    def finish(self, job: str, key: str, now: datetime, detail: dict[str, Any] | None = None) -> None: ...
    def release(self, job: str, key: str) -> None: ...
    def claimed_at(self, job: str, key: str) -> datetime | None: ...
    def is_done(self, job: str, key: str) -> bool: ...
    def claimed_keys(self, job: str, keys: Iterable[str]) -> set[str]: ...
    def hold_lease(self, name: str, holder: str, now: datetime, seconds: float) -> bool: ...
    def drop_lease(self, name: str, holder: str) -> None: ...


class DraftRepository(Protocol):
    """FAQ entries proposed by specialists (:mod:`bot.faq_admin.drafts`)."""

    def add(self, draft: FaqDraft) -> FaqDraft: ...
    def get(self, draft_id: int) -> FaqDraft | None: ...
    def pending(self) -> list[FaqDraft]: ...
    def for_ticket(self, ticket_id: int) -> list[FaqDraft]: ...


class PrivacyRepository(Protocol):
    """A person's data: gathered for them, erased at their request, purged after retention."""

    def personal_data(self, platform: str, user_id: str) -> PersonalData: ...
    def erase(self, platform: str, user_id: str, pseudonym: str) -> dict[str, int]: ...
    def purge_before(self, cutoff: datetime) -> dict[str, int]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository; ``commit`` or it rolls back on exit."""

    users: UserRepository
    conversations: ConversationRepository
    tickets: TicketRepository
    messages: MessageRepository
    outbox: OutboxRepository
    faq: FaqRepository
    audit: AuditRepository
    jobs: JobRunRepository
    drafts: DraftRepository
    privacy: PrivacyRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def lock(self, key: str) -> None:
        """Hold ``key`` until this transaction ends: another unit of work locking the same key, in
        any process, waits (one conversation's events never interleave)."""
        ...

    def lock_all(self, keys: Sequence[str]) -> None:
        """:meth:`lock` every one of ``keys``, in one statement and in a fixed order (two units of
        work locking overlapping sets never wait for each other in a circle)."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work."""

    def __call__(self) -> UnitOfWork: ...


class DuplicateEventError(Exception):
    """Raised by ``MessageRepository.add`` when an inbound event id was already stored (a platform
    redelivery, or the same event racing in another worker). The engine drops the event."""


class StatusPages(Protocol):
    """What the web servers answer on ``GET /healthz`` and ``GET /metrics``."""

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details as JSON); may query the database: call it off the event loop."""
        ...

    def metrics(self) -> tuple[bytes, str]:
        """The Prometheus text page and its content type; may query the database."""
        ...


class Lease(Protocol):
    """Something only one process may do at a time (polling Telegram); kept in the database."""

    async def hold(self) -> bool:
        """Take or renew the lease; True when this process holds it now."""
        ...

    async def release(self) -> None:
        """Give it up at once (a clean shutdown)."""
        ...


class Channel(Protocol):
    """A chat platform connection (Telegram, Slack): receives events and sends messages."""

    platform: str
    sender: Sender
    directory: DeskDirectory | None

    async def start(self, sink: EventSink) -> None:
        """Begin receiving events and feeding them to ``sink`` (returns once started)."""
        ...

    async def stop(self) -> None:
        """Stop receiving; release connections."""
        ...
