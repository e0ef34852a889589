"""The SQL unit of work and its repositories (implementing the Protocols in :mod:`bot.core.ports`).

Repositories hand out the plain dataclasses of :mod:`bot.core.records`. Each unit of work keeps an
identity map: the same row always comes back as the same dataclass object, and changes the engine
makes to those objects are copied back into the rows before every query (so queries see them) and
on :meth:`SqlUnitOfWork.commit`. Leaving the ``with`` block without committing rolls everything
back; :meth:`SqlUnitOfWork.rollback` also forgets the objects handed out so far (later changes to
them are not saved).

Outbox claims (:meth:`SqlOutboxRepository.claim`) run in the unit of work's own transaction: use
a short unit of work per claim and ``commit()`` right after a successful one, before sending.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from enum import Enum
from types import TracebackType
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine, and_, func, or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import SQLModel, col, select

from bot.core.ports import (
    AuditRepository,
    ConversationRepository,
    DraftRepository,
    DuplicateEventError,
    FaqRepository,
    JobRunRepository,
    MessageRepository,
    OutboxRepository,
    TicketRepository,
    UserRepository,
)
from bot.core.records import (
    OPEN_STATUSES,
    AuditEntry,
    Conversation,
    DraftStatus,
    FaqDraft,
    FaqVersion,
    OutboxItem,
    OutboxStatus,
    StoredMessage,
    Ticket,
    TicketEvent,
    UserRecord,
)
from bot.core.types import FaqEntry
from storage.tables import (
    AuditRow,
    ConversationRow,
    FaqEntryRow,
    FaqMetaRow,
    FaqVersionRow,
    MessageRow,
    OutboxRow,
    SettingRow,
    TicketEventRow,
    TicketRow,
    UserRow,
    as_utc,
)
from storage.tables_drafts import FaqDraftRow
from storage.uow_jobs import SqlJobRunRepository

R = TypeVar("R")  # a record dataclass
W = TypeVar("W", bound=SQLModel)  # its table row

# Fields filled with the current time when a record is added without them.
_STAMPED_ON_ADD = ("created_at", "at")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _to_db(value: Any) -> Any:
    """A record value as the row holds it (enums as their value, JSON copied, times in UTC)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value


def _from_db(value: Any) -> Any:
    """A row value as a record holds it (JSON copied so records never share it with rows)."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value


class RecordMapper(Generic[R, W]):
    """Copies same-named fields between a record dataclass and a table row."""

    def __init__(self, record_cls: type[R], row_cls: type[W]):
        self.record_cls = record_cls
        self.row_cls = row_cls
        self.names: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(record_cls))  # type: ignore[arg-type]
        missing = [n for n in self.names if n not in row_cls.model_fields]
        if missing:
            raise TypeError(f"{row_cls.__name__} lacks columns for {record_cls.__name__}: {missing}")

    def new_row(self, record: R) -> W:
        """A row holding ``record``'s values (``id`` left to the database when unset)."""
        values = {n: _to_db(getattr(record, n)) for n in self.names}
        if values.get("id") is None:
            values.pop("id", None)
        return self.row_cls(**values)

    def to_record(self, row: W) -> R:
        """A new record holding ``row``'s values."""
        return self.record_cls(**{n: _from_db(getattr(row, n)) for n in self.names})

    def refresh_record(self, record: R, row: W) -> None:
        """Copy every value of ``row`` into ``record`` (after an insert filled ids and times)."""
        for n in self.names:
            setattr(record, n, _from_db(getattr(row, n)))

    def snapshot(self, record: R) -> dict[str, Any]:
        """A deep copy of ``record``'s values, to tell later what changed."""
        return {n: copy.deepcopy(getattr(record, n)) for n in self.names}

    def write_back(self, record: R, row: W, snapshot: dict[str, Any]) -> bool:
        """Copy the fields of ``record`` changed since ``snapshot`` into ``row``; update the snapshot."""
        changed = False
        for n in self.names:
            value = getattr(record, n)
            if n == "id" or value == snapshot[n]:
                continue
            setattr(row, n, _to_db(value))
            snapshot[n] = copy.deepcopy(value)
            changed = True
        return changed


