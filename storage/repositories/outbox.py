"""The outbox: messages decided but not yet delivered, claimed by one dispatcher at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select

from bot.core.records import (
    DeliveryAttempt,
    DeliveryHealth,
    OutboxItem,
    OutboxStatus,
    QueuedDelivery,
)
from storage.repositories.base import SqlRepository, utcnow
from storage.tables import (
    DeliveryAttemptRow,
    DeliveryHealthRow,
    OutboxRow,
    as_utc,
)


class SqlOutboxRepository(SqlRepository):
    """``OutboxRepository``: messages waiting for the dispatcher."""

    def add(self, item: OutboxItem) -> OutboxItem:
        """Queue ``item``. Its row (and ``item.id``) is written with the unit of work's next query
        of the outbox or its commit, together with the other rows added."""
        return self._insert_later(item)

    def get(self, item_id: int) -> OutboxItem | None:
        """Outbox item ``item_id``, if it exists."""
        return self._by_id(OutboxItem, item_id)

    def by_receipt(self, platform: str, message_id: str) -> OutboxItem | None:
        """The item whose delivery ``platform`` receipted as ``message_id`` (newest if several)."""
        query = (
            select(OutboxRow)
            .where(OutboxRow.platform == platform, OutboxRow.receipt_message_id == message_id)
            .order_by(col(OutboxRow.id).desc())
            .limit(1)
        )
        found = self._records(OutboxItem, query)
        return found[0] if found else None

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
        return won

    # ------------------------------------------------------------------ leases of live workers
    def take(self, item_id: int, worker: str, until: datetime, now: datetime) -> bool:
        """Like :meth:`claim`, and records ``worker`` as the holder of the lease."""
        won = self.claim(item_id, until, now)
        if won:
            self._session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == item_id)
                .values(claimed_by=worker)
                .execution_options(synchronize_session=False)
            )
            tracked = self._uow.identity.tracked(OutboxItem, item_id)
            if tracked is not None:
                tracked.record.claimed_by = worker
                tracked.snapshot["claimed_by"] = worker
        return won

    def queued(
        self,
        platforms: Iterable[str],
        now: datetime,
        limit: int = 500,
        chat_ids: Iterable[str] | None = None,
        also: Iterable[int] = (),
    ) -> list[QueuedDelivery]:
        """The rows that head their chat's queue (its oldest pending row) for ``platforms`` and
        may go at ``now`` (due, or one of the ids in ``also``), oldest first, at most ``limit``:
        the few columns the dispatcher needs to take them."""
        wanted = sorted(set(platforms))
        if not wanted:
            return []
        self._uow.sync()
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        heads = select_columns(func.min(table.c.id)).where(
            table.c.status == OutboxStatus.PENDING.value, table.c.platform.in_(wanted)
        )
        if chat_ids is not None:
            heads = heads.where(table.c.chat_id.in_(sorted(set(chat_ids))))
        heads = heads.group_by(table.c.platform, table.c.chat_id)
        may_go = [table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= as_utc(now)]
        extra = sorted(set(also))
        if extra:
            may_go.append(table.c.id.in_(extra))
        query = (
            select_columns(
                table.c.id, table.c.platform, table.c.chat_id, table.c.next_attempt_at, table.c.claimed_by
            )
            .where(table.c.id.in_(heads.scalar_subquery()), or_(*may_go))
            .order_by(table.c.id)
            .limit(limit)
        )
        return [
            QueuedDelivery(row.id, row.platform, row.chat_id, as_utc(row.next_attempt_at), row.claimed_by)
            for row in self._session.execute(query).all()
        ]

    def take_many(self, item_ids: Iterable[int], worker: str, until: datetime, now: datetime) -> set[int]:
        """Take every item of ``item_ids`` that is still pending and due at ``now`` (one statement):
        a lease in ``worker``'s name until ``until``. Returns the ids won; of two workers racing
        for a row, one wins. A busy SQLite database wins nothing (the rows stay for a later round)."""
        ids = sorted(set(item_ids))
        if not ids:
            return set()
        self._uow.sync()
        moment, lease = as_utc(now), as_utc(until)
        table = OutboxRow.__table__  # type: ignore[attr-defined]
        # Rows another worker is taking right now are skipped, not waited for (PostgreSQL; SQLite
        # has one writer at a time): two workers taking overlapping batches never deadlock.
        free = (
            select_columns(table.c.id)
            .where(
                table.c.id.in_(ids),
                table.c.status == OutboxStatus.PENDING.value,
                or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= moment),
            )
            .order_by(table.c.id)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(table)
            .where(table.c.id.in_(free.scalar_subquery()))
            .values(next_attempt_at=lease, claimed_by=worker)
            .returning(table.c.id)
        )
        try:
            with self._session.begin_nested():
                won = {int(row[0]) for row in self._session.execute(stmt).all()}
        except OperationalError:
            if self._session.get_bind().dialect.name != "sqlite":
                raise
            return set()
        for item_id in won:
            tracked = self._uow.identity.tracked(OutboxItem, item_id)
            if tracked is None:
                continue
            for name, value in (("next_attempt_at", lease), ("claimed_by", worker)):
                setattr(tracked.record, name, value)
                tracked.snapshot[name] = value
        return won

    def get_many(self, item_ids: Iterable[int]) -> dict[int, OutboxItem]:
        """The items of ``item_ids`` that exist, by id (one query)."""
        ids = sorted(set(item_ids))
        if not ids:
            return {}
        found = self._records_of(OutboxItem, "outbox.get_many", _items_statement, ids=ids)
        return {item.id: item for item in found if item.id is not None}

    def renew(self, item_ids: Iterable[int], worker: str, until: datetime) -> int:
        """Extend the leases ``worker`` holds on ``item_ids`` to ``until``; returns how many."""
        ids = sorted(set(item_ids))
        if not ids:
            return 0
        self._uow.sync()
        stmt = (
            update(OutboxRow)
            .where(
                col(OutboxRow.id).in_(ids),
                col(OutboxRow.claimed_by) == worker,
                col(OutboxRow.status) == OutboxStatus.PENDING.value,
            )
            .values(next_attempt_at=as_utc(until))
            .execution_options(synchronize_session=False)
        )
        return int(self._session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def oldest_pending(self, platform: str, chat_ids: Iterable[str] | None = None) -> OutboxItem | None:
        """The oldest pending item for ``platform``: the head of its chat's queue."""
        query = select(OutboxRow).where(
            col(OutboxRow.platform) == platform, col(OutboxRow.status) == OutboxStatus.PENDING.value
        )
        if chat_ids is not None:
            query = query.where(col(OutboxRow.chat_id).in_(sorted(set(chat_ids))))
        return self._first(OutboxItem, query.order_by(col(OutboxRow.id)))

    def release_outage_waits(self, platform: str, now: datetime) -> int:
        """Make every item of ``platform`` that waits out an outage due at ``now`` (the platform
        answered again); items waiting for a rate limit or under a live lease keep their time."""
        self._uow.sync()
        stmt = (
            update(OutboxRow)
            .where(
                col(OutboxRow.platform) == platform,
                col(OutboxRow.status) == OutboxStatus.PENDING.value,
                col(OutboxRow.outage_wait).is_(True),
                col(OutboxRow.claimed_by).is_(None),
            )
            .values(next_attempt_at=as_utc(now), outage_wait=False)
            .execution_options(synchronize_session=False)
        )
        return int(self._session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def pending_count(self, platform: str) -> int:
        """How many items wait for ``platform``."""
        self._uow.sync()
        stmt = (
            select(func.count())
            .select_from(OutboxRow)
            .where(col(OutboxRow.platform) == platform, col(OutboxRow.status) == OutboxStatus.PENDING.value)
        )
        return int(self._session.execute(stmt).scalar_one())

    def card_pending(self, ticket_id: int) -> bool:
        """Whether the ticket's desk card is still waiting to be delivered."""
        self._uow.sync()
        stmt = select(OutboxRow.id).where(
            OutboxRow.ticket_id == ticket_id,
            OutboxRow.purpose == "card",
            OutboxRow.status == OutboxStatus.PENDING.value,
        )
        return self._session.execute(stmt.limit(1)).first() is not None

    # ------------------------------------------------------------------------------ attempts
    def start_attempt(self, attempt: DeliveryAttempt) -> DeliveryAttempt:
        """Record that ``attempt`` starts (before the send; written with the batch's other
        attempts at the commit that precedes the sends)."""
        return self._insert_later(attempt)

    def attempts(self, item_id: int) -> list[DeliveryAttempt]:
        """Every attempt at item ``item_id``, first first."""
        query = select(DeliveryAttemptRow).where(DeliveryAttemptRow.outbox_id == item_id)
        return self._records(DeliveryAttempt, query.order_by(col(DeliveryAttemptRow.attempt)))

    def attempts_of(self, item_ids: Iterable[int]) -> dict[int, list[DeliveryAttempt]]:
        """Every attempt at each of ``item_ids``, first first (one query); items without any are
        left out."""
        ids = sorted(set(item_ids))
        if not ids:
            return {}
        found: dict[int, list[DeliveryAttempt]] = {}
        for attempt in self._records_of(DeliveryAttempt, "outbox.attempts_of", _attempts_statement, ids=ids):
            found.setdefault(attempt.outbox_id, []).append(attempt)
        return found

    def status_counts(self) -> dict[str, dict[str, int]]:
        """How many rows are pending and failed, per platform (for the metrics page)."""
        self._uow.sync()
        query = (
            select(OutboxRow.status, OutboxRow.platform, func.count())
            .where(col(OutboxRow.status).in_(("pending", "failed")))
            .group_by(col(OutboxRow.status), col(OutboxRow.platform))
        )
        counts: dict[str, dict[str, int]] = {}
        for status, platform, n in self._session.execute(query).all():
            counts.setdefault(str(status), {})[str(platform)] = int(n)
        return counts

    # ------------------------------------------------------------------------ platform health
    def health(self, platform: str) -> DeliveryHealth | None:
        """How deliveries to ``platform`` are going, if anything was recorded."""
        self._uow.sync()
        row = self._session.get(DeliveryHealthRow, platform)
        if row is None:
            return None
        return DeliveryHealth(**{f.name: getattr(row, f.name) for f in fields(DeliveryHealth)})

    def _health_row(self, platform: str) -> DeliveryHealthRow:
        self._uow.sync()
        row = self._session.get(DeliveryHealthRow, platform, with_for_update=True)
        if row is None:
            try:
                with self._session.begin_nested():
                    self._session.add(DeliveryHealthRow(platform=platform))
            except IntegrityError:
                pass  # another worker inserted it first
            row = self._session.get(DeliveryHealthRow, platform, with_for_update=True)
            assert row is not None
        return row

    def note_failure(self, platform: str, now: datetime, error: str) -> DeliveryHealth:
        """A temporary failure on ``platform``: opens an outage unless one is open."""
        row = self._health_row(platform)
        if row.failing_since is None:
            row.failing_since = as_utc(now)
            row.alerted_at = None
        row.last_failure_at = as_utc(now)
        row.last_error = error[:500]
        self._session.flush()
        return DeliveryHealth(**{f.name: getattr(row, f.name) for f in fields(DeliveryHealth)})

    def note_success(self, platform: str, now: datetime) -> DeliveryHealth | None:
        """A delivery to ``platform`` worked: closes the open outage and returns it as it was
        (None when there was none, the common case, which costs one small read)."""
        self._uow.sync()
        table = DeliveryHealthRow.__table__  # type: ignore[attr-defined]
        failing = self._session.execute(
            select_columns(table.c.failing_since).where(table.c.platform == platform)
        ).scalar_one_or_none()
        if failing is None:
            return None
        row = self._health_row(platform)
        if row.failing_since is None:
            return None
        closed = DeliveryHealth(**{f.name: getattr(row, f.name) for f in fields(DeliveryHealth)})
        row.failing_since = None
        row.alerted_at = None
        row.last_success_at = as_utc(now)
        self._session.flush()
        return closed

    def mark_alerted(self, platform: str, since: datetime, now: datetime) -> bool:
        """Take the right to tell the desk of the outage that began at ``since`` (once)."""
        self._uow.sync()
        stmt = (
            update(DeliveryHealthRow)
            .where(
                col(DeliveryHealthRow.platform) == platform,
                col(DeliveryHealthRow.failing_since) == as_utc(since),
                col(DeliveryHealthRow.alerted_at).is_(None),
            )
            .values(alerted_at=as_utc(now))
            .execution_options(synchronize_session=False)
        )
        return int(self._session.execute(stmt).rowcount) == 1  # type: ignore[attr-defined]

    def take_probe(self, platform: str, now: datetime, every: timedelta) -> bool:
        """Take the right to probe ``platform`` during an outage (at most once per ``every``)."""
        self._uow.sync()
        moment = as_utc(now)
        assert moment is not None
        stmt = (
            update(DeliveryHealthRow)
            .where(
                col(DeliveryHealthRow.platform) == platform,
                col(DeliveryHealthRow.failing_since).is_not(None),
                or_(
                    col(DeliveryHealthRow.last_probe_at).is_(None),
                    col(DeliveryHealthRow.last_probe_at) <= moment - every,
                ),
            )
            .values(last_probe_at=moment)
            .execution_options(synchronize_session=False)
        )
        return int(self._session.execute(stmt).rowcount) == 1  # type: ignore[attr-defined]


def _items_statement() -> Any:
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    return select_columns(table).where(table.c.id.in_(bindparam("ids", expanding=True)))


def _attempts_statement() -> Any:
    table = DeliveryAttemptRow.__table__  # type: ignore[attr-defined]
    return (
        select_columns(table)
        .where(table.c.outbox_id.in_(bindparam("ids", expanding=True)))
        .order_by(table.c.attempt)
    )
