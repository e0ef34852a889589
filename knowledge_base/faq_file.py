"""Read and write the FAQ knowledge base: YAML (DESIGN.md section 6) and CSV.

YAML is the main format: a list of entries, each a mapping with the keys ``id``, ``category``,
``questions`` and ``answer`` and optionally ``tags``, ``security`` and ``triage``::

    - id: password-reset
      category: account
      questions:
        en:
          - How do I reset my password?
        id:
          - lupa password
      answer:
        en: |-
          1. Open https://password.example.com ...
        id: |-
          1. Buka https://password.example.com ...

CSV is offered for people who edit the FAQ in a spreadsheet: one row per entry per language
with the columns ``id,category,lang,questions,answer,tags,security,triage`` (see
:func:`load_faq_csv`).

Everything is validated before anything is returned, and *all* problems of a file are reported
together (:class:`FaqFileErrors`), each with file, entry id and line number.

Loading normalises text so that ``load(dump(entries)) == entries`` holds exactly for every list
of entries a loader returns:

- phrasings, triage questions and tags lose surrounding whitespace and are de-duplicated within
  their list (ignoring case and repeated spaces; the first spelling is kept, order is kept);
- answers lose surrounding whitespace and trailing spaces at the end of each line.

``FaqEntry.version`` is not part of the files; loaded entries carry the default version 1.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.types import CATEGORIES, LANGUAGES, FaqEntry

__all__ = [
    "BUNDLED_FAQ_DIR",
    "CSV_COLUMNS",
    "FaqFileError",
    "FaqFileErrors",
    "dump_faq",
    "dump_faq_csv",
    "load_bundled_faq",
    "load_faq_bytes",
    "load_faq_csv",
    "load_faq_file",
    "load_faq_path",
    "load_faq_text",
    "save_faq_file",
    "validate_entry",
]

BUNDLED_FAQ_DIR = Path(__file__).resolve().parent / "faq"
"""The starting FAQ shipped with the product (a folder of YAML files)."""

ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_CHARS = 64
MAX_PHRASING_CHARS = 500
MAX_ANSWER_CHARS = 8000
MAX_TAG_CHARS = 64
MAX_PHRASINGS = 200
"""Most phrasings (or triage questions) one entry may have in one language."""
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ERRORS = 200
"""Problems listed per load; the rest are counted in a final line."""

REQUIRED_KEYS: tuple[str, ...] = ("id", "category", "questions", "answer")
OPTIONAL_KEYS: tuple[str, ...] = ("tags", "security", "triage")
ENTRY_KEYS: tuple[str, ...] = ("id", "category", "tags", "security", "questions", "answer", "triage")
"""Every key an entry may have, in the order :func:`dump_faq` writes them."""

CSV_COLUMNS: tuple[str, ...] = ("id", "category", "lang", "questions", "answer", "tags", "security", "triage")
CSV_REQUIRED_COLUMNS: tuple[str, ...] = ("id", "category", "lang", "questions", "answer")
CSV_LIST_SEPARATOR = "\n"
"""Phrasings and triage questions in one CSV cell: one per line (the cell is quoted)."""
CSV_TAG_SEPARATOR = ","
"""Tags in one CSV cell: separated by commas (written as ``", "``)."""

YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)

_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "ya"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0", "tidak", ""})

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (20x faster), else the pure-Python one."""
_UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")
_TAG_STR = "tag:yaml.org,2002:str"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_MAP = "tag:yaml.org,2002:map"
_TAG_SEQ = "tag:yaml.org,2002:seq"
_TAG_NAMES = {
    _TAG_STR: "text",
    _TAG_BOOL: "true/false",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "nothing (null)",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:binary": "binary data",
}


# --------------------------------------------------------------------------------------------
# errors