_MAPPERS: dict[type[Any], RecordMapper[Any, Any]] = {
    UserRecord: RecordMapper(UserRecord, UserRow),
    Conversation: RecordMapper(Conversation, ConversationRow),
    Ticket: RecordMapper(Ticket, TicketRow),
    TicketEvent: RecordMapper(TicketEvent, TicketEventRow),
    StoredMessage: RecordMapper(StoredMessage, MessageRow),
    OutboxItem: RecordMapper(OutboxItem, OutboxRow),
    AuditEntry: RecordMapper(AuditEntry, AuditRow),
    FaqVersion: RecordMapper(FaqVersion, FaqVersionRow),
    FaqDraft: RecordMapper(FaqDraft, FaqDraftRow),
}


@dataclasses.dataclass
class _Tracked:
    record: Any
    row: Any
    mapper: RecordMapper[Any, Any]
    snapshot: dict[str, Any]


class _IdentityMap:
    """The records handed out by one unit of work, with their rows and last saved values."""

    def __init__(self) -> None:
        self._items: dict[tuple[type[Any], Any], _Tracked] = {}

    def get(self, row_cls: type[Any], key: Any) -> Any | None:
        tracked = self._items.get((row_cls, key))
        return tracked.record if tracked is not None else None

    def tracked(self, record_cls: type[Any], key: Any) -> _Tracked | None:
        return self._items.get((_MAPPERS[record_cls].row_cls, key))

    def record_for(self, row: Any, mapper: RecordMapper[Any, Any]) -> Any:
        """The record for ``row``: the one already handed out, or a new tracked one."""
        key = (type(row), row.id)
        tracked = self._items.get(key)
        if tracked is None:
            record = mapper.to_record(row)
            tracked = _Tracked(record, row, mapper, mapper.snapshot(record))
            self._items[key] = tracked
        return tracked.record

    def attach(self, record: Any, row: Any, mapper: RecordMapper[Any, Any]) -> None:
        """Track a freshly inserted ``record``."""
        mapper.refresh_record(record, row)
        self._items[(type(row), row.id)] = _Tracked(record, row, mapper, mapper.snapshot(record))

    def write_back(self) -> None:
        for tracked in self._items.values():
            tracked.mapper.write_back(tracked.record, tracked.row, tracked.snapshot)

    def clear(self) -> None:
        self._items.clear()


class _Base:
    """Shared plumbing of the repositories of one unit of work."""

    def __init__(self, uow: SqlUnitOfWork):
        self._uow = uow

    @property
    def _session(self) -> Session:
        return self._uow.session

    def _records(self, record_cls: type[R], stmt: Select[Any]) -> list[R]:
        self._uow.sync()
        mapper = _MAPPERS[record_cls]
        return [self._uow.identity.record_for(row, mapper) for row in self._session.scalars(stmt).all()]

    def _first(self, record_cls: type[R], stmt: Select[Any]) -> R | None:
        found = self._records(record_cls, stmt.limit(1))
        return found[0] if found else None

    def _by_id(self, record_cls: type[R], record_id: int) -> R | None:
        mapper = _MAPPERS[record_cls]
        known = self._uow.identity.get(mapper.row_cls, record_id)
        if known is not None:
            return known  # type: ignore[no-any-return]
        self._uow.sync()
        row = self._session.get(mapper.row_cls, record_id)
        return None if row is None else self._uow.identity.record_for(row, mapper)  # type: ignore[no-any-return]

    def _insert(self, record: R) -> R:
        mapper = _MAPPERS[type(record)]
        for name in _STAMPED_ON_ADD:
            if name in mapper.names and getattr(record, name) is None:
                setattr(record, name, _utcnow())
        self._uow.sync()
        row = mapper.new_row(record)
        self._session.add(row)
        self._session.flush()
        self._uow.identity.attach(record, row, mapper)
        return record


