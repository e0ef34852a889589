"""The audit log of privileged actions."""

from __future__ import annotations

from sqlmodel import col, select

from bot.core.records import (
    AuditEntry,
)
from storage.repositories.base import SqlRepository
from storage.tables import (
    AuditRow,
)


class SqlAuditRepository(SqlRepository):
    """``AuditRepository``: privileged actions."""

    def add(self, entry: AuditEntry) -> None:
        """Record ``entry`` (sets ``entry.id``)."""
        self._insert(entry)

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The last ``limit`` entries, newest first."""
        return self._records(AuditEntry, select(AuditRow).order_by(col(AuditRow.id).desc()).limit(limit))
