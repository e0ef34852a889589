"""One user event being handled: the shared state and small helpers every step of the user's
conversation uses (what to say, where, in which language; the conversation's state and ticket)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.core.records import Conversation, ConversationState, Ticket, TicketStatus, UserRecord
from bot.core.types import Button, Event, InboundMessage, MatchResult, OutboundMessage
from bot.security.redaction import redact_secrets

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn

TRANSCRIPT_KEEP = 20
# Set in a conversation's context once the user was told why part of a message was removed.
REDACTION_TOLD = "redaction_told"


class UserTurn:
    """One user event being handled (keeps the call sites short)."""

    def __init__(
        self, engine: HelpdeskEngine, turn: Turn, event: Event, user: UserRecord, conv: Conversation
    ):
        self.engine = engine
        self.turn = turn
        self.event = event
        self.user = user
        self.conv = conv
        self.lang: str = user.language or engine.config.default_language
        self.address = event.address.without_thread() if event.address.platform == "slack" else event.address
        if isinstance(event, InboundMessage) and not event.is_direct:
            self.address = event.address  # a mention in a channel is answered in its thread
        self._matches: dict[tuple[str, str], MatchResult] = {}

    def match(self, text: str) -> MatchResult:
        """The FAQ's match for ``text`` in the user's language, computed once per event (incident
        detection and the answer both ask)."""
        key = (text, self.lang)
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = self.engine.faq.match(text, self.lang)
        return found

    def t(self, key: str, **fields: Any) -> str:
        # Commands are "/ticket" on most platforms but "/helpdesk ticket" on Slack.
        prefix = "/helpdesk " if self.event.address.platform == "slack" else "/"
        return self.engine.t(self.lang, key, c=prefix, **fields)

    def say(self, text: str, buttons: tuple[Button, ...] = (), **kw: Any) -> None:
        self.turn.send(OutboundMessage(self.address, text, buttons), **kw)

    def replace_pressed(self, message_id: str, text: str) -> None:
        """Replace a message whose buttons were pressed, so they cannot be pressed twice."""
        if message_id:
            self.turn.send(OutboundMessage(self.address, text, edit_message_id=message_id))

    def remember(self, who: str, text: str) -> None:
        transcript = list(self.conv.context.get("transcript", []))
        transcript.append([who, text[:300]])
        self.conv.context = {**self.conv.context, "transcript": transcript[-TRANSCRIPT_KEEP:]}

    def set_state(self, state: ConversationState, **context: Any) -> None:
        self.conv.state = state
        keep = {
            key: self.conv.context[key] for key in ("transcript", REDACTION_TOLD) if key in self.conv.context
        }
        self.conv.context = {**keep, **context}

    def reset(self) -> None:
        self.conv.state = ConversationState.IDLE
        self.conv.context = {}
        self.conv.ticket_id = None

    def current_ticket(self) -> Ticket | None:
        if self.conv.ticket_id is None:
            return None
        return self.turn.uow.tickets.get(self.conv.ticket_id)

    def own_ticket(self, value: str) -> Ticket | None:
        """The ticket a button refers to, if it belongs to this user."""
        ticket_id = value.split(":", 1)[0]
        if not (ticket_id.isascii() and ticket_id.isdigit()):
            return None
        ticket = self.turn.uow.tickets.get(int(ticket_id))
        sender = self.event.sender
        if (
            ticket is None
            or ticket.requester_platform != sender.platform
            or ticket.requester_id != sender.user_id
        ):
            return None
        return ticket

    def open_ticket(self, subject: str, *, category: str, status: TicketStatus, **fields: Any) -> Ticket:
        """A new ticket of the sender's; ``fields``: more of its columns, set in its INSERT."""
        sender = self.event.sender
        subject, _ = redact_secrets(subject)
        ticket = self.turn.uow.tickets.add(
            Ticket(
                requester_platform=sender.platform,
                requester_id=sender.user_id,
                requester_name=sender.label,
                user_chat_id=self.address.chat_id,
                subject=subject[:500],
                language=self.lang,
                category=category,
                status=status,
                created_at=self.turn.now,
                updated_at=self.turn.now,
                **fields,
            )
        )
        self.turn.event(ticket, "created", sender.key)
        return ticket
