"""The outbox: messages decided but not yet delivered, claimed by one dispatcher at a time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select

from bot.core.records import (
    OutboxItem,
    OutboxStatus,
)
from storage.repositories.base import SqlRepository, utcnow
from storage.tables import (
    OutboxRow,
    as_utc,
)


class SqlOutboxRepository(SqlRepository):
    """``OutboxRepository``: messages waiting for the dispatcher."""

    def add(self, item: OutboxItem) -> OutboxItem:
        """Queue ``item``; sets and returns it with its ``id``."""
        return self._insert(item)

    def get(self, item_id: int) -> OutboxItem | None:
        """Outbox item ``item_id``, if it exists."""
        return self._by_id(OutboxItem, item_id)

    def due(
        self, now: datetime, platforms: Iterable[str], limit: int = 50, chat_ids: Iterable[str] | None = None
    ) -> list[OutboxItem]:
        """Pending items for ``platforms`` (and, if given, only those ``chat_ids``) whose
        ``next_attempt_at`` is unset or ``<= now``, oldest first."""
        wanted = sorted(set(platforms))
        if not wanted:
            return []
        query = select(OutboxRow).where(
            OutboxRow.status == OutboxStatus.PENDING.value,
            col(OutboxRow.platform).in_(wanted),
            or_(col(OutboxRow.next_attempt_at).is_(None), col(OutboxRow.next_attempt_at) <= now),
        )
        if chat_ids is not None:
            query = query.where(col(OutboxRow.chat_id).in_(sorted(set(chat_ids))))
        return self._records(OutboxItem, query.order_by(col(OutboxRow.id)).limit(limit))

    def claim(self, item_id: int, until: datetime, now: datetime | None = None) -> bool:
        """Take item ``item_id`` for delivery until ``until``; True only for the one caller that won.

        One atomic conditional ``UPDATE`` sets ``next_attempt_at = until`` where the item is still
        pending and:

        - if this unit of work already read the item (``due()``/``get()``), its ``next_attempt_at``
          is still the value read then (compare-and-set: whoever changed it first wins);
        - otherwise it is due: unset or ``<= now`` (``now`` defaults to the wall clock).

        It runs in this unit of work's transaction: the claim becomes visible to other processes
        on ``commit()``, so use a short unit of work and commit right after a successful claim,
        before sending (PostgreSQL holds the row lock, SQLite the write lock, until then). A claim
        that meets a busy SQLite database returns False (the item stays pending for a later round).
        """
        now = as_utc(now)
        tracked = self._uow.identity.tracked(OutboxItem, item_id)
        condition: list[ColumnElement[bool]] = [
            col(OutboxRow.id) == item_id,
            col(OutboxRow.status) == OutboxStatus.PENDING.value,
        ]
        if tracked is not None:
            seen = tracked.snapshot["next_attempt_at"]
            if now is not None and seen is not None and seen > now:
                return False
            next_col = col(OutboxRow.next_attempt_at)
            condition.append(next_col.is_(None) if seen is None else next_col == seen)
        else:
            moment = now if now is not None else utcnow()
            condition.append(
                or_(col(OutboxRow.next_attempt_at).is_(None), col(OutboxRow.next_attempt_at) <= moment)
            )
        self._uow.sync()
        stmt = (
            update(OutboxRow)
            .where(and_(*condition))
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        try:
            with self._session.begin_nested():
                won = self._session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
        except OperationalError:
            if self._session.get_bind().dialect.name != "sqlite":
                raise
            return False
        if won and tracked is not None:
            tracked.record.next_attempt_at = as_utc(until)
            tracked.snapshot["next_attempt_at"] = as_utc(until)
            tracked.row.next_attempt_at = as_utc(until)
        return won
