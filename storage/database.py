"""Engines and schema migrations.

- :func:`make_engine` builds an engine for a database URL (SQLite or PostgreSQL).
- :func:`upgrade` applies the alembic migrations shipped in ``storage/migrations`` (no
  ``alembic.ini`` needed); :func:`current_revision` says where a database stands.

SQLite engines use WAL journaling, a 10 s busy timeout, foreign keys, and an explicit ``BEGIN`` on
every transaction (so savepoints work; pysqlite's own transaction handling is switched off).
Transactions begin DEFERRED: a unit of work that only reads never blocks another, and a read-only
unit of work may be opened while another is open in the same thread (the FAQ index does that).
Two units of work that both write must not be open at the same time in one thread: the second
waits for the first one's write lock (up to the busy timeout) and then fails.

``sqlite://`` (in memory) uses one shared connection (``StaticPool``), meant for tests: there, only
one unit of work may be open at a time.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, MetaData, create_engine, event, exc, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel

if TYPE_CHECKING:
    from alembic.config import Config

# alembic is imported where migrations are looked at, not here: it costs a fifth of a second,
# and every command imports this module (``helpdesk --help`` must start fast).

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
IDLE_PING_SECONDS = 5.0  # a pooled connection idle longer is pinged before use
MIGRATION_LOCK_KEY = 0x4844_4D49_4752  # any fixed 64-bit number: "HDMIGR"


def all_metadata() -> MetaData:
    """``SQLModel.metadata`` with :mod:`storage.tables` and every ``storage/tables_*.py`` imported."""
    package = importlib.import_module("storage")
    importlib.import_module("storage.tables")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("tables_"):
            importlib.import_module(f"storage.{module.name}")
    return SQLModel.metadata


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, busy timeout, foreign keys and a created folder."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    return _server_engine(parsed, echo)


def is_sqlite_url(url: str | URL) -> bool:
    """Whether ``url`` names a SQLite database (one process; no engine is made to tell)."""
    return make_url(url).get_backend_name() == "sqlite"


def round_trip_seconds(url: str | URL | Engine, samples: int = 15) -> float:
    """The median time of a ``SELECT 1`` to the database (how far away its server is)."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")  # the connection itself is not timed
            times = []
            for _ in range(samples):
                started = time.perf_counter()
                connection.exec_driver_sql("SELECT 1")
                times.append(time.perf_counter() - started)
            connection.rollback()
    finally:
        if engine is not url:
            engine.dispose()
    return statistics.median(times)


def is_memory_url(url: str | URL) -> bool:
    """Whether ``url`` is an in-memory SQLite database (private to its engine)."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and _is_memory(parsed)


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def _server_engine(url: URL, echo: bool) -> Engine:
    """A pooled engine for a database server. A connection back from the pool is pinged only when
    it sat idle for ``IDLE_PING_SECONDS``: SQLAlchemy's ``pool_pre_ping`` pings on every checkout,
    a round trip for each of a turn's transactions while connections cycle every few milliseconds
    under load. One that fails its ping is replaced before anybody uses it; one that broke while
    in use (a server restart between two turns) fails that transaction, and SQLAlchemy then drops
    every pooled connection older than the failure."""
    engine = create_engine(url, echo=echo)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return  # new, or back from a turn a moment ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()
        except Exception as error:
            raise exc.DisconnectionError(f"pooled connection is gone: {error}") from error

    return engine


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    memory = _is_memory(url)
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        "echo": echo,
    }
    if memory:
        kwargs["poolclass"] = StaticPool
    elif url.database and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front: several processes share one file (chat and desk
        # terminals), and a deferred read transaction that later writes fails at once with
        # "database is locked" when another process wrote in between, which busy_timeout cannot cure.
        connection.exec_driver_sql("BEGIN" if memory else "BEGIN IMMEDIATE")

    return engine


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str | URL | Engine, revision: str = "heads") -> None:
    """Apply the migrations up to ``revision`` (all branches by default); a no-op when current.

    ``url`` may also be an engine (needed for an in-memory SQLite database, which lives only as
    long as its engine).
    """
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Workers starting together: one migrates, the others wait and find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            from alembic import command

            command.upgrade(_config(connection), revision)
    finally:
        if engine is not url:
            engine.dispose()


def lock_key(name: str) -> int:
    """The 64-bit PostgreSQL advisory-lock key of ``name``."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


@contextmanager
def held_lock(url: str | URL | Engine, name: str) -> Iterator[None]:
    """Hold the database-wide lock ``name`` for the block, across transactions: PostgreSQL's
    session-level advisory lock on a dedicated connection (another process asking for it waits).
    SQLite needs none: one process, and its write transactions are one at a time."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            yield
            return
        key = lock_key(name)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
    finally:
        if engine is not url:
            engine.dispose()


def current_heads(url: str | URL | Engine) -> tuple[str, ...]:
    """The revisions the database is at (one per migration branch; empty when not migrated)."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            from alembic.runtime.migration import MigrationContext

            heads = MigrationContext.configure(connection).get_current_heads()
            connection.rollback()
    finally:
        if engine is not url:
            engine.dispose()
    return tuple(sorted(heads))


def current_revision(url: str | URL | Engine) -> str | None:
    """The database's revision (``None`` before the first migration; branches joined by commas)."""
    heads = current_heads(url)
    return ",".join(heads) if heads else None


def head_revisions() -> tuple[str, ...]:
    """The newest revision of every migration branch shipped with the code."""
    from alembic.script import ScriptDirectory

    return tuple(sorted(ScriptDirectory.from_config(_config()).get_heads()))


def schema_differences(url: str | URL | Engine) -> list[Any]:
    """What the migrated database lacks or has in excess compared with the table classes
    (alembic's autogenerate diff; empty when migrations and models agree)."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.connect() as connection:
            from alembic.autogenerate import compare_metadata
            from alembic.runtime.migration import MigrationContext

            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, all_metadata())
            connection.rollback()
    finally:
        if engine is not url:
            engine.dispose()
    return list(diff)
