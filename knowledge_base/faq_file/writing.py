"""Writing the FAQ in the import formats (YAML and CSV), so an export imports back unchanged."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.core.types import FaqEntry
from knowledge_base.faq_file.csv_reading import CSV_COLUMNS, CSV_LIST_SEPARATOR
from knowledge_base.faq_file.reading import CSV_SUFFIXES
from knowledge_base.faq_file.validation import FaqFileErrors
from knowledge_base.faq_file.yaml_reading import TAG_STR, UNICODE_BREAKS, load_faq_text


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


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; multi-line text as ``|`` literal blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(ch in data for ch in UNICODE_BREAKS):
        style = '"'  # YAML reads these as line breaks anywhere but in escapes
    elif "\n" in data:
        style = "|"
    return dumper.represent_scalar(TAG_STR, data, style=style)


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
