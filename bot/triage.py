"""Focused questions asked before a ticket reaches a specialist, skipping what the user already said."""

from __future__ import annotations

import re

from bot.types import FaqEntry

# The standard questions, in asking order. Each has a pattern that, when it matches what the user
# already wrote, means the answer is known and the question is skipped.
STANDARD_QUESTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "device",
        re.compile(
            r"\b(laptop|leptop|notebook|pc|komputer|computer|desktop|macbook|mac|windows|iphone|android|hp|"
            r"handphone|phone|ponsel|tablet|ipad|printer|outlook|teams|zoom|excel|word|chrome|browser|vpn|"
            r"wifi|gmail|sap|erp|monitor|proyektor|projector)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "since",
        re.compile(
            r"\b(sejak|since|kemarin|kemaren|yesterday|today|hari\s+ini|tadi|pagi|siang|sore|malam|"
            r"minggu|week|jam|hour|menit|minute|barusan|just\s+now|this\s+morning|sudah\s+\d+|\d+\s+hari|"
            r"\d+\s+days?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "error",
        re.compile(r"(\"[^\"]{3,}\"|'[^']{6,}'|\b0x[0-9a-f]{4,}\b|\berror\s*(code)?\s*[:#]?\s*\w*\d+\w*)", re.IGNORECASE),
    ),
    (
        "affected",
        re.compile(
            r"\b(semua|semuanya|seluruh|everyone|everybody|all\s+of\s+us|whole\s+team|satu\s+tim|"
            r"cuma\s+saya|hanya\s+saya|only\s+me|just\s+me|rekan|teman|colleagues?|others?)\b",
            re.IGNORECASE,
        ),
    ),
)

# An answer to "how many people are affected" that means more than one person.
_MANY_AFFECTED = re.compile(
    r"\b(semua|semuanya|seluruh|banyak|everyone|everybody|all|whole|many|team|tim|divisi|department|"
    r"lantai|floor|kantor|office)\b|\b([2-9]|\d{2,})\b",
    re.IGNORECASE,
)


def plan_questions(text: str, entry: FaqEntry | None, lang: str) -> list[dict[str, str]]:
    """The questions to ask for ``text``: entry-specific ones first, then the standard ones the
    text does not already answer. Each item is ``{"key": ..., "text": ...}`` where ``text`` is
    set for entry questions and empty for standard ones (the engine words those)."""
    plan: list[dict[str, str]] = []
    if entry is not None:
        for index, question in enumerate(entry.triage.get(lang) or next(iter(entry.triage.values()), ())):
            plan.append({"key": f"faq{index}", "text": question})
    for key, already_said in STANDARD_QUESTIONS:
        if not already_said.search(text):
            plan.append({"key": key, "text": ""})
    return plan


def many_affected(answers: dict[str, str]) -> bool:
    """Whether the triage answers say more than one person is affected."""
    return bool(_MANY_AFFECTED.search(answers.get("affected", "")))
