"""Console channel: a user's chat and the specialists' desk in two terminals, no tokens needed.

Both sides talk to the same database. Each process delivers only the outbox rows addressed to its
own console chat, so a reply decided in the desk process is printed by the chat process.
Buttons are shown as numbered choices; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.ports import EventSink
from bot.core.types import (
    Button,
    ButtonPress,
    ChannelAddress,
    InboundMessage,
    OutboundMessage,
    SendReceipt,
    UserRef,
)

CONSOLE = "console"
DESK_CHAT_ID = "desk"
_COMMAND = re.compile(r"^/(\w+)(?:@\S+)?\s*(.*)$", re.DOTALL)
_DESK_TICKET_LINE = re.compile(r"^#(\d+)\s+(.*)$", re.DOTALL)


def user_chat_id(name: str) -> str:
    """The console chat id of user ``name``."""
    return f"user-{name}"


@dataclass
class _Shown:
    message_id: str
    buttons: tuple[Button, ...]


class ConsoleSender:
    """Prints messages addressed to this terminal's chat; implements ``Sender``."""

    platform = CONSOLE

    def __init__(self, chat_id: str, write: Callable[[str], None] | None = None):
        self.chat_id = chat_id
        self._write = write or (lambda text: print(text, flush=True))
        self._ids = itertools.count(1)
        self.last_buttons: _Shown | None = None

    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Print ``message`` (buttons as numbered choices)."""
        message_id = f"c{uuid.uuid4().hex[:10]}"
        prefix = ""
        if message.address.thread_id and self.chat_id == DESK_CHAT_ID:
            prefix = f"[{message.address.thread_id}] "
        if message.edit_message_id:
            prefix += "(update) "
        if message.reaction and message.reply_to_id:
            prefix += "✓ "
        lines = [prefix + message.text]
        for attachment in message.attachments:
            lines.append(f"  [attachment: {attachment.kind} {attachment.name or attachment.file_id}]")
        if message.image:
            lines.append(f"  [image: {len(message.image)} bytes]")
        if message.buttons:
            lines.append("  " + "  ".join(f"[{n}] {b.label}" for n, b in enumerate(message.buttons, 1)))
            self.last_buttons = _Shown(message_id, message.buttons)
        self._write("\n".join(lines))
        return SendReceipt(message.address, message_id)

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt:
        """Console threads are just labels: the ticket number from the title."""
        thread_id = title.split(" ", 1)[0]
        receipt = await self.send(OutboundMessage(where.in_thread(thread_id), first.text, first.buttons))
        return SendReceipt(where.in_thread(thread_id), receipt.message_id)


def parse_line(
    line: str,
    sender: UserRef,
    address: ChannelAddress,
    shown: _Shown | None,
    desk: bool,
) -> InboundMessage | ButtonPress | None:
    """Turn one typed line into the event it stands for."""
    text = line.strip()
    event_id = uuid.uuid4().hex
    if not text:
        return None
    if shown is not None and text.isascii() and text.isdigit() and 1 <= int(text) <= len(shown.buttons):
        button = shown.buttons[int(text) - 1]
        return ButtonPress(address, sender, button.action, button.value, shown.message_id, event_id)
    command_match = _COMMAND.match(text)
    if command_match:
        return InboundMessage(
            address,
            sender,
            command_match.group(2),
            event_id,
            True,
            None,
            command_match.group(1).lower(),
            event_id,
        )
    if desk:
        ticket_match = _DESK_TICKET_LINE.match(text)
        if ticket_match is None:
            return None
        number, rest = ticket_match.groups()
        command = "reply"
        if rest.startswith("!"):
            command, rest = "note", rest[1:].strip()
        return InboundMessage(address, sender, f"{number} {rest}", event_id, True, None, command, event_id)
    return InboundMessage(address, sender, text, event_id, True, None, None, event_id)


DESK_HINT = (
    "Desk commands: '#12 your reply' answers the user of ticket 12, '#12 !note' is an internal note,\n"
    "/claim 12, /resolve 12 summary, /priority 12 high, /tickets, /help. Numbers press the last buttons."
)


async def read_lines() -> str | None:
    """One line from stdin without blocking the event loop; None at end of input."""
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return line if line else None


async def console_loop(
    sink: EventSink,
    sender: ConsoleSender,
    user: UserRef,
    desk: bool,
    read: Callable[[], Awaitable[str | None]] = read_lines,
    write: Callable[[str], None] | None = None,
) -> None:
    """Read lines until end of input, turning each into an event for ``sink``."""
    out = write or (lambda text: print(text, flush=True))
    address = ChannelAddress(CONSOLE, sender.chat_id)
    while True:
        line = await read()
        if line is None:
            return
        if line.strip() in ("/quit", "/exit"):
            return
        event = parse_line(line, user, address, sender.last_buttons, desk)
        if event is None:
            if desk and line.strip():
                out(DESK_HINT)
            continue
        if isinstance(event, ButtonPress):
            sender.last_buttons = None
        await sink.handle(event)
