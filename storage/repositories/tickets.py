"""Tickets and their history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, select

from bot.core.records import (
    OPEN_STATUSES,
    Ticket,
    TicketEvent,
)
from storage.repositories.base import SqlRepository
from storage.tables import (
    TicketEventRow,
    TicketRow,
)


class SqlTicketRepository(SqlRepository):
    """``TicketRepository``: tickets and their history."""

    def add(self, ticket: Ticket) -> Ticket:
        """Insert ``ticket``; sets ``id`` (its number) and returns it."""
        return self._insert(ticket)

    def get(self, ticket_id: int) -> Ticket | None:
        """Ticket ``ticket_id``, if it exists."""
        return self._by_id(Ticket, ticket_id)

    def by_desk_thread(self, platform: str, chat_id: str, thread_id: str) -> Ticket | None:
        """The ticket whose desk thread is ``thread_id`` in desk chat ``chat_id``."""
        return self._first(
            Ticket,
            select(TicketRow)
            .where(
                TicketRow.desk_platform == platform,
                TicketRow.desk_chat_id == chat_id,
                TicketRow.desk_thread_id == thread_id,
            )
            .order_by(col(TicketRow.id).desc()),
        )

    def open_for_requester(self, platform: str, user_id: str) -> list[Ticket]:
        """The requester's open tickets (status in ``OPEN_STATUSES``), oldest first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(
                TicketRow.requester_platform == platform,
                TicketRow.requester_id == user_id,
                col(TicketRow.status).in_([str(s) for s in OPEN_STATUSES]),
            )
            .order_by(col(TicketRow.id)),
        )

    def list_open(self) -> list[Ticket]:
        """Every open ticket, oldest first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(col(TicketRow.status).in_([str(s) for s in OPEN_STATUSES]))
            .order_by(col(TicketRow.id)),
        )

    def list_created_between(self, start: datetime, end: datetime) -> list[Ticket]:
        """Tickets created in ``[start, end)``, oldest first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(col(TicketRow.created_at) >= start, col(TicketRow.created_at) < end)
            .order_by(col(TicketRow.created_at), col(TicketRow.id)),
        )

    def add_event(self, event: TicketEvent) -> None:
        """Append ``event`` to its ticket's history (written, and ``event.id`` set, with the unit of
        work's next query of the history or its commit, together with the other rows added)."""
        self._insert_later(event)

    def events(self, ticket_id: int) -> list[TicketEvent]:
        """The history of ``ticket_id``, oldest first."""
        return self._records(
            TicketEvent,
            select(TicketEventRow)
            .where(TicketEventRow.ticket_id == ticket_id)
            .order_by(col(TicketEventRow.id)),
        )

    def events_for(self, ticket_ids: Iterable[int]) -> dict[int, list[TicketEvent]]:
        """The histories of many tickets at once (for reports and jobs), each oldest first."""
        wanted = sorted(set(ticket_ids))
        found: dict[int, list[TicketEvent]] = {ticket_id: [] for ticket_id in wanted}
        for i in range(0, len(wanted), 500):
            stmt = (
                select(TicketEventRow)
                .where(col(TicketEventRow.ticket_id).in_(wanted[i : i + 500]))
                .order_by(col(TicketEventRow.id))
            )
            for event in self._records(TicketEvent, stmt):
                found[event.ticket_id].append(event)
        return found

    def resolved_between(self, start: datetime, end: datetime) -> list[Ticket]:
        """Tickets whose ``resolved_at`` is in ``[start, end)``, oldest resolution first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(col(TicketRow.resolved_at) >= start, col(TicketRow.resolved_at) < end)
            .order_by(col(TicketRow.resolved_at), col(TicketRow.id)),
        )
