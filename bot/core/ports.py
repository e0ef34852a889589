"""Ports: the interfaces the core needs from the outside world (typing.Protocol)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from bot.core.records import (
    AuditEntry,
    Conversation,
    FaqDraft,
    FaqVersion,
    OutboxItem,
    StoredMessage,
    Ticket,
    TicketEvent,
    UserRecord,
)
from bot.core.types import (
    ChannelAddress,
    Event,
    FaqEntry,
    MatchResult,
    MatchThresholds,
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


class Sender(Protocol):
    """Delivers outbound messages on one platform. Raises ``DeliveryError`` on failure."""

    platform: str

    async def send(self, message: OutboundMessage) -> SendReceipt: ...

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt: ...


class DeskDirectory(Protocol):
    """Tells whether a person is a member of the desk channel on their platform."""

    async def is_desk_member(self, user: UserRef) -> bool: ...


class AnswerFinder(Protocol):
    """Matches a question against the FAQ (implemented by the knowledge base)."""

    def match(self, text: str, lang: str | None = None) -> MatchResult: ...

    def rebuild(self, entries: Sequence[FaqEntry], thresholds: MatchThresholds | None = None) -> None: ...


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


class OutboxRepository(Protocol):
    def add(self, item: OutboxItem) -> OutboxItem: ...
    def get(self, item_id: int) -> OutboxItem | None: ...
    def due(
        self, now: datetime, platforms: Iterable[str], limit: int = 50, chat_ids: Iterable[str] | None = None
    ) -> list[OutboxItem]: ...
    def claim(self, item_id: int, until: datetime, now: datetime | None = None) -> bool: ...


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


class DraftRepository(Protocol):
    """FAQ entries proposed by specialists (:mod:`bot.faq_admin.drafts`)."""

    def add(self, draft: FaqDraft) -> FaqDraft: ...
    def get(self, draft_id: int) -> FaqDraft | None: ...
    def pending(self) -> list[FaqDraft]: ...
    def for_ticket(self, ticket_id: int) -> list[FaqDraft]: ...


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

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work."""

    def __call__(self) -> UnitOfWork: ...


class DuplicateEventError(Exception):
    """Raised by ``MessageRepository.add`` when an inbound event id was already stored (a redelivery
    that raced past ``seen_event``). The engine drops the event."""


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
