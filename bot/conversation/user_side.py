"""The user's side of the conversation: the entry point for a user's event, commands, and text
routed by the conversation's state.

The steps live beside this module, one idea each: :mod:`~bot.conversation.context` (the event
being handled), :mod:`~bot.conversation.escalation` (triage, tickets, incidents, relay) and
:mod:`~bot.conversation.answers` (FAQ answers, choices, buttons, rating).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.conversation import privacy
from bot.conversation.answers import AnswerSteps
from bot.conversation.context import REDACTION_TOLD
from bot.core.language import detect_language
from bot.core.records import Conversation, ConversationState, Ticket, TicketStatus
from bot.core.types import (
    Button,
    ButtonPress,
    Event,
    InboundMessage,
    OutboundMessage,
)
from bot.engine import ticket_states
from bot.security.redaction import Redaction, redact

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn

MAX_QUESTION_CHARS = 4000
# States in which a reported security incident interrupts the flow.
INTERRUPTIBLE = (ConversationState.TRIAGE, ConversationState.CLARIFYING)
# Set in the conversation's context while /forget waits for its confirmation.
FORGET_ASKED = "forget_asked"


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
        elif isinstance(event, ButtonPress) and event.action == "forget":
            ctx.on_forget_button(event)
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
        elif command == "mydata":
            self.show_my_data()
        elif command == "forget":
            self.ask_to_forget()
        elif command == "ticket":
            await self.start_escalation(args or self.conv.context.get("question", ""), reason="asked")
        else:
            self.say(self.t("unknown_command", command=command))

    def show_my_data(self) -> None:
        """``/mydata``: what is stored about the user, as a message."""
        sender = self.event.sender
        data = privacy.export_audited(self.turn, sender, sender)
        prefix = "/helpdesk " if self.event.address.platform == "slack" else "/"
        self.say(privacy.summary(data, self.lang, prefix))

    def ask_to_forget(self) -> None:
        """``/forget``: ask first; the buttons confirm or keep."""
        self.conv.context = {**self.conv.context, FORGET_ASKED: True}
        self.say(
            self.t("forget_confirm"),
            (
                Button(self.t("btn_forget_yes"), "forget", "yes"),
                Button(self.t("btn_forget_no"), "forget", "no"),
            ),
        )

    def on_forget_button(self, press: ButtonPress) -> None:
        """The answer to ``/forget``'s question (only the person who asked, and only once)."""
        if not self.conv.context.get(FORGET_ASKED):
            self.say(self.t("button_expired"))
            return
        self.conv.context = {k: v for k, v in self.conv.context.items() if k != FORGET_ASKED}
        if press.value != "yes":
            self.replace_pressed(press.message_id, self.t("forget_kept"))
            return
        counts = privacy.forget(self.engine, self.turn, press.sender, press.sender)
        self.reset()
        self.say(self.t("forget_done", messages=counts.get("messages", 0), tickets=counts.get("tickets", 0)))

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
        redaction = redact(event.text.strip())
        text = redaction.text
        if redaction.changed:
            self.tell_redaction(redaction)
        if not text and not event.attachments:
            self.say(self.t("empty_message"))
            return
        if any(a.kind == "unsupported" for a in event.attachments):
            self.say(self.t("media_not_supported"))
            return
        state = self.conv.state
        # Every message is checked for a security incident, whatever the state: a new question
        # checks it itself (below); these states would otherwise take it as something else.
        incident = (
            self.detect_incident(text, mid_flow=True)
            if text and state in (ConversationState.WITH_SPECIALIST, *INTERRUPTIBLE)
            else None
        )
        if state == ConversationState.WITH_SPECIALIST:
            ticket = self.current_ticket()
            if ticket is not None and ticket.is_open:
                self.relay_to_desk(ticket, text, event)
                if incident is not None:
                    self.raise_to_incident(ticket, incident)
                return
            if ticket is not None and _reopens_on_reply(ticket, self.turn.now):
                self.reopen_by_reply(ticket, text, event)  # closed for want of a reply: this is it
                if incident is not None:
                    self.raise_to_incident(ticket, incident)
                return
            self.reset()
            incident = None  # the new question below checks it
        if incident is not None and state in INTERRUPTIBLE:
            # The incident interrupts the triage questions or the choices: first aid, desk alerted.
            ticket = self.current_ticket()
            reusable = ticket is not None and ticket.status == TicketStatus.ANSWERED
            self.remember("user", text)
            await self.security_incident(text, incident, ticket if reusable else None)
            return
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

    def tell_redaction(self, redaction: Redaction) -> None:
        """Say why part of the message was removed, once in a conversation."""
        if self.conv.context.get(REDACTION_TOLD):
            return
        parts = []
        if redaction.had_secret:
            parts.append(self.t("secret_removed"))
        if redaction.had_personal_data:
            parts.append(self.t("personal_data_removed"))
        self.say("\n".join(parts))
        self.conv.context = {**self.conv.context, REDACTION_TOLD: True}


def _reopens_on_reply(ticket: Ticket, now: datetime) -> bool:
    """A ticket closed automatically for want of the user's reply, recently enough to reopen."""
    if ticket.status != TicketStatus.CLOSED or not ticket.context.get("auto_closed"):
        return False
    until = ticket.context.get("reopen_until")
    return until is None or now <= datetime.fromisoformat(str(until))
