"""Labelled query files for calibration: a YAML list of (question, expected entry id or out-of-scope),
checked item by item with clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


class LabelledFileError(ValueError):
    """A labelled-questions file that cannot be read; the message says where and why."""


def _check_item(item: Any, where: str) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise LabelledFileError(
            f"{where}: expected a mapping with 'text' and 'expect', got {type(item).__name__}"
        )
    unknown = set(item) - {"text", "expect"}
    if unknown:
        raise LabelledFileError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    text, expect = item.get("text"), item.get("expect")
    if not isinstance(text, str) or not text.strip():
        raise LabelledFileError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(expect, str) or not expect.strip():
        raise LabelledFileError(f"{where}: 'expect' must be an entry id or 'escalate'")
    return text, expect.strip()


def load_labelled(path: str | Path) -> list[tuple[str, str]]:
    """Read labelled questions: YAML (a list of ``{text, expect}``) or JSON lines (``.jsonl``).

    Raises :class:`LabelledFileError` naming the file and item (or line) on any problem.
    """
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelledFileError(f"{p.name}: cannot read ({exc.strerror or exc})") from exc
    items: list[tuple[str, str]] = []
    if p.suffix.lower() in {".jsonl", ".ndjson", ".json"} and not raw.lstrip().startswith("["):
        for lineno, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelledFileError(f"{p.name}, line {lineno}: invalid JSON ({exc.msg})") from exc
            items.append(_check_item(obj, f"{p.name}, line {lineno}"))
    else:
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise LabelledFileError(f"{p.name}: invalid YAML ({exc})") from exc
        if not isinstance(data, list):
            raise LabelledFileError(f"{p.name}: expected a list of {{text, expect}} items")
        for i, obj in enumerate(data, start=1):
            items.append(_check_item(obj, f"{p.name}, item {i}"))
    if not items:
        raise LabelledFileError(f"{p.name}: no labelled questions")
    return items
