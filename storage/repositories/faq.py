"""FAQ entries, their versions and the runtime settings stored beside them."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from bot.core.records import (
    FaqVersion,
)
from bot.core.types import FaqEntry
from storage.repositories.base import MAPPERS, SqlRepository, utcnow
from storage.tables import (
    FaqEntryRow,
    FaqMetaRow,
    FaqVersionRow,
    SettingRow,
)


class SqlFaqRepository(SqlRepository):
    """``FaqRepository``: the versioned knowledge base and run-time settings.

    ``revision()`` grows on every FAQ change and on every changed setting (settings such as the
    matcher thresholds feed the same caches).
    """

    def all(self) -> list[FaqEntry]:
        """Every current (not deleted) entry, by id."""
        rows = self._session.scalars(
            select(FaqEntryRow).where(col(FaqEntryRow.deleted).is_(False)).order_by(col(FaqEntryRow.entry_id))
        ).all()
        return [FaqEntry.from_data(row.data, row.version) for row in rows]

    def get(self, entry_id: str) -> FaqEntry | None:
        """The current entry ``entry_id`` (None when unknown or deleted)."""
        row = self._session.get(FaqEntryRow, entry_id)
        if row is None or row.deleted:
            return None
        return FaqEntry.from_data(row.data, row.version)

    def put(self, entry: FaqEntry, author: str, note: str = "") -> FaqEntry:
        """Store ``entry`` as a new version if its content changed; returns it with its version."""
        data = entry.to_data()
        row = self._session.get(FaqEntryRow, entry.id)
        if row is not None and not row.deleted and row.data == data:
            return dataclasses.replace(entry, version=row.version)
        version = self._write_version(entry.id, row, data, author, note, deleted=False)
        return dataclasses.replace(entry, version=version)

    def delete(self, entry_id: str, author: str, note: str = "") -> bool:
        """Soft-delete ``entry_id`` (a new version marked deleted); False when there was nothing."""
        row = self._session.get(FaqEntryRow, entry_id)
        if row is None or row.deleted:
            return False
        self._write_version(entry_id, row, copy.deepcopy(row.data), author, note, deleted=True)
        return True

    def _write_version(
        self,
        entry_id: str,
        row: FaqEntryRow | None,
        data: dict[str, Any],
        author: str,
        note: str,
        deleted: bool,
    ) -> int:
        now = utcnow()
        latest = self._session.scalar(
            select(func.max(FaqVersionRow.version)).where(FaqVersionRow.entry_id == entry_id)
        )
        version = max(latest or 0, row.version if row is not None else 0) + 1
        self._session.add(
            FaqVersionRow(
                entry_id=entry_id,
                version=version,
                data=data,
                author=author,
                note=note,
                deleted=deleted,
                at=now,
            )
        )
        if row is None:
            row = FaqEntryRow(entry_id=entry_id)
            self._session.add(row)
        row.data = copy.deepcopy(data)
        row.version = version
        row.deleted = deleted
        row.updated_at = now
        self._bump_revision()
        self._session.flush()
        return version

    def history(self, entry_id: str) -> list[FaqVersion]:
        """Every stored version of ``entry_id``, oldest first (not tracked: history is read-only)."""
        mapper = MAPPERS[FaqVersion]
        rows = self._session.scalars(
            select(FaqVersionRow)
            .where(FaqVersionRow.entry_id == entry_id)
            .order_by(col(FaqVersionRow.version))
        ).all()
        return [mapper.to_record(row) for row in rows]

    def revision(self) -> int:
        """A number that grows on every FAQ (or setting) change, for cache invalidation."""
        value = self._session.scalar(select(FaqMetaRow.revision).where(FaqMetaRow.id == 1))
        return int(value or 0)

    def _bump_revision(self) -> None:
        result = self._session.execute(
            update(FaqMetaRow)
            .where(col(FaqMetaRow.id) == 1)
            .values(revision=col(FaqMetaRow.revision) + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            self._session.add(FaqMetaRow(id=1, revision=1))
            self._session.flush()

    def get_setting(self, key: str) -> Any:
        """The JSON value stored under ``key`` (None when unset)."""
        row = self._session.get(SettingRow, key)
        return None if row is None else copy.deepcopy(row.value)

    def set_setting(self, key: str, value: Any) -> None:
        """Store the JSON value ``value`` under ``key`` (bumps ``revision()`` when it changed)."""
        value = json.loads(json.dumps(value))  # as it will come back (tuples as lists)
        row = self._session.get(SettingRow, key)
        if row is not None and row.value == value:
            return
        if row is None:
            row = SettingRow(key=key)
            self._session.add(row)
        row.value = value
        row.updated_at = utcnow()
        self._bump_revision()
        self._session.flush()
