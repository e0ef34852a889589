"""Slack text and Block Kit, without the SDK: plain text <-> mrkdwn, messages -> blocks.

The engine speaks plain text. Slack's mrkdwn gives ``&``, ``<`` and ``>`` a meaning (entities,
links, mentions), so outbound text is escaped to be shown exactly as written: a user or an FAQ
entry cannot ping ``@channel``, mention someone or forge a link. Inbound text is turned back into
plain text (``&lt;`` -> ``<``, ``<http://x|y>`` -> ``y (http://x)``, ``<!here>`` -> ``@here``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.core.types import Attachment, Button

SECTION_LIMIT = 3000  # characters in one section block's text
TEXT_LIMIT = 39000  # characters in a message's top-level text
BUTTON_LABEL_LIMIT = 75
BUTTONS_PER_BLOCK = 25
ACTION_PREFIX = "helpdesk_"

_SPECIAL = re.compile(r"<([^<>]*)>")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"


def escape_mrkdwn(text: str) -> str:
    """Plain text -> mrkdwn shown as written: ``&<>`` escaped, ``@channel`` and friends defused."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), escaped)


def _plain_special(inner: str) -> str:
    """One ``<...>`` sequence of Slack's markup as plain text."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # a user mention
        return "@" + (label or target[1:])
    if target.startswith("#"):  # a channel link
        return "#" + (label or target[1:])
    if target.startswith("!"):  # @here, @channel, user groups, dates
        if label:
            return label if label.startswith("@") or target.startswith("!date") else "@" + label
        return "@" + target[1:].split("^", 1)[0]
    if label and label != target:
        return f"{label} ({target})"
    return target.removeprefix("mailto:")


def mrkdwn_to_plain(text: str) -> str:
    """Slack message text -> the plain text the engine works with."""
    plain = _SPECIAL.sub(lambda m: _plain_special(m.group(1)), text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_mention(text: str, user_id: str | None) -> str:
    """``text`` without mentions of ``user_id`` (the bot), tidied."""
    if not user_id:
        return text.strip()
    return re.sub(rf"<@{re.escape(user_id)}(\|[^>]*)?>:?", "", text).strip()


def chunks(text: str, size: int = SECTION_LIMIT) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters, at line ends where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        if cut <= 0:
            cut = size
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    pieces.append(rest)
    return [p for p in pieces if p] or [""]


def attachment_note(attachment: Attachment) -> str:
    """A line that points at a file passed on from another platform (already escaped)."""
    name = escape_mrkdwn(attachment.name or attachment.kind)
    ref = attachment.file_id
    if ref.startswith(("https://", "http://")) and not any(c in ref for c in "<>|"):
        return f"\U0001f4ce <{ref}|{name}>"
    return f"\U0001f4ce {name} ({escape_mrkdwn(ref)})"


def button_action_id(index: int) -> str:
    """The ``action_id`` of the ``index``-th button of a message (unique within the message)."""
    return f"{ACTION_PREFIX}{index}"


def message_blocks(
    text: str, buttons: Sequence[Button] = (), notes: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """A section (or several, for long text) with the escaped text, then the buttons.

    ``notes`` are lines already in mrkdwn (attachment notes) shown in a context block.
    """
    blocks: list[dict[str, Any]] = []
    escaped = escape_mrkdwn(text)
    if escaped.strip():
        for piece in chunks(escaped):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece, "verbatim": True}})
    for note in notes:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note[:SECTION_LIMIT]}]})
    elements: list[dict[str, Any]] = []
    for index, button in enumerate(buttons):
        elements.append(
            {
                "type": "button",
                "action_id": button_action_id(index),
                "text": {"type": "plain_text", "text": button.label[:BUTTON_LABEL_LIMIT] or "?"},
                "value": button.callback_data,
            }
        )
    for start in range(0, len(elements), BUTTONS_PER_BLOCK):
        blocks.append({"type": "actions", "elements": elements[start : start + BUTTONS_PER_BLOCK]})
    return blocks


def fallback_text(text: str, notes: Sequence[str] = ()) -> str:
    """The top-level ``text`` of a message (notifications, clients without blocks), escaped."""
    full = "\n".join([escape_mrkdwn(text), *notes]).strip()
    return full[:TEXT_LIMIT] or " "