class SqlUserRepository(_Base):
    """``UserRepository``: people by platform identity."""

    def get(self, platform: str, user_id: str) -> UserRecord | None:
        """The user ``platform``/``user_id``, if known."""
        return self._first(
            UserRecord, select(UserRow).where(UserRow.platform == platform, UserRow.user_id == user_id)
        )

    def add(self, user: UserRecord) -> UserRecord:
        """Insert ``user``; sets and returns it with its ``id``."""
        return self._insert(user)


class SqlConversationRepository(_Base):
    """``ConversationRepository``: one conversation per (platform, chat, user)."""

    def get(self, platform: str, chat_id: str, user_id: str) -> Conversation | None:
        """The conversation of ``user_id`` in ``chat_id``, if any."""
        return self._first(
            Conversation,
            select(ConversationRow).where(
                ConversationRow.platform == platform,
                ConversationRow.chat_id == chat_id,
                ConversationRow.user_id == user_id,
            ),
        )

    def add(self, conversation: Conversation) -> Conversation:
        """Insert ``conversation``; sets and returns it with its ``id``."""
        return self._insert(conversation)

    def for_ticket(self, ticket_id: int) -> Conversation | None:
        """The (most recently changed) conversation attached to ``ticket_id``."""
        return self._first(
            Conversation,
            select(ConversationRow)
            .where(ConversationRow.ticket_id == ticket_id)
            .order_by(col(ConversationRow.id).desc()),
        )


class SqlTicketRepository(_Base):
    """``TicketRepository``: tickets and their history."""

    def add(self, ticket: Ticket) -> Ticket:
        """Insert ``ticket``; sets ``id`` (its number) and returns it."""
        return self._insert(ticket)

    def get(self, ticket_id: int) -> Ticket | None:
        """Ticket ``ticket_id``, if it exists."""
        return self._by_id(Ticket, ticket_id)

    def by_desk_thread(self, platform: str, chat_id: str, thread_id: str) -> Ticket | None:
        """The ticket whose desk thread is ``thread_id`` in desk chat ``chat_id``."""
        return self._first(
            Ticket,
            select(TicketRow)
            .where(
                TicketRow.desk_platform == platform,
                TicketRow.desk_chat_id == chat_id,
                TicketRow.desk_thread_id == thread_id,
            )
            .order_by(col(TicketRow.id).desc()),
        )

    def open_for_requester(self, platform: str, user_id: str) -> list[Ticket]:
        """The requester's open tickets (status in ``OPEN_STATUSES``), oldest first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(
                TicketRow.requester_platform == platform,
                TicketRow.requester_id == user_id,
                col(TicketRow.status).in_([str(s) for s in OPEN_STATUSES]),
            )
            .order_by(col(TicketRow.id)),
        )

    def list_open(self) -> list[Ticket]:
        """Every open ticket, oldest first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(col(TicketRow.status).in_([str(s) for s in OPEN_STATUSES]))
            .order_by(col(TicketRow.id)),
        )

    def list_created_between(self, start: datetime, end: datetime) -> list[Ticket]:
        """Tickets created in ``[start, end)``, oldest first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(col(TicketRow.created_at) >= start, col(TicketRow.created_at) < end)
            .order_by(col(TicketRow.created_at), col(TicketRow.id)),
        )

    def add_event(self, event: TicketEvent) -> None:
        """Append ``event`` to its ticket's history (sets ``event.id``)."""
        self._insert(event)

    def events(self, ticket_id: int) -> list[TicketEvent]:
        """The history of ``ticket_id``, oldest first."""
        return self._records(
            TicketEvent,
            select(TicketEventRow)
            .where(TicketEventRow.ticket_id == ticket_id)
            .order_by(col(TicketEventRow.id)),
        )

    def events_for(self, ticket_ids: Iterable[int]) -> dict[int, list[TicketEvent]]:
        """The histories of many tickets at once (for reports and jobs), each oldest first."""
        wanted = sorted(set(ticket_ids))
        found: dict[int, list[TicketEvent]] = {ticket_id: [] for ticket_id in wanted}
        for i in range(0, len(wanted), 500):
            stmt = (
                select(TicketEventRow)
                .where(col(TicketEventRow.ticket_id).in_(wanted[i : i + 500]))
                .order_by(col(TicketEventRow.id))
            )
            for event in self._records(TicketEvent, stmt):
                found[event.ticket_id].append(event)
        return found

    def resolved_between(self, start: datetime, end: datetime) -> list[Ticket]:
        """Tickets whose ``resolved_at`` is in ``[start, end)``, oldest resolution first."""
        return self._records(
            Ticket,
            select(TicketRow)
            .where(col(TicketRow.resolved_at) >= start, col(TicketRow.resolved_at) < end)
            .order_by(col(TicketRow.resolved_at), col(TicketRow.id)),
        )


