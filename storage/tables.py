"""SQLModel tables for the records in :mod:`bot.core.records` (same field names) plus the FAQ tables.

Timestamps are stored as ``DateTime(timezone=True)`` through :class:`UTCDateTime`, which always
hands back timezone-aware UTC values (SQLite keeps no offset; the values are stored as UTC there).
JSON columns use ``JSON`` (``JSONB`` on PostgreSQL).

The schema itself is created by the alembic migrations in ``storage/migrations``; a later feature
that adds tables puts them in its own ``storage/tables_<feature>.py`` module (picked up by the
migration environment) and ships its own migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

JSON_TYPE: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


def as_utc(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (a naive value is taken to be UTC already)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that stores UTC and always returns aware UTC datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; SQLite gets the naive UTC wall time (it cannot store an offset)."""
        value = as_utc(value)
        if value is not None and dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to naive values coming back from SQLite."""
        return as_utc(value)


def _json(nullable: bool = False) -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON_TYPE, nullable=nullable))


def _ts() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class UserRow(SQLModel, table=True):
    """:class:`bot.core.records.UserRecord`."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_users_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    user_id: str
    display_name: str = ""
    language: str | None = None
    language_fixed: bool = False
    role: str = "user"
    created_at: datetime | None = _ts()


class TicketRow(SQLModel, table=True):
    """:class:`bot.core.records.Ticket`."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_requester", "requester_platform", "requester_id"),
        Index("ix_tickets_desk_thread", "desk_platform", "desk_chat_id", "desk_thread_id"),
        Index("ix_tickets_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    requester_platform: str
    requester_id: str
    requester_name: str
    user_chat_id: str
    subject: str
    language: str = "id"
    category: str = "other"
    priority: str = "normal"
    status: str = "open"
    owner: str | None = None
    owner_name: str | None = None
    faq_entry_id: str | None = None
    faq_version: int | None = None
    escalated: bool = False
    desk_platform: str | None = None
    desk_chat_id: str | None = None
    desk_thread_id: str | None = None
    desk_card_message_id: str | None = None
    context: dict[str, Any] = _json()
    created_at: datetime | None = _ts()
    escalated_at: datetime | None = _ts()
    first_response_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    rating: int | None = None
    resolution: str | None = None
    sla_breached: bool = False


class ConversationRow(SQLModel, table=True):
    """:class:`bot.core.records.Conversation`."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "user_id", name="uq_conversations_platform_chat_user"),
        Index("ix_conversations_ticket_id", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    user_id: str
    state: str = "idle"
    context: dict[str, Any] = _json()
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    updated_at: datetime | None = _ts()


class TicketEventRow(SQLModel, table=True):
    """:class:`bot.core.records.TicketEvent`."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id", "ticket_id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    kind: str
    actor: str = ""
    detail: dict[str, Any] = _json()
    at: datetime | None = _ts()


class MessageRow(SQLModel, table=True):
    """:class:`bot.core.records.StoredMessage`.

    An inbound event id is unique per platform (a partial unique index over inbound rows; NULL
    event ids never collide), which is what turns a racing redelivery into
    :class:`bot.core.ports.DuplicateEventError`.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index(
            "uq_messages_inbound_event",
            "platform",
            "event_id",
            unique=True,
            sqlite_where=text("direction = 'in'"),
            postgresql_where=text("direction = 'in'"),
        ),
        Index("ix_messages_platform_message", "platform", "chat_id", "platform_message_id"),
        Index("ix_messages_ticket_id", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    direction: str
    platform: str
    chat_id: str
    thread_id: str | None = None
    user_id: str | None = None
    text: str = ""
    platform_message_id: str | None = None
    event_id: str | None = None
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    at: datetime | None = _ts()


class OutboxRow(SQLModel, table=True):
    """:class:`bot.core.records.OutboxItem`."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_platform_status", "platform", "status", "id"),
        Index("ix_outbox_receipt", "platform", "receipt_message_id"),
        Index("ix_outbox_chat_queue", "status", "platform", "chat_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    thread_id: str | None = None
    payload: dict[str, Any] = _json()
    purpose: str = "plain"
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = _ts()
    last_error: str | None = None
    receipt_message_id: str | None = None
    receipt_thread_id: str | None = None
    created_at: datetime | None = _ts()
    sent_at: datetime | None = _ts()
    claimed_by: str | None = None
    outage_wait: bool = False


class DeliveryAttemptRow(SQLModel, table=True):
    """:class:`bot.core.records.DeliveryAttempt`."""

    __tablename__ = "outbox_attempts"
    __table_args__ = (UniqueConstraint("outbox_id", "attempt", name="uq_outbox_attempts_attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", index=True)
    attempt: int
    worker: str
    started_at: datetime | None = _ts()
    outcome: str = "sending"
    finished_at: datetime | None = _ts()
    detail: str = ""


class DeliveryHealthRow(SQLModel, table=True):
    """:class:`bot.core.records.DeliveryHealth`."""

    __tablename__ = "delivery_health"

    platform: str = Field(primary_key=True)
    failing_since: datetime | None = _ts()
    last_failure_at: datetime | None = _ts()
    last_probe_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    alerted_at: datetime | None = _ts()
    last_error: str = ""


class AuditRow(SQLModel, table=True):
    """:class:`bot.core.records.AuditEntry`."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    actor: str
    action: str
    target: str = ""
    detail: dict[str, Any] = _json()
    at: datetime | None = _ts()


class FaqEntryRow(SQLModel, table=True):
    """The current state of one FAQ entry (``data`` is the entry in its YAML form)."""

    __tablename__ = "faq_entries"

    entry_id: str = Field(primary_key=True)
    data: dict[str, Any] = _json()
    version: int = 1
    deleted: bool = False
    updated_at: datetime | None = _ts()


class FaqVersionRow(SQLModel, table=True):
    """:class:`bot.core.records.FaqVersion`: every stored version of every entry."""

    __tablename__ = "faq_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_faq_versions_entry_version"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str
    version: int
    data: dict[str, Any] = _json()
    author: str = ""
    note: str = ""
    deleted: bool = False
    at: datetime | None = _ts()


class FaqMetaRow(SQLModel, table=True):
    """One row (``id`` 1) whose ``revision`` grows on every FAQ or setting change."""

    __tablename__ = "faq_meta"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    revision: int = 0


class SettingRow(SQLModel, table=True):
    """Run-time settings (JSON values) changed from chat, e.g. matcher thresholds."""

    __tablename__ = "settings_kv"

    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_column=Column(JSON_TYPE, nullable=True))
    updated_at: datetime | None = _ts()
