"""Reading the CSV FAQ format (one row per entry and language), validated like YAML."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from bot.core.types import FaqEntry
from knowledge_base.faq_file.validation import (
    CSV_TAG_SEPARATOR,
    MAX_PHRASINGS,
    _answer_problem,
    _clean_answer,
    _id_problem,
    _phrasing_problem,
    _Problems,
    category_problem,
    dedup,
    lang_problem,
    suggest,
    tag_problem,
)

CSV_COLUMNS: tuple[str, ...] = ("id", "category", "lang", "questions", "answer", "tags", "security", "triage")

CSV_REQUIRED_COLUMNS: tuple[str, ...] = ("id", "category", "lang", "questions", "answer")

CSV_LIST_SEPARATOR = "\n"
"""Phrasings and triage questions in one CSV cell: one per line (the cell is quoted)."""


_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "ya"})

_FALSE_WORDS = frozenset({"false", "no", "n", "0", "tidak", ""})


@dataclass
class _CsvDraft:
    """The rows of one entry id, merged."""

    line: int
    bad: bool = False
    category: str | None = None
    category_line: int = 0
    tags: tuple[str, ...] | None = None
    tags_line: int = 0
    security: bool | None = None
    security_line: int = 0
    lang_lines: dict[str, int] = field(default_factory=dict)
    questions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    answer: dict[str, str] = field(default_factory=dict)
    triage: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _sniff_delimiter(text: str) -> str:
    """``,`` normally; ``;`` or a tab when the header uses those (spreadsheets in some locales)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    for delimiter in (",", ";", "\t"):
        names = [cell.strip().strip('"').lower() for cell in first.split(delimiter)]
        if "id" in names and "questions" in names:
            return delimiter
    return ","


def _split_cell(cell: str) -> list[str]:
    """A list cell: one item per line; blank lines are ignored."""
    text = cell.replace("\r\n", "\n").replace("\r", "\n")
    return [item.strip() for item in text.split(CSV_LIST_SEPARATOR) if item.strip()]


def _parse_bool(cell: str) -> bool | None:
    word = cell.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return None


def _csv_header(row: list[str], line: int, problems: _Problems) -> list[str] | None:
    names = [cell.strip().lower() for cell in row]
    ok = True
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.add(f"column {name!r} appears twice in the header", line)
            ok = False
        elif name and name not in CSV_COLUMNS:
            problems.add(f"unknown column {name!r}{suggest(name, CSV_COLUMNS)}", line)
            ok = False
        seen.add(name)
    missing = [name for name in CSV_REQUIRED_COLUMNS if name not in seen]
    if missing:
        problems.add(
            f"the header lacks the column(s) {', '.join(missing)}; the first row must name the columns "
            f"{','.join(CSV_COLUMNS)}",
            line,
        )
        ok = False
    return names if ok else None


