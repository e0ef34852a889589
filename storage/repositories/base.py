"""What every SQL repository shares: record <-> row mapping, the identity map, and the base class."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.util import find_tables
from sqlmodel import SQLModel

from bot.core.records import (
    AuditEntry,
    Conversation,
    DeliveryAttempt,
    FaqDraft,
    FaqVersion,
    OutboxItem,
    StoredMessage,
    Ticket,
    TicketEvent,
    UserRecord,
)
from storage.tables import (
    AuditRow,
    ConversationRow,
    DeliveryAttemptRow,
    FaqVersionRow,
    MessageRow,
    OutboxRow,
    TicketEventRow,
    TicketRow,
    UserRow,
    as_utc,
)
from storage.tables_drafts import FaqDraftRow

R = TypeVar("R")  # a record dataclass

W = TypeVar("W", bound=SQLModel)  # its table row

# Fields filled with the current time when a record is added without them.
_STAMPED_ON_ADD = ("created_at", "at")


def utcnow() -> datetime:
    return datetime.now(UTC)


def copy_json(value: Any) -> Any:
    """A copy of a JSON-shaped value (dicts, lists, scalars): what ``copy.deepcopy`` does for
    these, several times faster (no memo), which matters on every record read and saved."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    if isinstance(value, str | int | float | bool | None | datetime | Enum):
        return value
    return copy.deepcopy(value)


def to_db(value: Any) -> Any:
    """A record value as a statement parameter (enums as their value, times in UTC). JSON is not
    copied: a parameter is serialised when its statement runs, which is at once."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return as_utc(value)
    return value


def from_db(value: Any) -> Any:
    """A result row's value as a record holds it (times in UTC). JSON comes fresh from the
    database's text with every row, so the record is its only holder."""
    if isinstance(value, datetime):
        return as_utc(value)
    return value


class RecordMapper(Generic[R, W]):
    """Copies same-named fields between a record dataclass and a table row."""

    def __init__(self, record_cls: type[R], row_cls: type[W]):
        self.record_cls = record_cls
        self.row_cls = row_cls
        self.names: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(record_cls))  # type: ignore[arg-type]
        self.table_name: str = row_cls.__tablename__  # type: ignore[assignment]
        missing = [n for n in self.names if n not in row_cls.model_fields]
        if missing:
            raise TypeError(f"{row_cls.__name__} lacks columns for {record_cls.__name__}: {missing}")

    def insert_values(self, record: R) -> dict[str, Any]:
        """Every column of a new row for ``record``, as the row's constructor would fill them
        (``id`` left to the database when unset)."""
        values = {n: to_db(getattr(record, n)) for n in self.names}
        if values.get("id") is None:
            values.pop("id", None)
        for name, default in self._extra_defaults():
            values[name] = default()
        return values

    def insert_statement(self) -> Any:
        """``INSERT INTO <table> ... RETURNING id``, built once: the values go as parameters (a
        statement with the values inside costs more to build and compile than to run)."""
        found = getattr(self, "_insert", None)
        if found is None:
            table = self.row_cls.__table__  # type: ignore[attr-defined]
            found = self._insert = insert(table).returning(table.c.id)
        return found

    def insert_many_statement(self) -> Any:
        """The same for many rows at once, run as one multi-row INSERT (the ids come back in no
        particular order: see :meth:`IdentityMap._insert_pending`)."""
        found = getattr(self, "_insert_many", None)
        if found is None:
            table = self.row_cls.__table__  # type: ignore[attr-defined]
            found = self._insert_many = insert(table).returning(table.c.id)
        return found

    def _extra_defaults(self) -> list[tuple[str, Any]]:
        """Columns the record does not have, with the row's defaults for them."""
        found = getattr(self, "_extras", None)
        if found is None:
            found = []
            for name, info in self.row_cls.model_fields.items():
                if name in self.names or name == "id":
                    continue
                if info.default_factory is not None:
                    found.append((name, info.default_factory))
                elif not info.is_required():
                    found.append((name, lambda value=info.default: copy_json(value)))
            self._extras = found
        return found

    def changes(self, record: R, snapshot: dict[str, Any]) -> dict[str, Any]:
        """The column values of ``record`` changed since ``snapshot``; updates the snapshot."""
        found: dict[str, Any] = {}
        for n in self.names:
            value = getattr(record, n)
            if n == "id" or value == snapshot[n]:
                continue
            found[n] = to_db(value)
            snapshot[n] = copy_json(value)
        return found

    def update_statement(self) -> Any:
        """``UPDATE <table> SET ... WHERE id = :record_id``, built once; the columns set are those
        of the parameters it runs with."""
        found = getattr(self, "_update", None)
        if found is None:
            table = self.row_cls.__table__  # type: ignore[attr-defined]
            found = self._update = update(table).where(table.c.id == bindparam("record_id"))
        return found

    def by_id_statement(self) -> Any:
        """``SELECT <columns> FROM <table> WHERE id = :id``, built once."""
        found = getattr(self, "_by_id", None)
        if found is None:
            table = self.row_cls.__table__  # type: ignore[attr-defined]
            found = self._by_id = select(table).where(table.c.id == bindparam("id"))
        return found

    def to_record(self, row: Any) -> R:
        """A new record holding the values of ``row`` (a table row object or a result row)."""
        return self.record_cls(**{n: from_db(getattr(row, n)) for n in self.names})

    def snapshot(self, record: R) -> dict[str, Any]:
        """A deep copy of ``record``'s values, to tell later what changed."""
        return {n: copy_json(getattr(record, n)) for n in self.names}


