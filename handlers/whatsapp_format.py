"""WhatsApp message shapes: escaped text, parts of at most 4,096 characters, reply buttons or a list
for the core's buttons, and template parameters (pure functions, no network).

WhatsApp's limits (Cloud API): a text message holds 4,096 characters, the body of an interactive
message 1,024; at most 3 reply buttons with titles of 20 characters; a list message at most 10 rows
with titles of 24 and descriptions of 72 characters; a template's text parameter holds no line
breaks, tabs or more than four spaces in a row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.types import Button
from handlers import text_parts

MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_LIST_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_TEMPLATE_PARAMETER = 1024

# WhatsApp has no escape character: a formatting marker is replaced by a look-alike that does not
# format (``*bold*``, ``_italic_``, ``~strike~``, ```` `code` ````). Links keep their characters.
_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u02dc", "`": "\u02cb"})
_URL = re.compile(r"https?://\S+")
_SPACES = re.compile(r"\s+")


def escape(text: str) -> str:
    """``text`` (plain) as WhatsApp shows it literally: no marker turns into formatting."""
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(text[last : match.start()].translate(_LOOKALIKES))
        out.append(match.group(0))
        last = match.end()
    out.append(text[last:].translate(_LOOKALIKES))
    return "".join(out)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` characters; joined, they are ``text`` again."""
    return text_parts.split_text(text, limit)


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Row:
    """One choice as WhatsApp shows it: a reply button or a list row."""

    title: str
    data: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Choices:
    """The core's buttons laid out for WhatsApp: ``kind`` is ``buttons`` or ``list``."""

    kind: str
    rows: tuple[Row, ...]


def layout(buttons: Sequence[Button]) -> Choices | None:
    """Reply buttons when there are at most 3 (a label over 20 characters shortened at a word),
    else a list (at most 10 rows; a label too long for a row title goes on in its description)."""
    if not buttons:
        return None
    if len(buttons) <= MAX_REPLY_BUTTONS:
        return Choices("buttons", tuple(Row(short_title(b.label), b.callback_data) for b in buttons))
    rows = []
    for button in buttons[:MAX_LIST_ROWS]:
        label = button.label.strip() or button.action
        if len(label) <= MAX_ROW_TITLE:
            title, description = label, ""
        else:
            head, _, _ = label[:MAX_ROW_TITLE].rpartition(" ")
            title = head if len(head) >= MAX_ROW_TITLE // 2 else label[: MAX_ROW_TITLE - 1] + "…"
            description = cut(label[len(head) :].strip() if title == head else label, MAX_ROW_DESCRIPTION)
        rows.append(Row(title, button.callback_data[:MAX_ROW_ID], description))
    return Choices("list", tuple(rows))


def short_title(label: str, limit: int = MAX_BUTTON_TITLE) -> str:
    """``label`` within ``limit`` characters, cut at a word when that keeps most of it."""
    label = label.strip()
    if len(label) <= limit:
        return label
    head = label[: limit - 1].rpartition(" ")[0]
    return (head if len(head) >= limit // 2 else label[: limit - 1]) + "…"


def template_text(text: str) -> str:
    """``text`` as a template's text parameter: one line, spaces collapsed, at most 1,024 characters."""
    return cut(_SPACES.sub(" ", text).strip() or "-", MAX_TEMPLATE_PARAMETER)