class FaqFileError(Exception):
    """One problem in a FAQ file: where it is (file, entry, line) and what is wrong.

    ``str()`` reads like ``faq.yaml:12: entry 'vpn-setup': unknown key 'anwser'``.
    """

    def __init__(self, file: str, message: str, entry_id: str | None = None, line: int | None = None):
        super().__init__(file, message, entry_id, line)
        self.file = file
        self.message = message
        self.entry_id = entry_id
        self.line = line

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.entry_id is not None:
            return f"{where}: entry {self.entry_id!r}: {self.message}"
        return f"{where}: {self.message}"


class FaqFileErrors(FaqFileError):
    """All the problems found in one load (one or more :class:`FaqFileError`).

    The loaders raise this. It is itself a :class:`FaqFileError` (its ``file``, ``entry_id``,
    ``line`` and ``message`` are the first problem's), so ``except FaqFileError`` catches it.
    ``str()`` lists every problem, one per line.
    """

    def __init__(self, errors: Sequence[FaqFileError]):
        flat: list[FaqFileError] = []
        for error in errors:
            flat.extend(error.errors if isinstance(error, FaqFileErrors) else [error])
        if not flat:
            raise ValueError("FaqFileErrors needs at least one error")
        Exception.__init__(self, flat)
        self.errors: list[FaqFileError] = flat
        first = flat[0]
        self.file = first.file
        self.message = first.message
        self.entry_id = first.entry_id
        self.line = first.line

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)

    def __len__(self) -> int:
        return len(self.errors)


class _Problems:
    """Collects the problems of one load, capped at :data:`MAX_ERRORS`."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[FaqFileError] = []
        self.dropped = 0

    def add(self, message: str, line: int | None = None, entry_id: str | None = None) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.dropped += 1
            return
        self.errors.append(FaqFileError(self.source, message, entry_id, line))

    def extend(self, errors: Iterable[FaqFileError]) -> None:
        for error in errors:
            if len(self.errors) >= MAX_ERRORS:
                self.dropped += 1
            else:
                self.errors.append(error)

    def __len__(self) -> int:
        return len(self.errors) + self.dropped

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        files: dict[str, int] = {}
        for error in self.errors:
            files.setdefault(error.file, len(files))
        # file by file (in the order first met), then by line; stable, so one line keeps its order
        errors = sorted(self.errors, key=lambda e: (files[e.file], e.line or 0))
        if self.dropped:
            errors.append(FaqFileError(self.source, f"... and {self.dropped} more problems not listed"))
        raise FaqFileErrors(errors)


# --------------------------------------------------------------------------------------------
# value rules shared by every format


def _id_problem(value: str) -> str | None:
    if not value:
        return "id must not be empty"
    if len(value) > MAX_ID_CHARS:
        return f"id is {len(value)} characters long; the limit is {MAX_ID_CHARS}"
    if not ID_PATTERN.fullmatch(value):
        return (
            f"id {value!r} is not kebab-case: use lowercase letters and digits joined by single "
            "hyphens, e.g. 'vpn-setup'"
        )
    return None


def _category_problem(value: str) -> str | None:
    if value in CATEGORIES:
        return None
    return f"unknown category {value!r}{_suggest(value, CATEGORIES)}; use one of: {', '.join(CATEGORIES)}"


def _lang_problem(value: str, where: str) -> str | None:
    if value in LANGUAGES:
        return None
    return f"unknown language {value!r} in {where}; use one of: {', '.join(LANGUAGES)}"


def _text_problem(what: str, value: str, limit: int, *, one_line: bool, no_comma: bool = False) -> str | None:
    text = value.strip()
    if not text:
        return f"{what} must not be empty"
    if len(text) > limit:
        return f"{what} is {len(text)} characters long; the limit is {limit}"
    if one_line and ("\n" in text or "\r" in text):
        return f"{what} must be a single line"
    if no_comma and CSV_TAG_SEPARATOR in text:
        return f"{what} must not contain a comma"
    return None


def _phrasing_problem(what: str, value: str) -> str | None:
    return _text_problem(what, value, MAX_PHRASING_CHARS, one_line=True)


def _answer_problem(what: str, value: str) -> str | None:
    return _text_problem(what, value, MAX_ANSWER_CHARS, one_line=False)


def _tag_problem(what: str, value: str) -> str | None:
    return _text_problem(what, value, MAX_TAG_CHARS, one_line=True, no_comma=True)


def _language_problems(
    question_langs: Iterable[str], answer_langs: Iterable[str], triage_langs: Iterable[str]
) -> list[str]:
    """Every language with an answer needs questions and the other way round; triage likewise."""
    questions, answers = set(question_langs), set(answer_langs)
    problems = [f"answer in {lang!r} but no questions in {lang!r}" for lang in sorted(answers - questions)]
    problems += [f"questions in {lang!r} but no answer in {lang!r}" for lang in sorted(questions - answers)]
    problems += [
        f"triage questions in {lang!r} but no answer in {lang!r}"
        for lang in sorted(set(triage_langs) - answers)
    ]
    return problems


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _dedup(items: Iterable[str]) -> tuple[str, ...]:
    """Drop repeats (ignoring case and repeated spaces), keeping the first spelling and the order."""
    seen: set[str] = set()
    kept: list[str] = []
    for item in items:
        key = " ".join(item.casefold().split())
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return tuple(kept)


def _clean_answer(text: str) -> str:
    """Surrounding whitespace and trailing spaces of each line removed; line breaks as ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


