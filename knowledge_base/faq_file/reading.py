"""Loading FAQ files, folders and uploads: size and encoding checks, then the YAML or CSV reader."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from bot.core.types import FaqEntry
from knowledge_base.faq_file.csv_reading import load_csv
from knowledge_base.faq_file.validation import (
    MAX_FILE_BYTES,
    MAX_PHRASING_CHARS,
    FaqFileError,
    FaqFileErrors,
    _Problems,
)
from knowledge_base.faq_file.yaml_reading import load_yaml

BUNDLED_FAQ_DIR = Path(__file__).resolve().parent.parent / "faq"
BUNDLED_OUT_OF_SCOPE = BUNDLED_FAQ_DIR / "out_of_scope.txt"
"""Generic questions an IT help desk is sent that no IT FAQ answers (facilities, HR, small talk...)."""
"""The starting FAQ shipped with the product (a folder of YAML files)."""

YAML_SUFFIXES = (".yaml", ".yml")

CSV_SUFFIXES = (".csv",)


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
    return load_csv(text, problems) if kind == "csv" else load_yaml(text, problems)


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


MAX_OUT_OF_SCOPE = 20_000
"""Known out-of-scope questions a file may list."""


def load_out_of_scope_path(path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Questions the FAQ does not answer, from a UTF-8 text file: one per line; blank lines and
    lines starting with ``#`` are skipped, repeats (ignoring case) kept once. Every problem is
    reported together (:class:`FaqFileErrors`)."""
    file = Path(path)
    problems = _Problems(str(path))
    data = _read(file, problems)
    text = _decode(data, problems) if data is not None else None
    questions: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = " ".join(raw.split())
        if not line or line.startswith("#"):
            continue
        if len(line) > MAX_PHRASING_CHARS:
            problems.add(f"the question is {len(line)} characters; the limit is {MAX_PHRASING_CHARS}", number)
        elif line.casefold() not in seen:
            seen.add(line.casefold())
            questions.append(line)
    if text is not None and not questions:
        problems.add("the file lists no questions (one per line)")
    if len(questions) > MAX_OUT_OF_SCOPE:
        problems.add(f"the file lists {len(questions)} questions; the limit is {MAX_OUT_OF_SCOPE}")
    problems.raise_if_any()
    return tuple(questions)


def load_bundled_out_of_scope() -> tuple[str, ...]:
    """The generic out-of-scope questions shipped with the helpdesk (:data:`BUNDLED_OUT_OF_SCOPE`)."""
    return load_out_of_scope_path(BUNDLED_OUT_OF_SCOPE)
