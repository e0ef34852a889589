"""Users and their conversations (state per user and chat)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from bot.core.records import (
    Conversation,
    UserRecord,
)
from storage.repositories.base import SqlRepository
from storage.tables import (
    ConversationRow,
    UserRow,
)


class SqlUserRepository(SqlRepository):
    """``UserRepository``: people by platform identity."""

    def get(self, platform: str, user_id: str) -> UserRecord | None:
        """The user ``platform``/``user_id``, if known."""
        return self._first_of(UserRecord, "users.get", _user_statement, platform=platform, user_id=user_id)

    def add(self, user: UserRecord) -> UserRecord:
        """Add ``user`` (its row, and ``id``, written with the unit of work's next query or commit)."""
        return self._insert_later(user)


class SqlConversationRepository(SqlRepository):
    """``ConversationRepository``: one conversation per (platform, chat, user)."""

    def get(self, platform: str, chat_id: str, user_id: str) -> Conversation | None:
        """The conversation of ``user_id`` in ``chat_id``, if any."""
        return self._first_of(
            Conversation,
            "conversations.get",
            _conversation_statement,
            platform=platform,
            chat_id=chat_id,
            user_id=user_id,
        )

    def add(self, conversation: Conversation) -> Conversation:
        """Add ``conversation`` (its row, and ``id``, written with the unit of work's next query or
        commit)."""
        return self._insert_later(conversation)

    def for_ticket(self, ticket_id: int) -> Conversation | None:
        """The (most recently changed) conversation attached to ``ticket_id``."""
        return self._first(
            Conversation,
            select(ConversationRow)
            .where(ConversationRow.ticket_id == ticket_id)
            .order_by(col(ConversationRow.id).desc()),
        )


def _user_statement() -> Any:
    table = UserRow.__table__  # type: ignore[attr-defined]
    return select(table).where(
        table.c.platform == bindparam("platform"), table.c.user_id == bindparam("user_id")
    )


def _conversation_statement() -> Any:
    table = ConversationRow.__table__  # type: ignore[attr-defined]
    return select(table).where(
        table.c.platform == bindparam("platform"),
        table.c.chat_id == bindparam("chat_id"),
        table.c.user_id == bindparam("user_id"),
    )