class SqlMessageRepository(_Base):
    """``MessageRepository``: every message in and out."""

    def seen_event(self, platform: str, event_id: str) -> bool:
        """Whether an inbound event ``event_id`` from ``platform`` is stored already."""
        self._uow.sync()
        stmt = select(MessageRow.id).where(
            MessageRow.platform == platform, MessageRow.event_id == event_id, MessageRow.direction == "in"
        )
        return self._session.scalars(stmt.limit(1)).first() is not None

    def add(self, message: StoredMessage) -> StoredMessage:
        """Insert ``message``; raises ``DuplicateEventError`` for an inbound event id stored already.

        The insert runs in a savepoint, so after the error the unit of work is still usable.
        """
        if message.direction != "in" or not message.event_id:
            return self._insert(message)
        self._uow.sync()
        try:
            with self._session.begin_nested():
                self._insert(message)
        except IntegrityError:
            if self.seen_event(message.platform, message.event_id):
                raise DuplicateEventError(f"{message.platform}:{message.event_id}") from None
            raise
        return message

    def ticket_for_platform_message(self, platform: str, chat_id: str, message_id: str) -> int | None:
        """The ticket of the stored message (in or out) ``message_id`` in ``chat_id``."""
        self._uow.sync()
        stmt = (
            select(MessageRow.ticket_id)
            .where(
                MessageRow.platform == platform,
                MessageRow.chat_id == chat_id,
                MessageRow.platform_message_id == message_id,
                col(MessageRow.ticket_id).is_not(None),
            )
            .order_by(col(MessageRow.id).desc())
            .limit(1)
        )
        return self._session.scalars(stmt).first()

    def for_ticket(self, ticket_id: int, limit: int = 50) -> list[StoredMessage]:
        """The last ``limit`` messages of ``ticket_id``, oldest first."""
        newest = self._records(
            StoredMessage,
            select(MessageRow)
            .where(MessageRow.ticket_id == ticket_id)
            .order_by(col(MessageRow.id).desc())
            .limit(limit),
        )
        return newest[::-1]


class SqlOutboxRepository(_Base):
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
            moment = now if now is not None else _utcnow()
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


class SqlFaqRepository(_Base):
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
        now = _utcnow()
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
        mapper = _MAPPERS[FaqVersion]
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
        row.updated_at = _utcnow()
        self._bump_revision()
        self._session.flush()