def _csv_row(
    row: list[str], header: list[str], line: int, drafts: dict[str, _CsvDraft], problems: _Problems
) -> None:
    cells = {name: (row[i] if i < len(row) else "") for i, name in enumerate(header) if name}
    entry_id = cells["id"].strip()
    if not entry_id:
        problems.add("the row has no id", line)
        return
    before = len(problems)

    def report(message: str) -> None:
        problems.add(message, line, entry_id)

    if any(cell.strip() for cell in row[len(header) :]):
        report(f"the row has {len(row)} cells but the header names {len(header)} columns")
    draft = drafts.get(entry_id)
    if draft is None:
        draft = drafts[entry_id] = _CsvDraft(line=line)
        problem = _id_problem(entry_id)
        if problem:
            report(problem)

    category = cells["category"].strip()
    if category:
        if draft.category is None:
            problem = category_problem(category)
            if problem:
                report(problem)
            draft.category, draft.category_line = category, line
        elif category != draft.category:
            report(f"category {category!r} differs from {draft.category!r} on line {draft.category_line}")
    tags_cell = cells.get("tags", "")
    if tags_cell.strip():
        tags: list[str] = []
        for index, tag in enumerate(tags_cell.split(CSV_TAG_SEPARATOR), 1):
            if not tag.strip():
                continue
            problem = tag_problem(f"tag #{index}", tag)
            if problem:
                report(problem)
            tags.append(tag.strip())
        merged = dedup(tags)
        if draft.tags is None:
            draft.tags, draft.tags_line = merged, line
        elif merged != draft.tags:
            report(f"tags differ from those on line {draft.tags_line}")
    security_cell = cells.get("security", "")
    if security_cell.strip():
        security = _parse_bool(security_cell)
        if security is None:
            report(f"security must be true or false, not {security_cell.strip()!r}")
        elif draft.security is None:
            draft.security, draft.security_line = security, line
        elif security != draft.security:
            report(f"security differs from line {draft.security_line}")

    lang = cells["lang"].strip()
    if not lang:
        report("the lang cell is empty")
    elif problem := lang_problem(lang, "the lang column"):
        report(problem)
    elif lang in draft.lang_lines:
        report(f"language {lang!r} appears twice (first on line {draft.lang_lines[lang]})")
    else:
        draft.lang_lines[lang] = line
        for column, target in (("questions", draft.questions), ("triage", draft.triage)):
            items = _split_cell(cells.get(column, ""))
            if not items:
                if column == "questions":
                    report("the questions cell is empty")
                continue
            if len(items) > MAX_PHRASINGS:
                report(f"{column}.{lang} has {len(items)} items; the limit is {MAX_PHRASINGS}")
                continue
            for index, item in enumerate(items, 1):
                problem = _phrasing_problem(f"{column}.{lang}[{index}]", item)
                if problem:
                    report(problem)
            target[lang] = dedup(items)
        answer = cells["answer"]
        problem = _answer_problem(f"answer.{lang}", answer)
        if problem:
            report(problem)
        else:
            draft.answer[lang] = _clean_answer(answer)
    if len(problems) != before:
        draft.bad = True


def load_csv(text: str, problems: _Problems) -> list[FaqEntry]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        problems.add("this is a binary file, not CSV text", text.count("\n", 0, text.index("\x00")) + 1)
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), strict=True)
    header: list[str] | None = None
    drafts: dict[str, _CsvDraft] = {}
    previous = 0
    try:
        for row in reader:
            line, previous = previous + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _csv_header(row, line, problems)
                if header is None:
                    return []
                continue
            _csv_row(row, header, line, drafts, problems)
    except csv.Error as exc:
        problems.add(f"not valid CSV: {exc}", previous + 1)  # where the unreadable row starts
        return []
    if header is None:
        problems.add(
            f"the file holds no rows; the first row must name the columns {','.join(CSV_COLUMNS)}", 1
        )
        return []
    entries: list[FaqEntry] = []
    for entry_id, draft in drafts.items():
        if draft.category is None:
            problems.add("no row gives the category", draft.line, entry_id)
            draft.bad = True
        if draft.bad:
            continue
        entries.append(
            FaqEntry(
                id=entry_id,
                category=draft.category or "",
                questions=draft.questions,
                answer=draft.answer,
                tags=draft.tags or (),
                triage=draft.triage,
                security=bool(draft.security),
            )
        )
    return entries


def load_faq_csv(text: str, source: str = "<csv>") -> list[FaqEntry]:
    """Parse and validate a knowledge base in CSV form.

    The first row is the header naming the columns ``id,category,lang,questions,answer`` and
    optionally ``tags,security,triage`` (any order). Each further row holds one entry in one
    language; rows with the same id (anywhere in the file) merge into one entry:

    - ``questions`` and ``triage``: several phrasings in one quoted cell, **one per line**
      (a line break inside the cell); blank lines are ignored.
    - ``answer``: the answer text in that language (line breaks allowed).
    - ``tags``: comma-separated words; ``security``: ``true``/``false`` (also yes/no, 1/0, ya/tidak).
      ``category``, ``tags`` and ``security`` belong to the entry: give them on one row or
      repeat them identically; an empty cell takes the value from the entry's other rows.

    Semicolon- or tab-separated files (as some spreadsheets save them) are recognised from the
    header. Raises :class:`FaqFileErrors` (with the line where each bad row starts).
    """
    problems = _Problems(source)
    entries = load_csv(text, problems)
    problems.raise_if_any()
    return entries
