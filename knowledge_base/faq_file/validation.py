"""What a valid FAQ entry is: limits, the checks on ids, categories, languages and texts, and the
errors that name the file, line and entry."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from bot.core.types import CATEGORIES, LANGUAGES

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


CSV_TAG_SEPARATOR = ","
"""Tags in one CSV cell: separated by commas (written as ``", "``)."""


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


def category_problem(value: str) -> str | None:
    if value in CATEGORIES:
        return None
    return f"unknown category {value!r}{suggest(value, CATEGORIES)}; use one of: {', '.join(CATEGORIES)}"


def lang_problem(value: str, where: str) -> str | None:
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


def tag_problem(what: str, value: str) -> str | None:
    return _text_problem(what, value, MAX_TAG_CHARS, one_line=True, no_comma=True)


def language_problems(
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


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def dedup(items: Iterable[str]) -> tuple[str, ...]:
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
