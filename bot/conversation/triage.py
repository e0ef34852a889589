"""Focused questions asked before a ticket reaches a specialist, skipping what the user already said."""

from __future__ import annotations

import re

from bot.core.types import FaqEntry

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
        re.compile(
            r"(\"[^\"]{3,}\"|'[^']{6,}'|\b0x[0-9a-f]{4,}\b|\berror\s*(code)?\s*[:#]?\s*\w*\d+\w*)",
            re.IGNORECASE,
        ),
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

# What an FAQ entry's own triage question is about, so the standard question on the same topic is
# not asked a second time.
QUESTION_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "affected",
        re.compile(r"\b(rekan|colleagues?|orang lain|others?|siapa saja|everyone|semua|tim|team)\b", re.I),
    ),
    ("error", re.compile(r"\b(error|pesan|message|kode|code|muncul|appears?)\b", re.I)),
    ("since", re.compile(r"\b(sejak|since|kapan|when)\b", re.I)),
    (
        "device",
        re.compile(
            r"\b(perangkat|device|aplikasi|app|application|laptop|komputer|computer|ponsel|phone)\b", re.I
        ),
    ),
)

# An answer to "how many people are affected" that means more than one person.
_MANY_AFFECTED = re.compile(
    r"\b(semua|semuanya|seluruh|banyak|everyone|everybody|all|whole|many|team|tim|divisi|department|"
    r"satu\s+lantai|whole\s+floor|sekantor|rekan-rekan|others|yang\s+lain|juga)\b",
    re.IGNORECASE,
)


def question_topic(question: str) -> str | None:
    """The standard topic an FAQ-specific triage question covers, if any."""
    for topic, pattern in QUESTION_TOPICS:
        if pattern.search(question):
            return topic
    return None


def plan_questions(text: str, entry: FaqEntry | None, lang: str) -> list[dict[str, str]]:
    """The questions to ask for ``text``: the entry's own questions first, then the standard ones
    that neither the text nor the entry's questions already cover. Each item is
    ``{"key", "text", "topic"}``; ``text`` is empty for standard questions (the engine words those)."""
    plan: list[dict[str, str]] = []
    covered: set[str] = set()
    if entry is not None:
        own = entry.triage.get(lang) or next(iter(entry.triage.values()), ())
        for index, question in enumerate(own):
            topic = question_topic(question) or ""
            covered.add(topic)
            plan.append({"key": f"faq{index}", "text": question, "topic": topic})
    for key, already_said in STANDARD_QUESTIONS:
        if key not in covered and not already_said.search(text):
            plan.append({"key": key, "text": "", "topic": key})
    return plan


def many_affected(answers: dict[str, str], topics: dict[str, str] | None = None) -> bool:
    """Whether the answers on the "who is affected" topic say more than one person is."""
    topics = topics or {}
    relevant = [
        answer for key, answer in answers.items() if key == "affected" or topics.get(key) == "affected"
    ]
    return any(_MANY_AFFECTED.search(answer) for answer in relevant)
