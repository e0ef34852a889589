"""Initial schema: users, conversations, tickets and their events, messages, outbox, audit log,
FAQ entries with their versions and revision counter, run-time settings.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01

Later features add their tables in their own migrations (``down_revision = "0001_initial"`` or a
later revision of their own branch); ``storage.database.upgrade`` applies every head.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _str(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    """Create every table of the first version."""
    op.create_table(
        "users",
        _id(),
        _str("platform"),
        _str("user_id"),
        _str("display_name"),
        _str("language", nullable=True),
        sa.Column("language_fixed", sa.Boolean(), nullable=False),
        _str("role"),
        _ts("created_at"),
        sa.UniqueConstraint("platform", "user_id", name="uq_users_platform_user"),
    )

    op.create_table(
        "tickets",
        _id(),
        _str("requester_platform"),
        _str("requester_id"),
        _str("requester_name"),
        _str("user_chat_id"),
        _str("subject"),
        _str("language"),
        _str("category"),
        _str("priority"),
        _str("status"),
        _str("owner", nullable=True),
        _str("owner_name", nullable=True),
        _str("faq_entry_id", nullable=True),
        sa.Column("faq_version", sa.Integer(), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        _str("desk_platform", nullable=True),
        _str("desk_chat_id", nullable=True),
        _str("desk_thread_id", nullable=True),
        _str("desk_card_message_id", nullable=True),
        sa.Column("context", JSON, nullable=False),
        _ts("created_at"),
        _ts("escalated_at"),
        _ts("first_response_at"),
        _ts("resolved_at"),
        _ts("closed_at"),
        _ts("updated_at"),
        sa.Column("rating", sa.Integer(), nullable=True),
        _str("resolution", nullable=True),
        sa.Column("sla_breached", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_tickets_status", "tickets", ["status"])
    op.create_index("ix_tickets_requester", "tickets", ["requester_platform", "requester_id"])
    op.create_index("ix_tickets_desk_thread", "tickets", ["desk_platform", "desk_chat_id", "desk_thread_id"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])

    op.create_table(
        "conversations",
        _id(),
        _str("platform"),
        _str("chat_id"),
        _str("user_id"),
        _str("state"),
        sa.Column("context", JSON, nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True),
        _ts("updated_at"),
        sa.UniqueConstraint("platform", "chat_id", "user_id", name="uq_conversations_platform_chat_user"),
    )
    op.create_index("ix_conversations_ticket_id", "conversations", ["ticket_id"])

    op.create_table(
        "ticket_events",
        _id(),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        _str("kind"),
        _str("actor"),
        sa.Column("detail", JSON, nullable=False),
        _ts("at"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])

    op.create_table(
        "messages",
        _id(),
        _str("direction"),
        _str("platform"),
        _str("chat_id"),
        _str("thread_id", nullable=True),
        _str("user_id", nullable=True),
        _str("text"),
        _str("platform_message_id", nullable=True),
        _str("event_id", nullable=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True),
        _ts("at"),
    )
    op.create_index(
        "uq_messages_inbound_event",
        "messages",
        ["platform", "event_id"],
        unique=True,
        sqlite_where=sa.text("direction = 'in'"),
        postgresql_where=sa.text("direction = 'in'"),
    )
    op.create_index("ix_messages_platform_message", "messages", ["platform", "chat_id", "platform_message_id"])
    op.create_index("ix_messages_ticket_id", "messages", ["ticket_id"])

    op.create_table(
        "outbox",
        _id(),
        _str("platform"),
        _str("chat_id"),
        _str("thread_id", nullable=True),
        sa.Column("payload", JSON, nullable=False),
        _str("purpose"),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True),
        _str("status"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        _str("last_error", nullable=True),
        _str("receipt_message_id", nullable=True),
        _str("receipt_thread_id", nullable=True),
        _ts("created_at"),
        _ts("sent_at"),
    )
    op.create_index("ix_outbox_status_next_attempt", "outbox", ["status", "next_attempt_at"])

    op.create_table(
        "audit_log",
        _id(),
        _str("actor"),
        _str("action"),
        _str("target"),
        sa.Column("detail", JSON, nullable=False),
        _ts("at"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])

    op.create_table(
        "faq_entries",
        sa.Column("entry_id", sa.String(), primary_key=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _ts("updated_at"),
    )

    op.create_table(
        "faq_versions",
        _id(),
        _str("entry_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        _str("author"),
        _str("note"),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _ts("at"),
        sa.UniqueConstraint("entry_id", "version", name="uq_faq_versions_entry_version"),
    )

    faq_meta = op.create_table(
        "faq_meta",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.bulk_insert(faq_meta, [{"id": 1, "revision": 0}])

    op.create_table(
        "settings_kv",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", JSON, nullable=True),
        _ts("updated_at"),
    )


def downgrade() -> None:
    """Drop every table of the first version."""
    for table in (
        "settings_kv",
        "faq_meta",
        "faq_versions",
        "faq_entries",
        "audit_log",
        "outbox",
        "messages",
        "ticket_events",
        "conversations",
        "tickets",
        "users",
    ):
        op.drop_table(table)