MAPPERS: dict[type[Any], RecordMapper[Any, Any]] = {
    UserRecord: RecordMapper(UserRecord, UserRow),
    Conversation: RecordMapper(Conversation, ConversationRow),
    Ticket: RecordMapper(Ticket, TicketRow),
    TicketEvent: RecordMapper(TicketEvent, TicketEventRow),
    StoredMessage: RecordMapper(StoredMessage, MessageRow),
    OutboxItem: RecordMapper(OutboxItem, OutboxRow),
    DeliveryAttempt: RecordMapper(DeliveryAttempt, DeliveryAttemptRow),
    AuditEntry: RecordMapper(AuditEntry, AuditRow),
    FaqVersion: RecordMapper(FaqVersion, FaqVersionRow),
    FaqDraft: RecordMapper(FaqDraft, FaqDraftRow),
}


@dataclasses.dataclass
class Tracked:
    """A record handed out by a unit of work; its changes since ``snapshot`` are written with a
    plain UPDATE of the changed columns."""

    record: Any
    mapper: RecordMapper[Any, Any]
    snapshot: dict[str, Any]


class IdentityMap:
    """The records handed out by one unit of work, with their rows and last saved values, and the
    records added whose INSERT waits for the next write-back (see :meth:`SqlRepository._insert_later`)."""

    def __init__(self) -> None:
        self._items: dict[tuple[type[Any], Any], Tracked] = {}
        self._pending: list[tuple[Any, RecordMapper[Any, Any]]] = []

    def get(self, row_cls: type[Any], key: Any) -> Any | None:
        tracked = self._items.get((row_cls, key))
        return tracked.record if tracked is not None else None

    def tracked(self, record_cls: type[Any], key: Any) -> Tracked | None:
        return self._items.get((MAPPERS[record_cls].row_cls, key))

    def record_for(self, row: Any, mapper: RecordMapper[Any, Any]) -> Any:
        """The record for ``row`` (a result row of ``mapper``'s table): the one already handed
        out, or a new tracked one. A record handed out keeps its values (the database row cannot
        have changed under the transaction's locks, and the engine's changes are in the record)."""
        key = (mapper.row_cls, row.id)
        tracked = self._items.get(key)
        if tracked is None:
            record = mapper.to_record(row)
            tracked = Tracked(record, mapper, mapper.snapshot(record))
            self._items[key] = tracked
        return tracked.record

    def attach_inserted(self, record: Any, record_id: int, mapper: RecordMapper[Any, Any]) -> None:
        """Track ``record``, just inserted with a plain INSERT under ``record_id`` (no row object)."""
        self._items[(mapper.row_cls, record_id)] = Tracked(record, mapper, mapper.snapshot(record))

    def insert_later(self, record: Any, mapper: RecordMapper[Any, Any]) -> None:
        """Queue the INSERT of ``record`` for the next :meth:`write_back`."""
        self._pending.append((record, mapper))

    def _insert_pending(self, session: Session, tables: frozenset[str] | None) -> None:
        """INSERT the queued records (of ``tables``, or all), one statement per table, in the
        order they were added."""
        if tables is None:
            pending, self._pending = self._pending, []
        else:
            pending = [p for p in self._pending if p[1].table_name in tables]
            self._pending = [p for p in self._pending if p[1].table_name not in tables]
        groups: dict[RecordMapper[Any, Any], list[Any]] = {}
        for record, mapper in pending:
            groups.setdefault(mapper, []).append(record)
        for mapper, records in groups.items():
            values = [mapper.insert_values(record) for record in records]
            result = session.execute(mapper.insert_many_statement(), values)
            # One multi-row INSERT numbers its rows in the order of its VALUES (on PostgreSQL a
            # concurrent insert may take numbers in between, never out of order), so the sorted
            # ids are the records' in order. (Asking for them in parameter order costs a sort
            # column and an ORDER BY on PostgreSQL and a statement per row on SQLite.) The outbox
            # relies on the same order: a chat's messages go out by id.
            for record, record_id in zip(records, sorted(result.scalars().all()), strict=True):
                if "id" in mapper.names:
                    record.id = record_id
                self.attach_inserted(record, record_id, mapper)

    def write_back(self, session: Session | None = None, tables: frozenset[str] | None = None) -> None:
        """Write the queued inserts and the changes made to handed-out records; ``tables``: only
        those of these tables (what a query is about to read)."""
        if self._pending and session is not None:
            self._insert_pending(session, tables)
        # Rows of one table with the same columns changed go out as one executemany (one round
        # trip: the driver pipelines it), the statement built once per table: its SET list follows
        # the parameters given.
        updates: dict[tuple[RecordMapper[Any, Any], tuple[str, ...]], list[dict[str, Any]]] = {}
        for tracked in self._items.values():
            if tables is not None and tracked.mapper.table_name not in tables:
                continue
            changes = tracked.mapper.changes(tracked.record, tracked.snapshot)
            if changes and session is not None:
                updates.setdefault((tracked.mapper, tuple(sorted(changes))), []).append(
                    {**changes, "record_id": tracked.record.id}
                )
        if session is not None:
            for (mapper, _), rows in updates.items():
                session.execute(mapper.update_statement(), rows[0] if len(rows) == 1 else rows)

    def clear(self) -> None:
        self._items.clear()
        self._pending.clear()


