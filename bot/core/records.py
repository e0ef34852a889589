"""Entities the core keeps in storage (mutable records, unlike the wire value types).

Storage maps each to a table with the same field names; the engine reads and changes them inside
a unit of work and the unit of work writes them back on commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What a person may do."""

    USER = "user"
    SPECIALIST = "specialist"
    ADMIN = "admin"


class ConversationState(StrEnum):
    """Where a user's conversation stands (DESIGN.md section 5)."""

    IDLE = "idle"
    AWAITING_FEEDBACK = "awaiting_feedback"
    CLARIFYING = "clarifying"
    TRIAGE = "triage"
    WITH_SPECIALIST = "with_specialist"
    AWAITING_RATING = "awaiting_rating"


class TicketStatus(StrEnum):
    """A ticket's life."""

    ANSWERED = "answered"  # the bot answered from the FAQ; waiting for the user's feedback
    OPEN = "open"  # escalated, waiting for a specialist
    CLAIMED = "claimed"  # a specialist owns it
    WAITING_USER = "waiting_user"  # a specialist asked the user something
    RESOLVED = "resolved"  # a specialist resolved it
    SELF_SERVICE = "self_service"  # the FAQ answer solved it ("solved" pressed)
    CLOSED = "closed"  # closed without resolution (cancelled, silent, auto-closed)


OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.CLAIMED, TicketStatus.WAITING_USER)


class Priority(StrEnum):
    """Ticket priority; ``urgent`` is used for security incidents."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class OutboxStatus(StrEnum):
    """Delivery state of one outbound message."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass
class UserRecord:
    """A person the helpdesk knows, per platform identity."""

    platform: str
    user_id: str
    display_name: str = ""
    language: str | None = None
    language_fixed: bool = False  # chosen with /lang: do not re-detect
    role: str = Role.USER
    created_at: datetime | None = None
    id: int | None = None


@dataclass
class Conversation:
    """State and context of one user's conversation in one chat."""

    platform: str
    chat_id: str
    user_id: str
    state: str = ConversationState.IDLE
    context: dict[str, Any] = field(default_factory=dict)
    ticket_id: int | None = None
    updated_at: datetime | None = None
    id: int | None = None


@dataclass
class Ticket:
    """One problem a user brought, from first question to resolution."""

    requester_platform: str
    requester_id: str
    requester_name: str
    user_chat_id: str  # where the requester talks to the bot
    subject: str
    language: str = "id"
    category: str = "other"
    priority: str = Priority.NORMAL
    status: str = TicketStatus.OPEN
    owner: str | None = None  # specialist key platform:user_id
    owner_name: str | None = None
    faq_entry_id: str | None = None
    faq_version: int | None = None
    escalated: bool = False
    desk_platform: str | None = None
    desk_chat_id: str | None = None
    desk_thread_id: str | None = None
    desk_card_message_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)  # triage answers, candidates, attachments
    created_at: datetime | None = None
    escalated_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    rating: int | None = None
    resolution: str | None = None
    sla_breached: bool = False
    id: int | None = None

    @property
    def number(self) -> str:
        """The number people quote: ``#42``."""
        return f"#{self.id}"

    @property
    def is_open(self) -> bool:
        """Still waiting for someone."""
        return self.status in OPEN_STATUSES


@dataclass
class TicketEvent:
    """One line of a ticket's history."""

    ticket_id: int
    kind: str  # created, answered, escalated, claimed, relayed, note, resolved, reopened, csat, ...
    actor: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    id: int | None = None


@dataclass
class StoredMessage:
    """Every inbound and outbound message, for the record and for routing replies."""

    direction: str  # "in" or "out"
    platform: str
    chat_id: str
    thread_id: str | None
    user_id: str | None
    text: str
    platform_message_id: str | None = None
    event_id: str | None = None
    ticket_id: int | None = None
    at: datetime | None = None
    id: int | None = None


