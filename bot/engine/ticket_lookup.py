"""Which ticket a desk message is about: an explicit ``#12``, the thread it is in, or the message it
replies to."""

from __future__ import annotations

import re

from bot.core.records import Ticket
from bot.core.types import InboundMessage
from bot.engine.turn import Turn

TICKET_REF = re.compile(r"^\s*#?(\d+)\b\s*")


def find_ticket(turn: Turn, event: InboundMessage, text: str) -> tuple[Ticket | None, str]:
    """The ticket an event is about: an explicit ``#12`` on a command, the thread, or the reply."""
    uow = turn.uow
    if event.command:
        match = TICKET_REF.match(text)
        if match:
            return uow.tickets.get(int(match.group(1))), text[match.end() :]
    address = event.address
    if address.thread_id:
        ticket = uow.tickets.by_desk_thread(address.platform, address.chat_id, address.thread_id)
        if ticket is not None:
            return ticket, text
    if event.reply_to_id:
        ticket_id = uow.messages.ticket_for_platform_message(
            address.platform, address.chat_id, event.reply_to_id
        )
        if ticket_id is not None:
            return uow.tickets.get(ticket_id), text
    return None, text
