"""Readable differences between two versions of an FAQ entry.

Versions are stored in their YAML form (:attr:`bot.core.records.FaqVersion.data`). :func:`diff_data`
lists what changed as :class:`Change` items (category, each phrasing added or removed, each answer
added, removed or rewritten, tags, triage questions, the security flag); :func:`describe` turns
them into lines in the reader's language: short ones for chat (a few changed answer lines), full
ones for the command line (every changed answer line).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.core.records import FaqVersion
from bot.core.types import FaqEntry

SHORT_ANSWER_LINES = 4
"""Changed answer lines shown per answer in a short (chat) diff."""
SHORT_LINE_CHARS = 90


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions.

    ``kind`` is one of ``created``, ``deleted``, ``restored``, ``category``, ``security``, ``tags``,
    ``question_added``, ``question_removed``, ``triage_added``, ``triage_removed``, ``answer_added``,
    ``answer_removed``, ``answer_changed``. ``lang`` is set for per-language changes; ``old`` and
    ``new`` hold the values (texts, or comma-joined tags).
    """

    kind: str
    lang: str = ""
    old: str = ""
    new: str = ""


def same_content(a: FaqEntry, b: FaqEntry) -> bool:
    """Whether two entries hold the same content (versions aside)."""
    return a.to_data() == b.to_data()


def _lists(data: Mapping[str, Any] | None, key: str) -> dict[str, list[str]]:
    raw = (data or {}).get(key) or {}
    return {str(lang): [str(x) for x in items] for lang, items in raw.items()}


def _list_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any], key: str, kind: str) -> list[Change]:
    before, after = _lists(old, key), _lists(new, key)
    changes: list[Change] = []
    for lang in sorted(set(before) | set(after)):
        was, now = before.get(lang, []), after.get(lang, [])
        changes += [Change(f"{kind}_removed", lang, old=q) for q in was if q not in now]
        changes += [Change(f"{kind}_added", lang, new=q) for q in now if q not in was]
    return changes


def diff_data(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    """What changed from ``old`` to ``new`` (both in stored form); ``old`` None means created."""
    changes: list[Change] = []
    if old is None:
        changes.append(Change("created"))
        old = {}
    if old and old.get("category") != new.get("category"):
        changes.append(Change("category", old=str(old.get("category", "")), new=str(new.get("category", ""))))
    if bool(old.get("security", False)) != bool(new.get("security", False)) and (old or new.get("security")):
        was, now = bool(old.get("security")), bool(new.get("security"))
        changes.append(Change("security", old=str(was), new=str(now)))
    old_tags, new_tags = list(old.get("tags") or []), list(new.get("tags") or [])
    if old_tags != new_tags and (old or new_tags):
        changes.append(Change("tags", old=", ".join(old_tags), new=", ".join(new_tags)))
    changes += _list_changes(old, new, "questions", "question")
    before: dict[str, str] = dict(old.get("answer") or {})
    after: dict[str, str] = dict(new.get("answer") or {})
    for lang in sorted(set(before) | set(after)):
        if lang not in before:
            changes.append(Change("answer_added", lang, new=after[lang]))
        elif lang not in after:
            changes.append(Change("answer_removed", lang, old=before[lang]))
        elif before[lang] != after[lang]:
            changes.append(Change("answer_changed", lang, old=before[lang], new=after[lang]))
    changes += _list_changes(old, new, "triage", "triage")
    return changes


def diff_versions(previous: FaqVersion | None, current: FaqVersion) -> list[Change]:
    """What ``current`` changed compared with the version before it (``None`` for the first)."""
    if current.deleted:
        return [Change("deleted")]
    if previous is not None and previous.deleted:
        return [Change("restored"), *diff_data(previous.data, current.data)]
    return diff_data(previous.data if previous is not None else None, current.data)


def _clip(text: str, limit: int = SHORT_LINE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def answer_lines(old: str, new: str, limit: int | None = None) -> list[str]:
    """The changed lines of an answer as ``- old line`` / ``+ new line`` (at most ``limit``)."""
    lines: list[str] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        if line[:1] in "+-" and line[1:].strip():
            lines.append(f"{line[0]} {line[1:]}")
    if limit is not None and len(lines) > limit:
        return [*lines[:limit], "…"]
    return lines


def describe(changes: Sequence[Change], lang: str, *, full: bool = False) -> list[str]:
    """The changes as lines in ``lang``: short for chat, ``full`` for the command line."""

    def t(key: str, **fields: Any) -> str:
        return texts.text(lang, key, **fields)

    clip = (lambda s: " ".join(s.split())) if full else _clip
    lines: list[str] = []
    for change in changes:
        code = change.lang.upper()
        if change.kind in ("created", "deleted", "restored"):
            lines.append(t(f"faqdiff_{change.kind}"))
        elif change.kind in ("category", "tags", "security"):
            lines.append(t(f"faqdiff_{change.kind}", old=change.old or "-", new=change.new or "-"))
        elif change.kind.endswith("_added") or change.kind.endswith("_removed"):
            if change.kind.startswith("answer"):
                lines.append(t(f"faqdiff_{change.kind}", code=code))
                body = change.new or change.old
                sign = "+" if change.kind.endswith("_added") else "-"
                shown = body.splitlines() if full else body.splitlines()[:SHORT_ANSWER_LINES]
                lines += [f"    {sign} {clip(line)}" for line in shown if line.strip()]
            else:
                lines.append(t(f"faqdiff_{change.kind}", code=code, text=clip(change.new or change.old)))
        elif change.kind == "answer_changed":
            lines.append(t("faqdiff_answer_changed", code=code))
            limit = None if full else SHORT_ANSWER_LINES
            lines += [f"    {clip(line)}" for line in answer_lines(change.old, change.new, limit)]
    if not lines:
        lines.append(t("faqdiff_none"))
    return lines


__all__ = [
    "Change",
    "answer_lines",
    "describe",
    "diff_data",
    "diff_versions",
    "same_content",
]
