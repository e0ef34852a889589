"""Every message in and out (deduplicated by the platform's event id)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from bot.core.ports import (
    DuplicateEventError,
)
from bot.core.records import (
    StoredMessage,
)
from storage.repositories.base import SqlRepository
from storage.tables import (
    MessageRow,
    as_utc,
)


class SqlMessageRepository(SqlRepository):
    """``MessageRepository``: every message in and out."""

    def seen_event(self, platform: str, event_id: str) -> bool:
        """Whether an inbound event ``event_id`` from ``platform`` is stored already."""
        self._uow.sync()
        stmt = select(MessageRow.id).where(
            MessageRow.platform == platform, MessageRow.event_id == event_id, MessageRow.direction == "in"
        )
        return self._session.scalars(stmt.limit(1)).first() is not None

    def add(self, message: StoredMessage) -> StoredMessage:
        """Insert ``message``; raises ``DuplicateEventError`` for an inbound event id stored already.

        An inbound event is inserted with ``ON CONFLICT DO NOTHING`` on its unique index: one
        statement both checks and inserts, a racing redelivery waits for the first one's
        transaction and then inserts nothing, and the unit of work stays usable after the error.
        """
        if message.direction != "in" or not message.event_id:
            # Nobody needs its id at once (a delivered reply, a message without an event id): it
            # is inserted with the others at the next write-back, one statement for them all.
            return self._insert_later(message)
        if not self._insert_with(message, _inbound_insert(self._session.get_bind().dialect.name)):
            raise DuplicateEventError(f"{message.platform}:{message.event_id}")
        return message

    def ticket_for_platform_message(self, platform: str, chat_id: str, message_id: str) -> int | None:
        """The ticket of the stored message (in or out) ``message_id`` in ``chat_id``."""
        self._uow.sync()
        stmt = (
            select(MessageRow.ticket_id)
            .where(
                MessageRow.platform == platform,
                MessageRow.chat_id == chat_id,
                MessageRow.platform_message_id == message_id,
                col(MessageRow.ticket_id).is_not(None),
            )
            .order_by(col(MessageRow.id).desc())
            .limit(1)
        )
        return self._session.scalars(stmt).first()

    def last_inbound_at(self, platform: str, chat_id: str) -> datetime | None:
        """When the last message from ``chat_id`` on ``platform`` arrived (None: never)."""
        self._uow.sync()
        stmt = (
            select(MessageRow.at)
            .where(
                MessageRow.platform == platform, MessageRow.chat_id == chat_id, MessageRow.direction == "in"
            )
            .order_by(col(MessageRow.id).desc())
            .limit(1)
        )
        return as_utc(self._session.scalars(stmt).first())

    def for_ticket(self, ticket_id: int, limit: int = 50) -> list[StoredMessage]:
        """The last ``limit`` messages of ``ticket_id``, oldest first."""
        newest = self._records(
            StoredMessage,
            select(MessageRow)
            .where(MessageRow.ticket_id == ticket_id)
            .order_by(col(MessageRow.id).desc())
            .limit(limit),
        )
        return newest[::-1]


_INBOUND_INSERTS: dict[str, Any] = {}


def _inbound_insert(dialect: str) -> Any:
    """``INSERT INTO messages ... ON CONFLICT (platform, event_id) WHERE direction = 'in' DO
    NOTHING RETURNING id`` for ``dialect`` (built once)."""
    found = _INBOUND_INSERTS.get(dialect)
    if found is None:
        table = MessageRow.__table__  # type: ignore[attr-defined]
        module: Any = postgresql if dialect == "postgresql" else sqlite
        found = (
            module.insert(table)
            .on_conflict_do_nothing(
                index_elements=["platform", "event_id"], index_where=text("direction = 'in'")
            )
            .returning(table.c.id)
        )
        _INBOUND_INSERTS[dialect] = found
    return found