class UnitOfWorkState(Protocol):
    """What a repository needs of its unit of work: the session, the identity map, and ``sync``
    (copy the engine's changes to handed-out records into their rows before a query)."""

    session: Session
    identity: IdentityMap

    def sync(self, tables: frozenset[str] | None = None) -> None: ...


def tables_read(stmt: Any) -> frozenset[str]:
    """The tables ``stmt`` reads (its FROM list, joins, subqueries and columns)."""
    return frozenset(
        t.name for t in find_tables(stmt, check_columns=True, include_aliases=True) if hasattr(t, "name")
    )


# Statements of the hot path, built once with their parameters left as binds (see
# SqlRepository._records_of): building a SELECT and finding the tables it reads cost more than
# running it, and a statement built once also keeps its compiled form's cache key.
_PREPARED: dict[str, tuple[Any, frozenset[str]]] = {}


def _prepared(name: str, build: Callable[[], Any]) -> tuple[Any, frozenset[str]]:
    found = _PREPARED.get(name)
    if found is None:
        stmt = build()
        found = _PREPARED[name] = (stmt, tables_read(stmt))
    return found


class SqlRepository:
    """Shared plumbing of the repositories of one unit of work."""

    def __init__(self, uow: UnitOfWorkState):
        self._uow = uow

    @property
    def _session(self) -> Session:
        return self._uow.session

    def _records(self, record_cls: type[R], stmt: Select[Any]) -> list[R]:
        self._uow.sync(tables_read(stmt))
        mapper = MAPPERS[record_cls]
        return [self._uow.identity.record_for(row, mapper) for row in self._rows(stmt)]

    def _rows(self, stmt: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
        """The result rows of ``stmt``, as plain rows: no ORM objects are built, tracked or
        flushed for them (that cost more than the statement; records are tracked by the
        :class:`IdentityMap`). Row objects the repositories added themselves are flushed first."""
        session = self._session
        if session.new or session.dirty or session.deleted:
            session.flush()
        return list(session.connection().execute(stmt, parameters).all())

    def _records_of(
        self, record_cls: type[R], name: str, build: Callable[[], Any], **parameters: Any
    ) -> list[R]:
        """The records of the statement ``build()`` returns, built once per ``name`` with
        ``bindparam`` placeholders for ``parameters`` (``expanding=True`` for a list)."""
        stmt, tables = _prepared(name, build)
        self._uow.sync(tables)
        mapper = MAPPERS[record_cls]
        return [self._uow.identity.record_for(row, mapper) for row in self._rows(stmt, parameters)]

    def _first_of(
        self, record_cls: type[R], name: str, build: Callable[[], Any], **parameters: Any
    ) -> R | None:
        """The first record of :meth:`_records_of`'s statement."""
        found = self._records_of(record_cls, name, lambda: build().limit(1), **parameters)
        return found[0] if found else None

    def _first(self, record_cls: type[R], stmt: Select[Any]) -> R | None:
        found = self._records(record_cls, stmt.limit(1))
        return found[0] if found else None

    def _by_id(self, record_cls: type[R], record_id: int) -> R | None:
        mapper = MAPPERS[record_cls]
        known = self._uow.identity.get(mapper.row_cls, record_id)
        if known is not None:
            return known  # type: ignore[no-any-return]
        self._uow.sync(frozenset((mapper.table_name,)))
        rows = self._rows(mapper.by_id_statement(), {"id": record_id})
        return self._uow.identity.record_for(rows[0], mapper) if rows else None  # type: ignore[no-any-return]

    def _insert(self, record: R) -> R:
        """INSERT ``record`` (its ``id`` set from the database) and track it.

        A plain INSERT ... RETURNING id, not an ORM object and a flush: most inserted records
        (messages, ticket events, outbox rows, attempts) are never changed afterwards, and
        building and flushing a row object cost several times the statement itself. A record
        changed later in the same unit of work is written with a plain UPDATE of what changed."""
        if not self._insert_with(record, None):
            raise RuntimeError("INSERT returned no id")
        return record

    def _insert_with(self, record: Any, statement: Any | None) -> bool:
        """INSERT ``record`` with ``statement`` (default: the mapper's ``INSERT ... RETURNING id``)
        and track it; False when the statement inserted nothing (``ON CONFLICT DO NOTHING``)."""
        mapper = MAPPERS[type(record)]
        self._stamp(record, mapper)
        values = mapper.insert_values(record)
        record_id = self._session.execute(
            statement if statement is not None else mapper.insert_statement(), values
        ).scalar()
        if record_id is None:
            return False
        if "id" in mapper.names:
            record.id = record_id
        self._uow.identity.attach_inserted(record, record_id, mapper)
        return True

    def _insert_later(self, record: R) -> R:
        """Add ``record``, its INSERT left for the next query that reads its table, or the commit:
        the inserts waiting then go out together (one statement per table), and changes made to
        the record until then are part of its INSERT. Its ``id`` is set when the row is written.
        For records no one needs the ``id`` of right away (outbox rows, ticket history, new users
        and conversations)."""
        mapper = MAPPERS[type(record)]
        if "id" in mapper.names and getattr(record, "id", None) is not None:
            return self._insert(record)
        self._stamp(record, mapper)
        self._uow.identity.insert_later(record, mapper)
        return record

    @staticmethod
    def _stamp(record: Any, mapper: RecordMapper[Any, Any]) -> None:
        for name in _STAMPED_ON_ADD:
            if name in mapper.names and getattr(record, name) is None:
                setattr(record, name, utcnow())
