"""A person's data: gathered for them, erased at their request, purged after the retention period.

Erasing keeps what the recaps count (a ticket's category, priority, status, times, rating and FAQ
entry) under a pseudonym that cannot be traced back, and blanks every text the person wrote or was
sent, their name and their chats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import and_, col, or_, select

from bot.core.records import (
    ERASED,
    OPEN_STATUSES,
    AuditEntry,
    Conversation,
    ConversationState,
    OutboxItem,
    PersonalData,
    StoredMessage,
    Ticket,
    TicketEvent,
    UserRecord,
)
from storage.repositories.base import SqlRepository
from storage.tables import (
    AuditRow,
    ConversationRow,
    MessageRow,
    OutboxRow,
    TicketEventRow,
    TicketRow,
    UserRow,
)

# What a ticket keeps in its context after erasure: figures, no texts.
_KEPT_CONTEXT = ("sla_pauses", "reason", "auto_closed")
# Ticket history details that carry text someone wrote.
_TEXT_DETAILS = ("summary", "text", "note", "subject", "question", "answer")
# Outbox payload fields that carry text.
_TEXT_PAYLOAD = ("text", "thread_title")


def _erase_payload(payload: dict[str, Any]) -> dict[str, Any]:
    erased = dict(payload)
    for key in _TEXT_PAYLOAD:
        if erased.get(key):
            erased[key] = ERASED
    if erased.get("attachments"):
        erased["attachments"] = []
    return erased


class SqlPrivacyRepository(SqlRepository):
    """``PrivacyRepository`` over the SQL tables."""

    # ------------------------------------------------------------------------------ gathering
    def _tickets_of(self, platform: str, user_id: str) -> list[Ticket]:
        return self._records(
            Ticket,
            select(TicketRow)
            .where(TicketRow.requester_platform == platform, TicketRow.requester_id == user_id)
            .order_by(col(TicketRow.id)),
        )

    def _conversations_of(self, platform: str, user_id: str) -> list[Conversation]:
        return self._records(
            Conversation,
            select(ConversationRow)
            .where(ConversationRow.platform == platform, ConversationRow.user_id == user_id)
            .order_by(col(ConversationRow.id)),
        )

    def _messages_of(
        self, platform: str, user_id: str, chats: set[str], ticket_ids: list[int]
    ) -> list[StoredMessage]:
        conditions: list[ColumnElement[bool]] = [col(MessageRow.user_id) == user_id]
        if chats:
            conditions.append(col(MessageRow.chat_id).in_(sorted(chats)))
        if ticket_ids:
            conditions.append(col(MessageRow.ticket_id).in_(ticket_ids))
        return self._records(
            StoredMessage,
            select(MessageRow)
            .where(MessageRow.platform == platform, or_(*conditions))
            .order_by(col(MessageRow.id)),
        )

    def _events_of(self, ticket_ids: list[int]) -> dict[int, list[TicketEvent]]:
        found: dict[int, list[TicketEvent]] = {ticket_id: [] for ticket_id in ticket_ids}
        if not ticket_ids:
            return found
        stmt = (
            select(TicketEventRow)
            .where(col(TicketEventRow.ticket_id).in_(ticket_ids))
            .order_by(col(TicketEventRow.id))
        )
        for event in self._records(TicketEvent, stmt):
            found[event.ticket_id].append(event)
        return found

    def personal_data(self, platform: str, user_id: str) -> PersonalData:
        """Everything stored about ``platform``/``user_id``."""
        profile = self._first(
            UserRecord, select(UserRow).where(UserRow.platform == platform, UserRow.user_id == user_id)
        )
        conversations = self._conversations_of(platform, user_id)
        tickets = self._tickets_of(platform, user_id)
        ticket_ids = [t.id for t in tickets if t.id is not None]
        chats = {c.chat_id for c in conversations} | {t.user_chat_id for t in tickets if t.user_chat_id}
        messages = self._messages_of(platform, user_id, chats, [])
        return PersonalData(
            platform, user_id, profile, conversations, tickets, self._events_of(ticket_ids), messages
        )

    # -------------------------------------------------------------------------------- erasing
    def erase(self, platform: str, user_id: str, pseudonym: str) -> dict[str, int]:
        """Erase ``platform``/``user_id``'s name, texts and chats; their tickets stay, anonymous,
        under ``pseudonym``. Returns how many of each were changed."""
        key = f"{platform}:{user_id}"
        data = self.personal_data(platform, user_id)
        ticket_ids = [t.id for t in data.tickets if t.id is not None]
        chats = {c.chat_id for c in data.conversations} | {
            t.user_chat_id for t in data.tickets if t.user_chat_id
        }
        counts = {"tickets": 0, "events": 0, "messages": 0, "outbox": 0, "conversations": 0, "audit": 0}
        if data.profile is not None:
            data.profile.display_name = ""
        for ticket in data.tickets:
            ticket.requester_id = pseudonym
            ticket.requester_name = ""
            ticket.user_chat_id = ""
            ticket.subject = ERASED
            ticket.resolution = ERASED if ticket.resolution else None
            ticket.context = {k: v for k, v in ticket.context.items() if k in _KEPT_CONTEXT} | {
                "erased": True
            }
            counts["tickets"] += 1
        for events in data.events.values():
            for event in events:
                event.detail = {k: (ERASED if k in _TEXT_DETAILS else v) for k, v in event.detail.items()}
                if event.actor == key:
                    event.actor = pseudonym
                counts["events"] += 1
        for message in self._messages_of(platform, user_id, chats, ticket_ids):
            message.text = ERASED
            if message.user_id == user_id:
                message.user_id = pseudonym
            counts["messages"] += 1
        outbox_conditions: list[ColumnElement[bool]] = []
        if ticket_ids:
            outbox_conditions.append(col(OutboxRow.ticket_id).in_(ticket_ids))
        if chats:
            outbox_conditions.append(
                and_(col(OutboxRow.platform) == platform, col(OutboxRow.chat_id).in_(sorted(chats)))
            )
        if outbox_conditions:
            for item in self._records(OutboxItem, select(OutboxRow).where(or_(*outbox_conditions))):
                item.payload = _erase_payload(item.payload)
                if item.platform == platform and item.chat_id in chats:
                    item.chat_id = pseudonym
                counts["outbox"] += 1
        for conversation in data.conversations:
            conversation.state = ConversationState.IDLE
            conversation.context = {}
            conversation.ticket_id = None
            counts["conversations"] += 1
        for entry in self._records(AuditEntry, select(AuditRow).where(AuditRow.actor == key)):
            entry.actor = pseudonym
            counts["audit"] += 1
        return counts

    # ------------------------------------------------------------------------------- retention
    def purge_before(self, cutoff: datetime) -> dict[str, int]:
        """Blank the message texts older than ``cutoff`` and the texts of tickets closed before it,
        except in the chats of people who still have a ticket open."""
        open_tickets = self._records(
            Ticket, select(TicketRow).where(col(TicketRow.status).in_([str(s) for s in OPEN_STATUSES]))
        )
        busy_chats = {(t.requester_platform, t.user_chat_id) for t in open_tickets}
        busy_users = {(t.requester_platform, t.requester_id) for t in open_tickets}
        counts = {"messages": 0, "outbox": 0, "tickets": 0}
        messages = self._records(
            StoredMessage,
            select(MessageRow).where(col(MessageRow.at) < cutoff, MessageRow.text != ERASED),
        )
        for message in messages:
            if (message.platform, message.chat_id) in busy_chats or (
                message.platform,
                message.user_id,
            ) in busy_users:
                continue
            message.text = ERASED
            counts["messages"] += 1
        items = self._records(
            OutboxItem,
            select(OutboxRow).where(
                col(OutboxRow.created_at) < cutoff, col(OutboxRow.status).in_(["sent", "failed"])
            ),
        )
        for item in items:
            if (item.platform, item.chat_id) in busy_chats or item.payload.get("text") in (None, ERASED):
                continue
            item.payload = _erase_payload(item.payload)
            counts["outbox"] += 1
        closed = self._records(
            Ticket,
            select(TicketRow).where(
                col(TicketRow.status).not_in([str(s) for s in OPEN_STATUSES]),
                TicketRow.subject != ERASED,
                or_(col(TicketRow.closed_at) < cutoff, col(TicketRow.resolved_at) < cutoff),
            ),
        )
        for ticket in closed:
            ticket.subject = ERASED
            ticket.resolution = ERASED if ticket.resolution else None
            ticket.context = {k: v for k, v in ticket.context.items() if k in _KEPT_CONTEXT} | {
                "purged": True
            }
            counts["tickets"] += 1
        return counts
