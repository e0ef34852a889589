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

import threading
from collections.abc import Callable, Sequence
from types import TracebackType

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from bot.core.ports import (
    AuditRepository,
    ConversationRepository,
    DraftRepository,
    FaqRepository,
    JobRunRepository,
    MessageRepository,
    OutboxRepository,
    PrivacyRepository,
    TicketRepository,
    UserRepository,
)
from storage.database import lock_key
from storage.repositories.audit import SqlAuditRepository
from storage.repositories.base import IdentityMap
from storage.repositories.drafts import SqlDraftRepository
from storage.repositories.faq import SqlFaqRepository
from storage.repositories.jobs import SqlJobRunRepository
from storage.repositories.messages import SqlMessageRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.privacy import SqlPrivacyRepository
from storage.repositories.tickets import SqlTicketRepository
from storage.repositories.users import SqlConversationRepository, SqlUserRepository

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
        self.identity = IdentityMap()
        self.users: UserRepository = SqlUserRepository(self)
        self.conversations: ConversationRepository = SqlConversationRepository(self)
        self.tickets: TicketRepository = SqlTicketRepository(self)
        self.messages: MessageRepository = SqlMessageRepository(self)
        self.outbox: OutboxRepository = SqlOutboxRepository(self)
        self.faq: FaqRepository = SqlFaqRepository(self)
        self.audit: AuditRepository = SqlAuditRepository(self)
        self.drafts: DraftRepository = SqlDraftRepository(self)
        self.jobs: JobRunRepository = SqlJobRunRepository(self)
        self.privacy: PrivacyRepository = SqlPrivacyRepository(self)

    def __enter__(self) -> SqlUnitOfWork:
        if self._shared:
            stack = _shared_stack(self._engine)
            if stack:
                stack[-1].sync()  # its queued inserts, so that this one's queries see them
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

    def sync(self, tables: frozenset[str] | None = None) -> None:
        """Write the queued inserts and the changes made to handed-out records (of ``tables``
        only, when given: a query writes first what it is about to read, and the rest waits, so
        that a row changed twice in a turn is written once)."""
        self.identity.write_back(self.session, tables)

    def commit(self) -> None:
        """Write back changed records and commit the transaction."""
        try:
            self.sync()
            self.session.commit()
        except BaseException:
            self.rollback()
            raise

    def lock(self, key: str) -> None:
        """Hold ``key`` until the transaction ends. PostgreSQL: a transaction-level advisory lock on
        a 64-bit hash of the key. SQLite needs none: every write transaction begins ``IMMEDIATE``,
        which already serialises them across processes."""
        if self._engine.dialect.name != "postgresql":
            return
        self.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(key)})

    def lock_all(self, keys: Sequence[str]) -> None:
        """:meth:`lock` each of ``keys``, in one statement, in the order of their 64-bit hashes."""
        if self._engine.dialect.name != "postgresql" or not keys:
            return
        hashes = sorted({lock_key(key) for key in keys})
        # unnest returns the array's elements in order, and the locks are taken row by row.
        self.session.execute(
            text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:ks AS bigint[])) AS t(k)"), {"ks": hashes}
        )

    def rollback(self) -> None:
        """Undo the open transaction and forget the records handed out in it."""
        self.session.rollback()
        self.identity.clear()


def sql_uow_factory(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    """A ``UnitOfWorkFactory`` making a fresh :class:`SqlUnitOfWork` on ``engine`` per call."""

    def make() -> SqlUnitOfWork:
        return SqlUnitOfWork(engine)

    return make
