"""Proposals from specialists: "make this resolved ticket an FAQ entry".

A specialist proposes from a resolved ticket (``/faq propose``); the draft holds the ticket's
question (its subject) and the specialist's answer (what they relayed to the user, plus the
resolution summary), a suggested entry id and category. It waits, ``pending``, until an admin
approves it (which creates the FAQ entry), edits it, or rejects it. Drafts are kept after the
decision, so the desk can see who proposed and who decided what.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from bot.core.records import DraftStatus, FaqDraft, Ticket, TicketEvent
from bot.core.types import FaqEntry
from bot.security.redaction import redact_secrets

MAX_SUGGESTED_ID_CHARS = 48
MAX_DRAFT_ANSWER_CHARS = 8000
MAX_DRAFT_QUESTION_CHARS = 500

# Short words that make poor id parts ("how do I reset my password" -> "reset-password").
_STOPWORDS_TEXT = (
    "a an the my our your i we you it is are was be to of in on at for and or not no do does did can "
    "cannot cant how what why when where which who help please pls hi hello "
    "saya aku kami kita anda yang di ke dari dan atau tidak nggak gak ga bisa tolong mohon bagaimana "
    "gimana cara kenapa apa mengapa dengan untuk ini itu sudah belum ada mau ingin"
)
_ID_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def slug(text: str, limit: int = MAX_SUGGESTED_ID_CHARS) -> str:
    """A kebab-case id made from ``text``: ASCII letters and digits, short words dropped."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    kept = [w for w in words if w not in _ID_STOPWORDS] or words
    parts: list[str] = []
    for word in kept:
        if len("-".join([*parts, word])) > limit:
            break
        parts.append(word)
    return "-".join(parts)[:limit].strip("-")


def suggest_entry_id(question: str, taken: Callable[[str], bool], fallback: str = "faq-entry") -> str:
    """A free kebab-case id for ``question`` (``-2``, ``-3``... appended when taken)."""
    base = slug(question) or fallback
    candidate = base
    n = 2
    while taken(candidate):
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def specialist_answer(ticket: Ticket, events: Sequence[TicketEvent]) -> str:
    """What the specialists told the requester: their relayed replies, then the resolution summary."""
    parts: list[str] = []
    for event in events:
        if event.kind == "relayed" and event.detail.get("direction") == "to_user":
            text = str(event.detail.get("text") or "").strip()
            if text and text not in parts:
                parts.append(text)
    summary = (ticket.resolution or "").strip()
    if summary and all(summary not in part for part in parts):
        parts.append(summary)
    answer, _ = redact_secrets("\n\n".join(parts))
    return answer[:MAX_DRAFT_ANSWER_CHARS].strip()


def draft_question(ticket: Ticket) -> str:
    """The ticket's question as one line, fit to be an FAQ phrasing."""
    question, _ = redact_secrets(" ".join(ticket.subject.split()))
    return question[:MAX_DRAFT_QUESTION_CHARS].strip()


def draft_entry(draft: FaqDraft, entry_id: str | None = None, category: str | None = None) -> FaqEntry:
    """The FAQ entry a draft becomes (one language: the ticket's)."""
    return FaqEntry(
        id=entry_id or draft.entry_id,
        category=category or draft.category,
        questions={draft.language: (draft.question.strip(),)},
        answer={draft.language: draft.answer.strip()},
    )


__all__ = [
    "DraftStatus",
    "FaqDraft",
    "draft_entry",
    "draft_question",
    "slug",
    "specialist_answer",
    "suggest_entry_id",
]
