"""The user's side of the conversation: the entry point for a user's event, commands, and text
routed by the conversation's state.

The steps live beside this module, one idea each: :mod:`~bot.conversation.context` (the event
being handled), :mod:`~bot.conversation.escalation` (triage, tickets, incidents, relay) and
:mod:`~bot.conversation.answers` (FAQ answers, choices, buttons, rating).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.conversation.answers import AnswerSteps
from bot.core.language import detect_language
from bot.core.records import Conversation, ConversationState, Ticket, TicketStatus
from bot.core.types import (
    ButtonPress,
    Event,
    InboundMessage,
    OutboundMessage,
)
from bot.engine import ticket_states
from bot.security.redaction import redact_secrets

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn

MAX_QUESTION_CHARS = 4000


class UserSide:
    """Decides what to say to a user, given their conversation state."""

    def __init__(self, engine: HelpdeskEngine):
        self.engine = engine

    # ---------------------------------------------------------------------------- entry point
    async def handle(self, turn: Turn, event: Event) -> None:
        """Route one user event by kind and conversation state."""
        user = self.engine.user_record(turn, event.sender)
        conv = turn.uow.conversations.get(event.address.platform, event.address.chat_id, event.sender.user_id)
        if conv is None:
            conv = turn.uow.conversations.add(
                Conversation(
                    event.address.platform, event.address.chat_id, event.sender.user_id, updated_at=turn.now
                )
            )
        first_contact = user.language is None
        asking = conv.state in (
            ConversationState.IDLE,
            ConversationState.AWAITING_FEEDBACK,
            ConversationState.CLARIFYING,
            ConversationState.AWAITING_RATING,
        )
        if isinstance(event, InboundMessage) and not user.language_fixed and asking and not event.command:
            # Only a new question can change the language: triage answers and relayed messages
            # often quote English error texts in an Indonesian conversation.
            user.language = detect_language(event.text, user.language or self.engine.config.default_language)
        if user.language is None:
            user.language = self.engine.config.default_language
        ctx = UserEventTurn(self.engine, turn, event, user, conv)
        conv.updated_at = turn.now
        handler = self.engine.text_states.get(conv.state)
        if handler is not None and isinstance(event, InboundMessage) and not event.command:
            await handler(turn, event, conv)
        elif isinstance(event, ButtonPress):
            await ctx.on_button(event)
        elif event.command:
            await ctx.on_command(event.command.lower(), event.text.strip(), first_contact)
        else:
            await ctx.on_text(event, first_contact)


class UserEventTurn(AnswerSteps):
    """A user's event: commands, and text routed by the conversation's state."""

    async def on_command(self, command: str, args: str, first_contact: bool) -> None:
        if command == "start":
            self.say(self.t("greeting", name=self.event.sender.label))
        elif command == "help":
            self.say(self.t("help"))
        elif command == "lang":
            self.set_language(args)
        elif command == "status":
            self.show_status()
        elif command == "cancel":
            self.cancel()
        elif command == "ticket":
            await self.start_escalation(args or self.conv.context.get("question", ""), reason="asked")
        else:
            self.say(self.t("unknown_command", command=command))

    def set_language(self, args: str) -> None:
        choice = args.strip().lower()[:2]
        if choice not in ("id", "en"):
            self.say(self.t("lang_usage"))
            return
        self.user.language = choice
        self.user.language_fixed = True
        self.lang = choice
        self.say(self.t("lang_set"))

    def show_status(self) -> None:
        tickets = self.turn.uow.tickets.open_for_requester(
            self.event.sender.platform, self.event.sender.user_id
        )
        if not tickets:
            self.say(self.t("status_none"))
            return
        lines = [self.t("status_header")]
        for ticket in tickets:
            owner = ticket.owner_name or self.t("status_waiting_owner")
            lines.append(
                self.t(
                    "status_line",
                    number=ticket.number,
                    subject=ticket.subject[:60],
                    status=self.t(f"status_{ticket.status}"),
                    owner=owner,
                )
            )
        self.say("\n".join(lines))

    def cancel(self) -> None:
        state = self.conv.state
        ticket = self.current_ticket()
        if state == ConversationState.WITH_SPECIALIST and ticket is not None and ticket.is_open:
            ticket_states.close(
                self.turn, ticket, self.event.sender.key, "cancelled", "cancelled by requester"
            )
            self.turn.send(
                OutboundMessage(
                    self.engine.desk_thread(ticket),
                    self.engine.t(self.engine.desk_lang, "desk_cancelled", number=ticket.number),
                ),
                purpose="desk",
                ticket_id=ticket.id,
            )
            self.engine.update_card(self.turn, ticket)
            self.reset()
            self.say(self.t("cancelled_ticket", number=ticket.number))
        elif state in (ConversationState.IDLE,):
            self.say(self.t("nothing_to_cancel"))
        else:
            self.reset()
            self.say(self.t("cancelled"))

    async def on_text(self, event: InboundMessage, first_contact: bool) -> None:
        text, had_secret = redact_secrets(event.text.strip())
        if had_secret:
            self.say(self.t("secret_removed"))
        if not text and not event.attachments:
            self.say(self.t("empty_message"))
            return
        if any(a.kind == "unsupported" for a in event.attachments):
            self.say(self.t("media_not_supported"))
            return
        state = self.conv.state
        if state == ConversationState.WITH_SPECIALIST:
            ticket = self.current_ticket()
            if ticket is not None and ticket.is_open:
                self.relay_to_desk(ticket, text, event)
                return
            if ticket is not None and _reopens_on_reply(ticket, self.turn.now):
                self.reopen_by_reply(ticket, text, event)  # closed for want of a reply: this is it
                return
            self.reset()
        if event.attachments:
            self.say(self.t("attachment_not_now"))
            if not text:
                return
        if len(text) > MAX_QUESTION_CHARS:
            self.say(self.t("too_long", limit=MAX_QUESTION_CHARS))
            return
        if state == ConversationState.TRIAGE:
            await self.on_triage_answer(text)
            return
        if state == ConversationState.AWAITING_RATING and text.strip() in {"1", "2", "3", "4", "5"}:
            ticket = self.current_ticket()
            if ticket is not None:
                self.rate(ticket, int(text.strip()), "")
                return
        await self.new_question(text, first_contact)


def _reopens_on_reply(ticket: Ticket, now: datetime) -> bool:
    """A ticket closed automatically for want of the user's reply, recently enough to reopen."""
    if ticket.status != TicketStatus.CLOSED or not ticket.context.get("auto_closed"):
        return False
    until = ticket.context.get("reopen_until")
    return until is None or now <= datetime.fromisoformat(str(until))
