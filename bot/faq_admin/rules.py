"""The words, limits, states and button actions of FAQ editing from chat, and the checks on what
an admin types (the same rules as the FAQ file format)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.records import ConversationState
from bot.core.types import (
    Event,
)

if TYPE_CHECKING:
    pass

COMMAND = "faq"

STATE_ADD = "faq_add"

STATE_EDIT = "faq_edit"

STATE_DRAFT = "faq_draft"

STATES: tuple[str, ...] = (STATE_ADD, STATE_EDIT, STATE_DRAFT)

# Button actions ("action:value" must fit Telegram's 64 bytes of callback data).
A_CATEGORY = "faqcat"  # value: category (add dialogue)

A_STEP = "faqstep"  # value: done | skip

A_SAVE = "faqsave"  # save the previewed entry

A_STOP = "faqstop"  # cancel a dialogue or a confirmation

A_DELETE = "faqdel"  # value: entry reference (delete confirmed)

A_LIST = "faqls"  # value: category

A_DRAFT = "faqd"  # value: op:draft[:arg]

ACTIONS: tuple[str, ...] = (A_CATEGORY, A_STEP, A_SAVE, A_STOP, A_DELETE, A_LIST, A_DRAFT)

# The same rules as the FAQ file format (knowledge_base.faq_file.validation; a test keeps them in step).
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

MAX_ID_CHARS = 64

MAX_PHRASING_CHARS = 500

MAX_ANSWER_CHARS = 8000

MAX_PHRASINGS = 200

DIALOGUE_TIMEOUT = timedelta(minutes=30)
"""A dialogue left alone this long ends; the admin's next message is an ordinary question again."""

SHOW_ANSWER_CHARS = 1500

LIST_LIMIT = 60

HISTORY_LIMIT = 10

DRAFTS_SHOWN = 10

BUSY_STATES = (ConversationState.WITH_SPECIALIST, ConversationState.TRIAGE)

# Words typed during a dialogue (English and Indonesian).
DONE_WORDS = frozenset({"done", "selesai", "sudah", "ok", "/done"})

SKIP_WORDS = frozenset({"skip", "lewati", "/skip"})

SAVE_WORDS = frozenset({"save", "simpan", "yes", "ya"})

CANCEL_WORDS = frozenset({"cancel", "batal", "/cancel"})

_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+")

_REF_CHARS = 64 - len(A_DELETE) - 1


def id_problem(value: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` cannot be an entry id (a text key and its fields), or None."""
    if not value or len(value) > MAX_ID_CHARS or not ID_PATTERN.fullmatch(value):
        return "faq_bad_id", {"value": value[:80], "limit": MAX_ID_CHARS}
    return None


def phrasing_problem(value: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` cannot be a question phrasing, or None."""
    if not value.strip():
        return "faq_empty_phrasing", {}
    if len(value.strip()) > MAX_PHRASING_CHARS:
        return "faq_phrasing_too_long", {"length": len(value.strip()), "limit": MAX_PHRASING_CHARS}
    return None


def answer_problem(value: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` cannot be an answer, or None."""
    if not value.strip():
        return "faq_empty_answer", {}
    if len(value.strip()) > MAX_ANSWER_CHARS:
        return "faq_answer_too_long", {"length": len(value.strip()), "limit": MAX_ANSWER_CHARS}
    return None


def clean_answer(text: str) -> str:
    """An answer as the FAQ file keeps it: no surrounding blank space, no trailing spaces per line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def split_phrasings(text: str) -> list[str]:
    """One phrasing per line; list bullets and numbers at the start of a line are dropped."""
    return [_BULLET.sub("", line).strip() for line in text.splitlines() if _BULLET.sub("", line).strip()]


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _merge(existing: tuple[str, ...] | list[str], new: list[str]) -> list[str]:
    seen = {_key(q) for q in existing}
    merged = list(existing)
    for phrasing in new:
        if _key(phrasing) not in seen:
            seen.add(_key(phrasing))
            merged.append(phrasing)
    return merged


def split_args(text: str) -> tuple[str, str]:
    match = re.match(r"\s*(\S*)\s*(.*)", text or "", re.DOTALL)
    assert match is not None
    return match.group(1), match.group(2)


def _author(event: Event) -> str:
    sender = event.sender
    return f"{sender.display_name} ({sender.key})" if sender.display_name else sender.key


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


def entry_ref(entry_id: str) -> str:
    """A button value naming ``entry_id`` (a short hash when the id is too long for the button)."""
    if len(entry_id) <= _REF_CHARS:
        return entry_id
    return "~" + hashlib.sha1(entry_id.encode()).hexdigest()[:16]
