"""What one event's handling may touch (:class:`Turn`), the engine's settings, and the shapes of
the handlers features register with the engine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from bot.core.ports import UnitOfWork
from bot.core.records import AuditEntry, Conversation, OutboxItem, Ticket, TicketEvent
from bot.core.types import ButtonPress, ChannelAddress, Event, InboundMessage, OutboundMessage, UserRef
from bot.core.wire import message_to_payload

CommandHandler = Callable[["Turn", InboundMessage], Awaitable[None]]
ButtonHandler = Callable[["Turn", ButtonPress], Awaitable[None]]
TextStateHandler = Callable[["Turn", InboundMessage, "Conversation"], Awaitable[None]]


@dataclass(frozen=True)
class EngineConfig:
    """What the engine needs to know about this desk (built by the composition root)."""

    desk: ChannelAddress
    default_language: str = "id"
    admins: frozenset[str] = frozenset()
    specialists: frozenset[str] = frozenset()
    note_prefix: str = "!"
    first_response_minutes: Mapping[str, int] = field(
        default_factory=lambda: {"urgent": 15, "high": 60, "normal": 240, "low": 480}
    )
    # Desks on other platforms whose members are specialists too (a console desk is local).
    trust_console_desk: bool = True


class Turn:
    """What one event may touch: the unit of work, the time, and the outbox writer."""

    def __init__(self, uow: UnitOfWork, now: datetime):
        self.uow = uow
        self.now = now
        self.sent = 0
        self._greetings: dict[ChannelAddress, str] = {}

    def greet(self, address: ChannelAddress, text: str) -> None:
        """Open the next plain message to ``address`` with ``text`` (a first-contact greeting):
        one message instead of two, and one delivery less per new user when many arrive at once.
        Sent alone by :meth:`finish` if no such message follows."""
        self._greetings[address] = text

    def finish(self) -> None:
        """Send what is still waiting to be said (see :meth:`greet`); the engine calls it last."""
        while self._greetings:
            address, text = self._greetings.popitem()
            self.send(OutboundMessage(address, text))

    def send(
        self,
        message: OutboundMessage,
        *,
        purpose: str = "plain",
        ticket_id: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Queue ``message`` in the outbox, in this event's transaction."""
        if self._greetings and _takes_greeting(message):
            greeting = self._greetings.pop(message.address, None)
            if greeting:
                message = replace(message, text=f"{greeting}\n\n{message.text}")
        payload = message_to_payload(message)
        if meta:
            payload["meta"] = meta
        self.uow.outbox.add(
            OutboxItem(
                platform=message.address.platform,
                chat_id=message.address.chat_id,
                thread_id=message.address.thread_id,
                payload=payload,
                purpose=purpose,
                ticket_id=ticket_id,
                created_at=self.now,
            )
        )
        self.sent += 1

    def event(self, ticket: Ticket, kind: str, actor: str = "", **detail: Any) -> None:
        """Append a line to ``ticket``'s history."""
        assert ticket.id is not None
        self.uow.tickets.add_event(TicketEvent(ticket.id, kind, actor, detail, self.now))

    def audit(self, actor: UserRef, action: str, target: str = "", **detail: Any) -> None:
        """Record a privileged action."""
        self.uow.audit.add(AuditEntry(actor.key, action, target, detail, self.now))


def _takes_greeting(message: OutboundMessage) -> bool:
    """Whether ``message`` is a new plain text a greeting can open (not an edit, reaction, picture,
    thread opener or message shown to one person only)."""
    return bool(
        message.text
        and message.edit_message_id is None
        and message.reaction is None
        and message.image is None
        and message.thread_title is None
        and message.ephemeral_user_id is None
    )


class EventRoute(Protocol):
    """One side of the conversation (the user's or the desk's) that the engine routes events to."""

    async def handle(self, turn: Turn, event: Event) -> None:
        """Decide what ``event`` means and queue the replies through ``turn``."""
