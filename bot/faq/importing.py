"""FAQ changes that several entry points share (command line import, chat editing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.core.ports import UnitOfWork
from bot.core.types import FaqEntry


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"
        )


def _same_content(a: FaqEntry, b: FaqEntry) -> bool:
    return replace(a, version=0) == replace(b, version=0)


def import_entries(
    uow: UnitOfWork, entries: Sequence[FaqEntry], *, author: str, replace_all: bool = False
) -> ImportSummary:
    """Merge ``entries`` by id (or replace the whole FAQ). The caller commits.

    Entries are validated by the loader before this runs, so nothing here can half-apply a file.
    """
    current = {entry.id: entry for entry in uow.faq.all()}
    added = updated = unchanged = removed = 0
    for entry in entries:
        existing = current.get(entry.id)
        if existing is None:
            uow.faq.put(entry, author, "import")
            added += 1
        elif _same_content(existing, entry):
            unchanged += 1
        else:
            uow.faq.put(entry, author, "import")
            updated += 1
    if replace_all:
        incoming = {entry.id for entry in entries}
        for entry_id in current:
            if entry_id not in incoming:
                uow.faq.delete(entry_id, author, "import --replace")
                removed += 1
    return ImportSummary(added, updated, unchanged, removed)
