"""Reading the YAML FAQ format: every problem reported with its line, nothing half-loaded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from bot.core.types import FaqEntry
from knowledge_base.faq_file.validation import (
    ENTRY_KEYS,
    MAX_PHRASINGS,
    REQUIRED_KEYS,
    _answer_problem,
    _clean_answer,
    _id_problem,
    _phrasing_problem,
    _Problems,
    category_problem,
    dedup,
    lang_problem,
    language_problems,
    suggest,
    tag_problem,
)

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML was built with it (20x faster), else the pure-Python one."""

UNICODE_BREAKS = ("\x85", "\u2028", "\u2029")

TAG_STR = "tag:yaml.org,2002:str"

_TAG_BOOL = "tag:yaml.org,2002:bool"

_TAG_MAP = "tag:yaml.org,2002:map"

_TAG_SEQ = "tag:yaml.org,2002:seq"

_TAG_NAMES = {
    TAG_STR: "text",
    _TAG_BOOL: "true/false",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "nothing (null)",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:binary": "binary data",
}


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
    return isinstance(node, yaml.ScalarNode) and node.tag == TAG_STR


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
        problem = lang_problem(lang, what)
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
        result[lang] = dedup(items)
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
        problem = tag_problem(f"tags[{index}]", text)
        if problem:
            report(problem, _line(item))
            continue
        tags.append(text.strip())
    return dedup(tags)


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
            report(f"unknown key {name!r}{suggest(name, ENTRY_KEYS)}", _line(key))
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
            problem = category_problem(category)
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
        for problem in language_problems(langs_q, langs_a, langs_t):
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


def load_yaml(text: str, problems: _Problems) -> list[FaqEntry]:
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
    entries = load_yaml(text, problems)
    problems.raise_if_any()
    return entries