@dataclass
class OutboxItem:
    """An outbound message waiting for delivery (or delivered, or finally failed).

    ``purpose`` tells the dispatcher what a delivery means for the ticket: ``card`` (record the
    desk thread and card message), ``relay`` (a specialist's reply: mark delivered or failed in the
    desk), ``desk`` (a post in the ticket's desk thread; the thread is filled in at delivery time
    when the card was not delivered yet), or ``plain``.
    """

    platform: str
    chat_id: str
    thread_id: str | None
    payload: dict[str, Any]
    purpose: str = "plain"
    ticket_id: int | None = None
    status: str = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    receipt_message_id: str | None = None
    receipt_thread_id: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    claimed_by: str | None = None
    outage_wait: bool = False
    id: int | None = None


class AttemptOutcome(StrEnum):
    """How one delivery attempt of an outbox item ended."""

    SENDING = "sending"  # started; a worker that dies here leaves the outcome uncertain
    SENT = "sent"
    TEMPORARY = "temporary"  # a temporary error: retried later
    PERMANENT = "permanent"  # a permanent error: the item failed
    UNCERTAIN = "uncertain"  # the worker died between sending and recording
    FOUND_SENT = "found_sent"  # uncertain, and the platform showed it had been delivered


@dataclass
class DeliveryAttempt:
    """One try at delivering an outbox item, by one worker."""

    outbox_id: int
    attempt: int
    worker: str
    started_at: datetime
    outcome: str = AttemptOutcome.SENDING
    finished_at: datetime | None = None
    detail: str = ""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class QueuedDelivery:
    """What the dispatcher needs to know of a pending outbox row to pick the heads of chat queues
    (a few columns, read without loading the whole row)."""

    id: int
    platform: str
    chat_id: str
    next_attempt_at: datetime | None
    claimed_by: str | None


@dataclass
class DeliveryHealth:
    """How deliveries to one platform are going, shared by every worker.

    ``failing_since`` is set by the first temporary failure after a success and cleared by the next
    success; ``alerted_at`` says the desk was told of that outage (once, by one worker).
    """

    platform: str
    failing_since: datetime | None = None
    last_failure_at: datetime | None = None
    last_probe_at: datetime | None = None
    last_success_at: datetime | None = None
    alerted_at: datetime | None = None
    last_error: str = ""


@dataclass
class AuditEntry:
    """A privileged action, who did it and what it changed."""

    actor: str
    action: str
    target: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    id: int | None = None


@dataclass
class FaqVersion:
    """One stored version of an FAQ entry (the entry as it was, with author and time)."""

    entry_id: str
    version: int
    data: dict[str, Any]  # the entry in its YAML form
    author: str = ""
    note: str = ""
    deleted: bool = False
    at: datetime | None = None
    id: int | None = None


class DraftStatus(StrEnum):
    """Where a draft stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass
class FaqDraft:
    """A proposed FAQ entry in one language, waiting for an admin (``id`` is its number)."""

    question: str
    answer: str
    language: str = "id"
    category: str = "other"
    entry_id: str = ""  # the id the entry will get (suggested, editable)
    status: str = DraftStatus.PENDING
    ticket_id: int | None = None
    proposed_by: str = ""  # platform:user_id
    proposed_by_name: str = ""
    decided_by: str | None = None
    decision_note: str = ""  # rejection reason, or the entry and version created
    created_at: datetime | None = None
    decided_at: datetime | None = None
    id: int | None = None

    @property
    def number(self) -> str:
        """The number people quote: ``D3``."""
        return f"D{self.id}"

    @property
    def is_pending(self) -> bool:
        """Still waiting for an admin."""
        return self.status == DraftStatus.PENDING


@dataclass
class PersonalData:
    """Everything stored about one person (what ``/mydata`` and ``helpdesk privacy export`` show)."""

    platform: str
    user_id: str
    profile: UserRecord | None
    conversations: list[Conversation]
    tickets: list[Ticket]
    events: dict[int, list[TicketEvent]]
    messages: list[StoredMessage]


ERASED = "[erased]"
"""What an erased or purged text reads afterwards."""
