"""Where a ticket changes state: every status transition of a ticket, with the fields and the
history line that go with it.

The user's side, the desk side and the jobs decide *when* a ticket moves; the functions here say
*what* moving means, so a transition is the same wherever it is triggered::

    answered ──solved──▶ self_service
        │
        └─escalate──▶ open ──claim──▶ claimed ──relay to user──▶ waiting_user ──user replies──▶ claimed
                        │                │                                  │
                        └────────────────┴──resolve──▶ resolved             └─follow-up timeout──▶ closed
                                                          │                         (auto-closed)
                              cancel (requester) ──▶ closed ◀──────────────┘
                              reopen (button, or a reply after auto-close) ──▶ claimed / open
"""

from __future__ import annotations

from typing import Any

from bot.core.records import Priority, Ticket, TicketStatus
from bot.engine.turn import Turn

# Where a ticket keeps the stretches it waited on the user: [[start_iso, end_iso or None], ...].
SLA_PAUSES = "sla_pauses"


def _open_or_claimed(ticket: Ticket) -> TicketStatus:
    return TicketStatus.CLAIMED if ticket.owner else TicketStatus.OPEN


def mark_self_service(turn: Turn, ticket: Ticket, actor: str) -> None:
    """The user said the FAQ answer solved it."""
    ticket.status = TicketStatus.SELF_SERVICE
    ticket.resolved_at = turn.now
    ticket.resolution = f"FAQ {ticket.faq_entry_id}"
    turn.event(ticket, "self_solved", actor)


def escalate(turn: Turn, ticket: Ticket, priority: str) -> None:
    """Hand the ticket to the specialists with ``priority`` (the caller records why)."""
    ticket.status = TicketStatus.OPEN
    ticket.escalated = True
    ticket.escalated_at = turn.now
    ticket.priority = priority


def claim(turn: Turn, ticket: Ticket, owner: str, owner_name: str, **detail: Any) -> None:
    """``owner`` takes the ticket (an open one becomes claimed; a claimed one changes hands)."""
    previous = ticket.owner_name
    ticket.owner = owner
    ticket.owner_name = owner_name
    if ticket.status == TicketStatus.OPEN:
        ticket.status = TicketStatus.CLAIMED
    ticket.updated_at = turn.now
    turn.event(ticket, "claimed", owner, previous=previous, **detail)


def _pause_sla(turn: Turn, ticket: Ticket) -> None:
    """The ticket now waits on the user: its SLA clock stops (a stretch in ``sla_pauses``)."""
    pauses = [list(p) for p in ticket.context.get(SLA_PAUSES, [])]
    if pauses and pauses[-1][1] is None:
        return
    pauses.append([turn.now.isoformat(), None])
    ticket.context = {**ticket.context, SLA_PAUSES: pauses}


def _resume_sla(turn: Turn, ticket: Ticket) -> None:
    """The ticket no longer waits on the user: the open pause ends now."""
    pauses = [list(p) for p in ticket.context.get(SLA_PAUSES, [])]
    if not pauses or pauses[-1][1] is not None:
        return
    pauses[-1][1] = turn.now.isoformat()
    ticket.context = {**ticket.context, SLA_PAUSES: pauses}


def wait_for_user(turn: Turn, ticket: Ticket) -> None:
    """A specialist answered the user: the first response is stamped and the ball is with the user
    (the SLA clock pauses until the user replies)."""
    if ticket.first_response_at is None:
        ticket.first_response_at = turn.now
    ticket.status = TicketStatus.WAITING_USER
    ticket.updated_at = turn.now
    _pause_sla(turn, ticket)


def user_replied(turn: Turn, ticket: Ticket) -> bool:
    """The user wrote on a ticket waiting for them: back with the specialist, the SLA clock runs
    again. True when it moved."""
    if ticket.status != TicketStatus.WAITING_USER:
        return False
    ticket.status = _open_or_claimed(ticket)
    _resume_sla(turn, ticket)
    return True


def resolve(turn: Turn, ticket: Ticket, actor: str, actor_name: str, summary: str) -> None:
    """A specialist resolved the ticket (and owns it from now on if nobody did)."""
    if ticket.owner is None:
        ticket.owner = actor
        ticket.owner_name = actor_name
    _resume_sla(turn, ticket)
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = turn.now
    ticket.updated_at = turn.now
    ticket.resolution = summary.strip()[:2000] or None
    turn.event(ticket, "resolved", actor, summary=ticket.resolution)


def close(turn: Turn, ticket: Ticket, actor: str, kind: str, resolution: str, **context: Any) -> None:
    """Close the ticket without a resolution by a specialist (``kind``: cancelled, auto_closed)."""
    _resume_sla(turn, ticket)
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = turn.now
    ticket.updated_at = turn.now
    ticket.resolution = resolution
    if context:
        ticket.context = {**ticket.context, **context}
    turn.event(ticket, kind, actor)


def reopen(turn: Turn, ticket: Ticket, actor: str, *, by_reply: bool = False) -> None:
    """Reopen a resolved or closed ticket; ``by_reply``: the user answered after an auto-close."""
    ticket.status = _open_or_claimed(ticket)
    ticket.closed_at = None
    if by_reply:
        ticket.resolution = None
        ticket.context = {k: v for k, v in ticket.context.items() if k not in ("auto_closed", "reopen_until")}
        turn.event(ticket, "reopened", actor, by="reply")
    else:
        ticket.resolved_at = None
        turn.event(ticket, "reopened", actor)


def raise_to_incident(turn: Turn, ticket: Ticket, kind: str, actor: str) -> None:
    """A security incident reported on a ticket already with the desk: URGENT, category security."""
    previous = ticket.priority
    ticket.priority = Priority.URGENT
    ticket.category = "security"
    ticket.updated_at = turn.now
    turn.event(ticket, "security", actor, incident=kind, previous_priority=previous)