class SqlAuditRepository(_Base):
    """``AuditRepository``: privileged actions."""

    def add(self, entry: AuditEntry) -> None:
        """Record ``entry`` (sets ``entry.id``)."""
        self._insert(entry)

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The last ``limit`` entries, newest first."""
        return self._records(AuditEntry, select(AuditRow).order_by(col(AuditRow.id).desc()).limit(limit))


class SqlDraftRepository(_Base):
    """``DraftRepository``: FAQ entries proposed by specialists."""

    def add(self, draft: FaqDraft) -> FaqDraft:
        """Insert ``draft``; sets and returns it with its ``id`` (its number)."""
        return self._insert(draft)

    def get(self, draft_id: int) -> FaqDraft | None:
        """Draft ``draft_id``, if it exists."""
        return self._by_id(FaqDraft, draft_id)

    def pending(self) -> list[FaqDraft]:
        """Drafts waiting for an admin, oldest first."""
        return self._records(
            FaqDraft,
            select(FaqDraftRow)
            .where(FaqDraftRow.status == DraftStatus.PENDING.value)
            .order_by(col(FaqDraftRow.id)),
        )

    def for_ticket(self, ticket_id: int) -> list[FaqDraft]:
        """Every draft proposed from ``ticket_id``, oldest first."""
        return self._records(
            FaqDraft,
            select(FaqDraftRow).where(FaqDraftRow.ticket_id == ticket_id).order_by(col(FaqDraftRow.id)),
        )


# Units of work open per thread on single-connection (in-memory SQLite) engines.
_open_on_shared = threading.local()


def _shared_stack(engine: Engine) -> list[SqlUnitOfWork]:
    stacks: dict[int, list[SqlUnitOfWork]] = _open_on_shared.__dict__.setdefault("stacks", {})
    return stacks.setdefault(id(engine), [])


class SqlUnitOfWork:
    """``UnitOfWork`` over one SQLAlchemy session (one transaction at a time).

    ``commit()`` writes changed records back and commits; the unit of work can go on after a
    commit (a new transaction starts). Leaving the ``with`` block rolls back what was not committed.

    On an in-memory SQLite engine (one shared connection) a unit of work opened while another is
    open in the same thread joins that one's transaction through a savepoint: its ``commit()``
    releases the savepoint and becomes durable when the outer unit of work commits.
    """

    def __init__(self, engine: Engine):
        self._engine = engine
        self._shared = isinstance(engine.pool, StaticPool)
        self._joined = False
        self.session = Session(engine, expire_on_commit=False, autoflush=True)
        self.identity = _IdentityMap()
        self.users: UserRepository = SqlUserRepository(self)
        self.conversations: ConversationRepository = SqlConversationRepository(self)
        self.tickets: TicketRepository = SqlTicketRepository(self)
        self.messages: MessageRepository = SqlMessageRepository(self)
        self.outbox: OutboxRepository = SqlOutboxRepository(self)
        self.faq: FaqRepository = SqlFaqRepository(self)
        self.audit: AuditRepository = SqlAuditRepository(self)
        self.drafts: DraftRepository = SqlDraftRepository(self)
        self.jobs: JobRunRepository = SqlJobRunRepository(self)

    def __enter__(self) -> SqlUnitOfWork:
        if self._shared:
            stack = _shared_stack(self._engine)
            if stack:
                self.session = Session(
                    bind=stack[-1].session.connection(),
                    expire_on_commit=False,
                    autoflush=True,
                    join_transaction_mode="create_savepoint",
                )
                self._joined = True
            stack.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
            self.session.close()
        finally:
            if self._shared:
                stack = _shared_stack(self._engine)
                if self in stack:
                    stack.remove(self)

    def sync(self) -> None:
        """Copy changes made to handed-out records into their rows (they flush before the next query)."""
        self.identity.write_back()

    def commit(self) -> None:
        """Write back changed records and commit the transaction."""
        try:
            self.sync()
            self.session.commit()
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        """Undo the open transaction and forget the records handed out in it."""
        self.session.rollback()
        self.identity.clear()


def sql_uow_factory(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    """A ``UnitOfWorkFactory`` making a fresh :class:`SqlUnitOfWork` on ``engine`` per call."""

    def make() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    return make
