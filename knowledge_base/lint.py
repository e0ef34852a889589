"""Checks on a whole knowledge base that the file format cannot catch (``helpdesk kb lint``).

Errors (the FAQ answers wrongly because of them):

- ``duplicate-question``: two entries share a phrasing (after normalisation);
- ``stolen-question``: the matcher *answers* one entry's own phrasing with another entry.

Warnings (worth a look):

- ``similar-question``: near-identical phrasings in two entries (rapidfuzz ratio >= ``near``);
- ``ambiguous-question``: an entry's phrasing ranks another entry first (without the bot
  answering with it), or leads the next entry by less than the answer margin, so the bot would
  ask the user to choose instead of answering;
- ``missing-translation``: an entry without questions and answer in one of the languages;
- ``no-steps``: an answer without numbered steps (``1.`` or ``1)`` at the start of a line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.types import LANGUAGES, Decision, FaqEntry, MatchThresholds
from knowledge_base.matcher import FaqMatcher
from knowledge_base.normalize import normalize

ERROR = "error"
WARNING = "warning"
NEAR_DUPLICATE_RATIO = 90.0
_NUMBERED_STEP = re.compile(r"^\s*1[.)]\s", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: its level (``error`` or ``warning``), a stable code, the entry and a message."""

    level: str
    code: str
    entry_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.level:7} {self.code:19} {self.entry_id}: {self.message}"


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry_id: str
    lang: str
    text: str
    norm: str


def _phrasings(entries: Sequence[FaqEntry]) -> list[_Phrasing]:
    found: list[_Phrasing] = []
    for entry in entries:
        for lang, texts in entry.questions.items():
            for text in texts:
                norm = normalize(text)
                if norm:
                    found.append(_Phrasing(entry.id, lang, text, norm))
    return found


def _duplicates(items: list[_Phrasing], near: float) -> list[Finding]:
    findings: list[Finding] = []
    first: dict[str, _Phrasing] = {}
    reported: set[tuple[str, str]] = set()  # (entry id, normalised phrasing) of each duplicate found
    for item in items:
        seen = first.setdefault(item.norm, item)
        if seen.entry_id != item.entry_id and (item.entry_id, item.norm) not in reported:
            reported.add((item.entry_id, item.norm))
            findings.append(
                Finding(
                    ERROR,
                    "duplicate-question",
                    item.entry_id,
                    f"question {item.text!r} ({item.lang}) is also a question of {seen.entry_id}",
                )
            )
    if len(items) < 2:
        return findings
    norms = [item.norm for item in items]
    scores = process.cdist(norms, norms, scorer=fuzz.ratio, score_cutoff=near, workers=1)
    pairs = {tuple(sorted((first[norm].entry_id, entry_id))) for entry_id, norm in reported}
    for i, j in zip(*scores.nonzero(), strict=True):
        a, b = items[int(i)], items[int(j)]
        if i >= j or a.entry_id == b.entry_id or a.norm == b.norm:
            continue
        key = (a.entry_id, b.entry_id) if a.entry_id < b.entry_id else (b.entry_id, a.entry_id)
        if key in pairs:
            continue
        pairs.add(key)
        findings.append(
            Finding(
                WARNING,
                "similar-question",
                b.entry_id,
                f"question {b.text!r} ({b.lang}) is nearly the same as {a.text!r} of {a.entry_id} "
                f"({float(scores[i, j]):.0f}% alike)",
            )
        )
    return findings


def _stealing(items: list[_Phrasing], matcher: FaqMatcher) -> list[Finding]:
    findings: list[Finding] = []
    for item in items:
        ranked = matcher.rank(item.text, item.lang, k=3)
        if not ranked:
            continue
        best = ranked[0]
        decision = matcher.decide(ranked)
        if best.entry_id != item.entry_id:
            answered = decision == Decision.ANSWER
            level, code = (ERROR, "stolen-question") if answered else (WARNING, "ambiguous-question")
            verb = "is answered with" if answered else "ranks first"
            findings.append(
                Finding(
                    level,
                    code,
                    item.entry_id,
                    f"its question {item.text!r} ({item.lang}) {verb} {best.entry_id} "
                    f"(score {best.score:.0f})",
                )
            )
        elif len(ranked) > 1 and best.score - ranked[1].score < matcher.thresholds.margin:
            runner = ranked[1]
            findings.append(
                Finding(
                    WARNING,
                    "ambiguous-question",
                    item.entry_id,
                    f"its question {item.text!r} ({item.lang}) is too close to {runner.entry_id} to answer "
                    f"at once ({best.score:.0f} vs {runner.score:.0f}): the bot would ask the user to choose",
                )
            )
    return findings


def _entry_checks(entry: FaqEntry) -> list[Finding]:
    findings: list[Finding] = []
    missing = [lang for lang in LANGUAGES if lang not in entry.answer or not entry.questions.get(lang)]
    if missing:
        message = f"no questions and answer in {', '.join(missing)}"
        findings.append(Finding(WARNING, "missing-translation", entry.id, message))
    for lang, answer in sorted(entry.answer.items()):
        if not _NUMBERED_STEP.search(answer):
            findings.append(
                Finding(WARNING, "no-steps", entry.id, f"the {lang} answer has no numbered steps (1. 2. 3.)")
            )
    return findings


def lint_entries(
    entries: Sequence[FaqEntry],
    *,
    thresholds: MatchThresholds | None = None,
    default_lang: str = "id",
    near: float = NEAR_DUPLICATE_RATIO,
) -> list[Finding]:
    """Every finding for ``entries``: errors first, then warnings, each by entry id.

    ``thresholds`` are the matcher's decision thresholds (the calibrated ones, when known).
    """
    items = _phrasings(entries)
    findings = _duplicates(items, near)
    if entries:
        matcher = FaqMatcher(entries, thresholds=thresholds, default_lang=default_lang)
        findings += _stealing(items, matcher)
    for entry in entries:
        findings += _entry_checks(entry)
    order = {ERROR: 0, WARNING: 1}
    return sorted(findings, key=lambda f: (order.get(f.level, 2), f.entry_id, f.code))


__all__ = ["ERROR", "WARNING", "Finding", "lint_entries"]
