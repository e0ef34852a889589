"""The specialists' side: claim, reply (relayed to the user), note, priority, resolve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.core.records import OPEN_STATUSES, ConversationState, Priority, Ticket
from bot.core.types import Button, ButtonPress, Event, InboundMessage, OutboundMessage
from bot.engine import ticket_states
from bot.engine.cards import rating_buttons
from bot.engine.ticket_lookup import find_ticket
from bot.security.redaction import redact

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn

PRIORITIES = tuple(p.value for p in Priority)


class DeskSide:
    """Handles what happens in the desk channel."""

    def __init__(self, engine: HelpdeskEngine):
        self.engine = engine

    def t(self, key: str, **fields: Any) -> str:
        return self.engine.t(self.engine.desk_lang, key, **fields)

    # ---------------------------------------------------------------------------- entry point
    async def handle(self, turn: Turn, event: Event) -> None:
        """Route one desk event; every action is checked against the specialist role here."""
        if isinstance(event, ButtonPress):
            await self.on_button(turn, event)
            return
        # Redacted before it is audited, noted or relayed: specialists paste secrets too.
        text = redact(event.text.strip()).text
        command = (event.command or "").lower()
        if command in ("help", "start"):
            self.reply(turn, event, self.t("desk_help", prefix=self.engine.config.note_prefix))
            return
        if not command and not text and not event.attachments:
            return
        ticket, text = find_ticket(turn, event, text)
        if not command and ticket is None:
            return  # specialists chatting in the desk outside any ticket
        if not await self.engine.is_specialist(event.sender):
            self.refuse(turn, event)
            return
        turn.audit(event.sender, command or "reply", ticket.number if ticket else "", text=text[:200])
        if command == "tickets":
            self.list_open(turn, event)
            return
        if ticket is None:
            self.reply(turn, event, self.t("desk_which_ticket"))
            return
        if command == "claim":
            self.claim(turn, event, ticket)
        elif command == "resolve":
            self.resolve(turn, event, ticket, text)
        elif command == "priority":
            self.set_priority(turn, event, ticket, text.lower())
        elif command == "note" or (not command and text.startswith(self.engine.config.note_prefix)):
            note = text if command == "note" else text[len(self.engine.config.note_prefix) :].strip()
            turn.event(ticket, "note", event.sender.key, text=note[:2000])
        elif command in ("", "reply"):
            self.relay_to_user(turn, event, ticket, text)
        else:
            self.reply(turn, event, self.t("desk_unknown_command", command=command))

    # ---------------------------------------------------------------------------------- reply
    def reply(self, turn: Turn, event: Event, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """Answer in the desk, in the thread the event came from."""
        turn.send(OutboundMessage(event.address, text, buttons))

    def refuse(self, turn: Turn, event: Event) -> None:
        turn.send(
            OutboundMessage(
                event.address, self.t("desk_not_specialist"), ephemeral_user_id=event.sender.user_id
            )
        )

    # -------------------------------------------------------------------------------- actions
    async def on_button(self, turn: Turn, press: ButtonPress) -> None:
        if press.action not in ("claim", "resolve", "prio", "setprio"):
            return
        if not await self.engine.is_specialist(press.sender):
            self.refuse(turn, press)
            return
        ticket_id, _, level = press.value.partition(":")
        ticket = turn.uow.tickets.get(int(ticket_id)) if ticket_id.isascii() and ticket_id.isdigit() else None
        if ticket is None:
            self.reply(turn, press, self.t("desk_no_such_ticket"))
            return
        turn.audit(press.sender, press.action, ticket.number, value=press.value)
        if press.action == "claim":
            self.claim(turn, press, ticket)
        elif press.action == "resolve":
            self.resolve(turn, press, ticket, "")
        elif press.action == "prio":
            buttons = tuple(
                Button(self.t(f"priority_{p}"), "setprio", f"{ticket.id}:{p}") for p in PRIORITIES
            )
            turn.send(
                OutboundMessage(
                    self.engine.desk_thread(ticket),
                    self.t("desk_pick_priority", number=ticket.number),
                    buttons,
                )
            )
        else:
            self.set_priority(turn, press, ticket, level)
            if press.message_id:
                turn.send(
                    OutboundMessage(
                        press.address,
                        self.t("desk_priority_set", number=ticket.number, priority=ticket.priority),
                        edit_message_id=press.message_id,
                    )
                )

    def claim(self, turn: Turn, event: Event, ticket: Ticket) -> None:
        if ticket.status not in OPEN_STATUSES:
            self.reply(turn, event, self.t("desk_ticket_closed", number=ticket.number))
            return
        sender = event.sender
        if ticket.owner == sender.key:
            self.reply(turn, event, self.t("desk_already_yours", number=ticket.number))
            return
        ticket_states.claim(turn, ticket, sender.key, sender.label)
        self.engine.to_thread(turn, ticket, self.t("desk_claimed", number=ticket.number, name=sender.label))
        self.engine.to_user(turn, ticket, "user_claimed", number=ticket.number, name=sender.label)
        self.engine.update_card(turn, ticket)

    def set_priority(self, turn: Turn, event: Event, ticket: Ticket, level: str) -> None:
        level = level.strip()
        if level not in PRIORITIES:
            self.reply(turn, event, self.t("desk_priority_usage", levels=", ".join(PRIORITIES)))
            return
        if ticket.priority == level:
            return
        old = ticket.priority
        ticket.priority = level
        ticket.updated_at = turn.now
        turn.event(ticket, "priority", event.sender.key, old=old, new=level)
        self.engine.update_card(turn, ticket)

    def resolve(self, turn: Turn, event: Event, ticket: Ticket, summary: str) -> None:
        if ticket.status not in OPEN_STATUSES:
            self.reply(turn, event, self.t("desk_ticket_closed", number=ticket.number))
            return
        sender = event.sender
        ticket_states.resolve(turn, ticket, sender.key, sender.label, summary)
        summary_text = (
            self.engine.t(ticket.language, "resolved_summary", summary=ticket.resolution)
            if ticket.resolution
            else ""
        )
        self.engine.to_user(
            turn,
            ticket,
            "user_resolved",
            rating_buttons(ticket)
            + (Button(self.engine.t(ticket.language, "btn_reopen"), "reopen", str(ticket.id)),),
            number=ticket.number,
            name=ticket.owner_name or sender.label,
            summary=summary_text,
        )
        conv = turn.uow.conversations.get(ticket.requester_platform, ticket.user_chat_id, ticket.requester_id)
        if conv is not None and conv.ticket_id == ticket.id:
            conv.state = ConversationState.AWAITING_RATING
            conv.updated_at = turn.now
        self.engine.to_thread(
            turn, ticket, self.t("desk_resolved", number=ticket.number, name=sender.label), close_thread=True
        )
        self.engine.update_card(turn, ticket)

    def relay_to_user(self, turn: Turn, event: InboundMessage, ticket: Ticket, text: str) -> None:
        if ticket.status not in OPEN_STATUSES:
            self.reply(turn, event, self.t("desk_ticket_closed", number=ticket.number))
            return
        if not text and not event.attachments:
            return
        sender = event.sender
        if ticket.owner is None:
            ticket.owner = sender.key
            ticket.owner_name = sender.label
            turn.event(ticket, "claimed", sender.key, auto=True)
        ticket_states.wait_for_user(turn, ticket)
        turn.event(ticket, "relayed", sender.key, direction="to_user", text=text[:2000])
        turn.send(
            OutboundMessage(
                self.engine.user_address(ticket),
                self.engine.t(
                    ticket.language,
                    "relay_from_specialist",
                    name=sender.label,
                    number=ticket.number,
                    text=text,
                ),
                attachments=event.attachments,
            ),
            purpose="relay",
            ticket_id=ticket.id,
            meta={"desk_message_id": event.message_id},
        )
        self.engine.update_card(turn, ticket)

    def list_open(self, turn: Turn, event: Event) -> None:
        tickets = turn.uow.tickets.list_open()
        if not tickets:
            self.reply(turn, event, self.t("desk_no_open"))
            return
        lines = [self.t("desk_open_header", count=len(tickets))]
        for ticket in tickets[:30]:
            lines.append(
                self.t(
                    "desk_open_line",
                    number=ticket.number,
                    priority=ticket.priority,
                    status=self.t(f"status_{ticket.status}"),
                    owner=ticket.owner_name or "-",
                    subject=ticket.subject[:60],
                )
            )
        self.reply(turn, event, "\n".join(lines))