# --------------------------------------------------------------------------------------------
# YAML


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _TAG_NAMES.get(node.tag, f"a value tagged {node.tag!r}")


def _is_map(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and node.tag == _TAG_MAP


def _is_seq(node: yaml.Node) -> bool:
    return isinstance(node, yaml.SequenceNode) and node.tag == _TAG_SEQ


def _is_str(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _TAG_STR


Report = Callable[[str, int], None]


def _text_of(node: yaml.Node, what: str, report: Report) -> str | None:
    """The string in ``node``, or None after reporting why it is not a string."""
    if _is_str(node):
        return str(node.value)
    hint = ""
    if isinstance(node, yaml.ScalarNode) and node.value != "" and node.tag != "tag:yaml.org,2002:null":
        hint = f" (put it in quotes if you mean the text {node.value!r})"
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        report(f"{what} must not be empty", _line(node))
    else:
        report(f"{what} must be text, not {_describe(node)}{hint}", _line(node))
    return None


def _key_name(key: yaml.Node) -> str | None:
    return str(key.value) if isinstance(key, yaml.ScalarNode) else None


def _language_map(node: yaml.Node, what: str, report: Report) -> tuple[list[tuple[str, yaml.Node]], set[str]]:
    """The ``(lang, value node)`` pairs of a per-language mapping, and every language named."""
    pairs: list[tuple[str, yaml.Node]] = []
    langs: set[str] = set()
    if not _is_map(node):
        report(
            f"{what} must be a mapping of language -> value (e.g. 'en: ...'), not {_describe(node)}",
            _line(node),
        )
        return pairs, langs
    first_line: dict[str, int] = {}
    for key, value in node.value:
        lang = _key_name(key)
        if lang is None:
            report(f"{what} has a key that is not a language code", _line(key))
            continue
        if lang in first_line:
            report(f"{what} names language {lang!r} twice (first on line {first_line[lang]})", _line(key))
            continue
        first_line[lang] = _line(key)
        problem = _lang_problem(lang, what)
        if problem:
            report(problem, _line(key))
            continue
        langs.add(lang)
        pairs.append((lang, value))
    return pairs, langs


def _phrasing_lists(
    node: yaml.Node, what: str, report: Report, *, required: bool
) -> tuple[dict[str, tuple[str, ...]], set[str]]:
    """``questions`` or ``triage``: language -> non-empty list of one-line strings."""
    result: dict[str, tuple[str, ...]] = {}
    pairs, langs = _language_map(node, what, report)
    if required and _is_map(node) and not node.value:
        report(f"{what} must have phrasings in at least one language", _line(node))
    for lang, value in pairs:
        where = f"{what}.{lang}"
        if not _is_seq(value):
            report(f"{where} must be a list of phrasings, not {_describe(value)}", _line(value))
            continue
        if not value.value:
            report(f"{where} must not be an empty list", _line(value))
            continue
        if len(value.value) > MAX_PHRASINGS:
            report(f"{where} has {len(value.value)} items; the limit is {MAX_PHRASINGS}", _line(value))
            continue
        items: list[str] = []
        for index, item in enumerate(value.value, 1):
            text = _text_of(item, f"{where}[{index}]", report)
            if text is None:
                continue
            problem = _phrasing_problem(f"{where}[{index}]", text)
            if problem:
                report(problem, _line(item))
                continue
            items.append(text.strip())
        result[lang] = _dedup(items)
    return result, langs


def _answers(node: yaml.Node, report: Report) -> tuple[dict[str, str], set[str]]:
    result: dict[str, str] = {}
    pairs, langs = _language_map(node, "answer", report)
    if _is_map(node) and not node.value:
        report("answer must have a text in at least one language", _line(node))
    for lang, value in pairs:
        text = _text_of(value, f"answer.{lang}", report)
        if text is None:
            continue
        problem = _answer_problem(f"answer.{lang}", text)
        if problem:
            report(problem, _line(value))
            continue
        result[lang] = _clean_answer(text)
    return result, langs


def _tags(node: yaml.Node, report: Report) -> tuple[str, ...]:
    if not _is_seq(node):
        report(f"tags must be a list of words, not {_describe(node)}", _line(node))
        return ()
    tags: list[str] = []
    for index, item in enumerate(node.value, 1):
        text = _text_of(item, f"tags[{index}]", report)
        if text is None:
            continue
        problem = _tag_problem(f"tags[{index}]", text)
        if problem:
            report(problem, _line(item))
            continue
        tags.append(text.strip())
    return _dedup(tags)


def _entry_from_node(
    node: yaml.Node, index: int, problems: _Problems, seen_ids: dict[str, int]
) -> FaqEntry | None:
    """One entry, or None after reporting everything wrong with it."""
    if not _is_map(node):
        problems.add(
            f"entry #{index} must be a mapping with the keys {', '.join(REQUIRED_KEYS)}; "
            f"found {_describe(node)}",
            _line(node),
        )
        return None
    entry_id: str | None = None
    for key, value in node.value:
        if _key_name(key) == "id" and _is_str(value):
            entry_id = str(value.value).strip() or None
            break
    before = len(problems)

    def report(message: str, line: int) -> None:
        problems.add(message, line, entry_id)

    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        name = _key_name(key)
        if name is None:
            report(f"entry #{index} has a key that is not a plain word", _line(key))
        elif name in fields:
            report(f"duplicate key {name!r} (first on line {_line(fields[name][0])})", _line(key))
        elif name not in ENTRY_KEYS:
            report(f"unknown key {name!r}{_suggest(name, ENTRY_KEYS)}", _line(key))
        else:
            fields[name] = (key, value)
    for name in REQUIRED_KEYS:
        if name not in fields:
            report(
                f"missing required key {name!r}" + (f" (entry #{index})" if entry_id is None else ""),
                _line(node),
            )

    new_id = ""
    if "id" in fields:
        value = fields["id"][1]
        text = _text_of(value, "id", report)
        if text is not None:
            new_id = text.strip()
            problem = _id_problem(new_id)
            if problem:
                report(problem, _line(value))
            elif new_id in seen_ids:
                report(f"duplicate id {new_id!r} (first used on line {seen_ids[new_id]})", _line(value))
            else:
                seen_ids[new_id] = _line(value)
    category = ""
    if "category" in fields:
        value = fields["category"][1]
        text = _text_of(value, "category", report)
        if text is not None:
            category = text.strip()
            problem = _category_problem(category)
            if problem:
                report(problem, _line(value))
    questions: dict[str, tuple[str, ...]] = {}
    answer: dict[str, str] = {}
    triage: dict[str, tuple[str, ...]] = {}
    langs_q: set[str] = set()
    langs_a: set[str] = set()
    langs_t: set[str] = set()
    if "questions" in fields:
        questions, langs_q = _phrasing_lists(fields["questions"][1], "questions", report, required=True)
    if "answer" in fields:
        answer, langs_a = _answers(fields["answer"][1], report)
    if "triage" in fields:
        triage, langs_t = _phrasing_lists(fields["triage"][1], "triage", report, required=False)
    if "questions" in fields and "answer" in fields:
        for problem in _language_problems(langs_q, langs_a, langs_t):
            report(problem, _line(node))
    tags: tuple[str, ...] = ()
    if "tags" in fields:
        tags = _tags(fields["tags"][1], report)
    security = False
    if "security" in fields:
        value = fields["security"][1]
        if isinstance(value, yaml.ScalarNode) and value.tag == _TAG_BOOL:
            security = str(value.value).lower() in ("true", "yes", "on", "y")
        else:
            hint = " (write true or false without quotes)" if _is_str(value) else ""
            report(f"security must be true or false, not {_describe(value)}{hint}", _line(value))
    if len(problems) != before:
        return None
    return FaqEntry(
        id=new_id,
        category=category,
        questions=questions,
        answer=answer,
        tags=tags,
        triage=triage,
        security=security,
    )


def _compose(text: str, problems: _Problems) -> tuple[bool, yaml.Node | None]:
    """Parse ``text`` into a node tree (no objects are built); ``(False, None)`` after reporting."""
    try:
        return True, yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = ", ".join(str(part) for part in (exc.context, exc.problem) if part)
        problems.add(f"not valid YAML: {detail}", int(mark.line) + 1 if mark is not None else None)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        problems.add(f"not valid YAML text: character {exc.character!r} is not allowed ({exc.reason})", line)
    except yaml.YAMLError as exc:
        problems.add(f"not valid YAML: {exc}")
    except RecursionError:
        problems.add("not valid YAML: nested too deeply")
    return False, None


def _load_yaml(text: str, problems: _Problems) -> list[FaqEntry]:
    """Entries of one YAML text; problems are recorded, not raised."""
    if text.startswith("\ufeff"):
        text = text[1:]
    ok, root = _compose(text, problems)
    if not ok:
        return []
    if root is None:
        problems.add(
            "the file holds no entries; expected a list of entries, each starting with '- id: ...'", 1
        )
        return []
    if not _is_seq(root):
        hint = ""
        if _is_map(root) and any(_key_name(key) == "id" for key, _ in root.value):
            hint = " (start each entry with '- ')"
        problems.add(f"the top level must be a list of entries, not {_describe(root)}{hint}", _line(root))
        return []
    entries: list[FaqEntry] = []
    seen_ids: dict[str, int] = {}
    for index, node in enumerate(root.value, 1):
        entry = _entry_from_node(node, index, problems, seen_ids)
        if entry is not None:
            entries.append(entry)
    return entries


def load_faq_text(text: str, source: str = "<text>") -> list[FaqEntry]:
    """Parse and validate a YAML knowledge base given as text.

    ``source`` names the text in error messages. Raises :class:`FaqFileErrors` listing every
    problem found; returns the entries (in file order) only when there is none.
    """
    problems = _Problems(source)
    entries = _load_yaml(text, problems)
    problems.raise_if_any()
    return entries


# --------------------------------------------------------------------------------------------
# CSV


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
            problems.add(f"unknown column {name!r}{_suggest(name, CSV_COLUMNS)}", line)
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
            problem = _category_problem(category)
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
            problem = _tag_problem(f"tag #{index}", tag)
            if problem:
                report(problem)
            tags.append(tag.strip())
        merged = _dedup(tags)
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
    elif problem := _lang_problem(lang, "the lang column"):
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
            target[lang] = _dedup(items)
        answer = cells["answer"]
        problem = _answer_problem(f"answer.{lang}", answer)
        if problem:
            report(problem)
        else:
            draft.answer[lang] = _clean_answer(answer)
    if len(problems) != before:
        draft.bad = True


def _load_csv(text: str, problems: _Problems) -> list[FaqEntry]:
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
    entries = _load_csv(text, problems)
    problems.raise_if_any()
    return entries


def dump_faq_csv(entries: Sequence[FaqEntry]) -> str:
    """The entries as CSV (header plus one row per entry per language); see :func:`load_faq_csv`."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        langs = list(entry.questions) + [lang for lang in entry.answer if lang not in entry.questions]
        for lang in langs:
            writer.writerow(
                [
                    entry.id,
                    entry.category,
                    lang,
                    CSV_LIST_SEPARATOR.join(entry.questions.get(lang, ())),
                    entry.answer.get(lang, ""),
                    ", ".join(entry.tags),
                    "true" if entry.security else "",
                    CSV_LIST_SEPARATOR.join(entry.triage.get(lang, ())),
                ]
            )
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# bytes, files and folders


def _decode(data: bytes, problems: _Problems) -> str | None:
    """The text of a file's bytes (UTF-8, with or without BOM; UTF-16 with BOM), or None."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            problems.add("the file starts like UTF-16 text but is not; save it as UTF-8")
            return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    nul = data.find(b"\x00")
    if nul >= 0:
        problems.add(
            "this is a binary file, not text; expected UTF-8 YAML or CSV", data.count(b"\n", 0, nul) + 1
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.add(f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8", line)
        return None


def _format_of(name: str, fmt: str | None) -> str | None:
    if fmt is not None:
        return fmt.lower().lstrip(".")
    suffix = os.path.splitext(name)[1].lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in CSV_SUFFIXES:
        return "csv"
    return None


def _load_bytes(data: bytes, source: str, fmt: str | None, problems: _Problems) -> list[FaqEntry]:
    kind = _format_of(source, fmt)
    if kind not in ("yaml", "yml", "csv"):
        problems.add("unsupported file type; use .yaml, .yml or .csv")
        return []
    if len(data) > MAX_FILE_BYTES:
        problems.add(f"the file is {len(data)} bytes; the limit is {MAX_FILE_BYTES}")
        return []
    text = _decode(data, problems)
    if text is None:
        return []
    return _load_csv(text, problems) if kind == "csv" else _load_yaml(text, problems)


def load_faq_bytes(data: bytes, source: str = "<upload>", fmt: str | None = None) -> list[FaqEntry]:
    """Parse and validate a knowledge base file's raw bytes (e.g. a document uploaded in chat).

    ``fmt`` is ``"yaml"`` or ``"csv"``; by default it follows ``source``'s suffix (``.yaml``,
    ``.yml``, ``.csv``), and a source without a known suffix is read as YAML. Binary or non-UTF-8
    data is reported as a :class:`FaqFileError`, never a traceback.
    """
    if fmt is None and _format_of(source, None) is None:
        fmt = "yaml"
    problems = _Problems(source)
    entries = _load_bytes(data, source, fmt, problems)
    problems.raise_if_any()
    return entries


def _read(path: Path, problems: _Problems) -> bytes | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.add(f"the file is {size} bytes; the limit is {MAX_FILE_BYTES}")
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.add(f"cannot read the file: {exc.strerror or exc}")
        return None


def load_faq_file(path: str | os.PathLike[str]) -> list[FaqEntry]:
    """Parse and validate one YAML file (``.csv`` files are read as CSV)."""
    file = Path(path)
    problems = _Problems(str(path))
    data = _read(file, problems)
    entries: list[FaqEntry] = []
    if data is not None:
        kind = "csv" if file.suffix.lower() in CSV_SUFFIXES else "yaml"
        entries = _load_bytes(data, str(path), kind, problems)
    problems.raise_if_any()
    return entries


def load_faq_path(path: str | os.PathLike[str]) -> list[FaqEntry]:
    """Load a knowledge base from a ``.yaml``/``.yml``/``.csv`` file or a folder of YAML files.

    A folder's ``*.yaml``/``*.yml`` files (not its subfolders, not hidden files) are read in
    name order and concatenated; an id used in two files is an error. Problems of every file
    are reported together.
    """
    where = Path(path)
    problems = _Problems(str(path))
    if where.is_dir():
        files = sorted(
            (
                f
                for f in where.iterdir()
                if f.is_file() and f.suffix.lower() in YAML_SUFFIXES and not f.name.startswith(".")
            ),
            key=lambda f: f.name,
        )
        if not files:
            problems.add("the folder holds no .yaml or .yml files")
        entries: list[FaqEntry] = []
        first_file: dict[str, str] = {}
        for file in files:
            try:
                loaded = load_faq_file(file)
            except FaqFileErrors as exc:
                problems.extend(exc.errors)
                continue
            for entry in loaded:
                if entry.id in first_file:
                    problems.extend(
                        [
                            FaqFileError(
                                str(file), f"duplicate id: also defined in {first_file[entry.id]}", entry.id
                            )
                        ]
                    )
                else:
                    first_file[entry.id] = str(file)
                    entries.append(entry)
        problems.raise_if_any()
        return entries
    if where.is_file():
        if where.suffix.lower() not in YAML_SUFFIXES + CSV_SUFFIXES:
            problems.add("unsupported file type; use .yaml, .yml or .csv (or a folder of .yaml files)")
            problems.raise_if_any()
        return load_faq_file(where)
    problems.add("no such file or folder")
    problems.raise_if_any()
    return []


def load_bundled_faq() -> list[FaqEntry]:
    """The starting FAQ shipped in ``knowledge_base/faq/``."""
    return load_faq_path(BUNDLED_FAQ_DIR)


# --------------------------------------------------------------------------------------------
# writing


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; multi-line text as ``|`` literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(ch in data for ch in _UNICODE_BREAKS):
        style = '"'  # YAML reads these as line breaks anywhere but in escapes
    elif "\n" in data:
        style = "|"
    return dumper.represent_scalar(_TAG_STR, data, style=style)


_Dumper.add_representer(str, _represent_str)


def _entry_mapping(entry: FaqEntry) -> dict[str, Any]:
    data: dict[str, Any] = {"id": entry.id, "category": entry.category}
    if entry.tags:
        data["tags"] = list(entry.tags)
    if entry.security:
        data["security"] = True
    data["questions"] = {lang: list(items) for lang, items in entry.questions.items()}
    data["answer"] = dict(entry.answer)
    if entry.triage:
        data["triage"] = {lang: list(items) for lang, items in entry.triage.items()}
    return data


def dump_faq(entries: Sequence[FaqEntry]) -> str:
    """The entries as YAML in the DESIGN.md format, one blank line between entries.

    Keys come in the order id, category, tags, security (only when true), questions, answer,
    triage; Unicode is written as is; answers with line breaks become ``|`` literal blocks.
    ``load_faq_text(dump_faq(entries)) == entries`` for entries a loader returned.
    """
    if not entries:
        return "[]\n"
    parts = [
        yaml.dump(
            [_entry_mapping(entry)],
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=100_000,
            indent=2,
        )
        for entry in entries
    ]
    return "\n".join(parts)


def save_faq_file(path: str | os.PathLike[str], entries: Sequence[FaqEntry]) -> None:
    """Write the entries to ``path``: CSV for a ``.csv`` name, YAML otherwise (UTF-8)."""
    file = Path(path)
    text = dump_faq_csv(entries) if file.suffix.lower() in CSV_SUFFIXES else dump_faq(entries)
    file.write_text(text, encoding="utf-8", newline="")


def validate_entry(entry: FaqEntry) -> list[str]:
    """Problems with one entry built in code (e.g. edited from chat), as messages; [] when fine.

    The same rules as for files apply. An entry that passes may still differ from its normalised
    form (surrounding spaces, repeated phrasings); ``load_faq_text(dump_faq([entry]))[0]`` gives that.
    """
    try:
        text = dump_faq([entry])
    except yaml.YAMLError as exc:
        return [f"cannot be written as YAML: {exc}"]
    try:
        load_faq_text(text, "<entry>")
    except FaqFileErrors as exc:
        return [error.message for error in exc.errors]
    return []
