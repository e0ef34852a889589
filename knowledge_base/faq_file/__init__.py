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

The package is cut by idea: :mod:`.validation` (what a valid entry is), :mod:`.yaml_reading` and
:mod:`.csv_reading` (the two formats), :mod:`.reading` (files, folders, uploads) and :mod:`.writing`.

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

from knowledge_base.faq_file.csv_reading import CSV_COLUMNS, load_faq_csv
from knowledge_base.faq_file.reading import (
    BUNDLED_FAQ_DIR,
    load_bundled_faq,
    load_bundled_out_of_scope,
    load_faq_bytes,
    load_faq_file,
    load_faq_path,
    load_out_of_scope_path,
)
from knowledge_base.faq_file.validation import FaqFileError, FaqFileErrors
from knowledge_base.faq_file.writing import dump_faq, dump_faq_csv, save_faq_file, validate_entry
from knowledge_base.faq_file.yaml_reading import load_faq_text

__all__ = [
    "BUNDLED_FAQ_DIR",
    "CSV_COLUMNS",
    "FaqFileError",
    "FaqFileErrors",
    "dump_faq",
    "dump_faq_csv",
    "load_bundled_faq",
    "load_bundled_out_of_scope",
    "load_faq_bytes",
    "load_faq_csv",
    "load_faq_file",
    "load_faq_path",
    "load_faq_text",
    "load_out_of_scope_path",
    "save_faq_file",
    "validate_entry",
]
