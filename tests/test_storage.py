"""SQL storage: migrations, engines, repositories and the unit of work.

Runs on SQLite (a temporary file) and, when ``TEST_DATABASE_URL`` is set, on PostgreSQL too (each
run works in its own throw-away schema, so runs are repeatable and never touch other data).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import text

from bot.core.ports import DuplicateEventError, UnitOfWork
from bot.core.records import (
    AuditEntry,
    Conversation,
    ConversationState,
    OutboxItem,
    OutboxStatus,
    Role,
    StoredMessage,
    Ticket,
    TicketEvent,
    TicketStatus,
    UserRecord,
)
from bot.core.types import FaqEntry
from storage import SqlUnitOfWork, current_revision, make_engine, sql_uow_factory, upgrade
from storage.database import head_revisions, schema_differences
from storage.repositories.outbox import SqlOutboxRepository

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
TABLES = (
    "settings_kv",
    "faq_versions",
    "faq_entries",
    "audit_log",
    "outbox",
    "messages",
    "ticket_events",
    "conversations",
    "tickets",
    "users",
)
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

Factory = Callable[[], SqlUnitOfWork]


def _with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[Callable[[], str]]:
    """Makes throw-away PostgreSQL schemas and drops them all at the end of the run."""
    made: list[str] = []
    admin = make_engine(PG_URL) if PG_URL else None

    def new() -> str:
        assert admin is not None
        schema = f"test_storage_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        made.append(schema)
        return _with_search_path(PG_URL, schema)

    yield new
    if admin is not None:
        with admin.begin() as conn:
            for schema in made:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path, _pg_schema: Callable[[], str]) -> str:
    """The URL of an empty, unmigrated database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'helpdesk.db'}"
    return _pg_schema()


@pytest.fixture(scope="session", params=BACKENDS)
def _migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _pg_schema: Callable[[], str]
) -> Iterator[Any]:
    """One migrated database per backend for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('storage') / 'helpdesk.db'}"
    else:
        url = _pg_schema()
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_migrated: Any) -> Any:
    """The migrated engine, emptied before each test."""
    with _migrated.begin() as conn:
        for table in TABLES:
            conn.exec_driver_sql(f"DELETE FROM {table}")
        conn.exec_driver_sql("UPDATE faq_meta SET revision = 0")
    return _migrated


@pytest.fixture
def uow(engine: Any) -> Factory:
    return sql_uow_factory(engine)


def _ticket(**over: Any) -> Ticket:
    fields: dict[str, Any] = dict(
        requester_platform="telegram",
        requester_id="u1",
        requester_name="Ani",
        user_chat_id="c1",
        subject="VPN down",
        created_at=T0,
    )
    fields.update(over)
    return Ticket(**fields)


def _entry(answer: str = "Open the portal.", **over: Any) -> FaqEntry:
    fields: dict[str, Any] = dict(
        id="password-reset",
        category="account",
        questions={"en": ("How do I reset my password?", "forgot password"), "id": ("lupa kata sandi",)},
        answer={"en": answer, "id": "Buka portal."},
        tags=("password",),
        triage={"en": ("Which system?",)},
        security=False,
    )
    fields.update(over)
    return FaqEntry(**fields)


# ------------------------------------------------------------------------------- migrations


def test_migrations_apply_from_empty_and_upgrade_is_idempotent(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert len(head_revisions()) == 1, "migration branches must be merged into one head"
    assert current_revision(empty_url) == head_revisions()[0]
    upgrade(empty_url)  # nothing to do
    assert current_revision(empty_url) == head_revisions()[0]
    assert schema_differences(empty_url) == []
    engine = make_engine(empty_url)
    try:
        with SqlUnitOfWork(engine) as u:
            assert u.faq.revision() == 0
    finally:
        engine.dispose()


def test_sqlite_engine_pragmas_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "helpdesk.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_in_memory_sqlite_engine_can_be_migrated_and_used() -> None:
    engine = make_engine("sqlite://")
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revisions()[0]
        with SqlUnitOfWork(engine) as u:
            u.users.add(UserRecord("console", "me"))
            u.commit()
        with SqlUnitOfWork(engine) as u:
            assert u.users.get("console", "me") is not None
    finally:
        engine.dispose()


def test_in_memory_nested_unit_of_work_joins_the_outer_transaction() -> None:
    engine = make_engine("sqlite://")
    try:
        upgrade(engine)
        factory = sql_uow_factory(engine)
        with factory() as outer:
            outer.users.add(UserRecord("console", "a"))
            with factory() as inner:  # e.g. the FAQ index refreshing during an event
                assert inner.faq.revision() == 0
                assert inner.users.get("console", "a") is not None
                inner.users.add(UserRecord("console", "b"))
                inner.commit()
            with factory() as inner:
                inner.users.add(UserRecord("console", "c"))  # not committed: rolled back alone
            outer.commit()
        with factory() as u:
            assert [u.users.get("console", k) is not None for k in "abc"] == [True, True, False]
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_server_pool_pings_only_connections_idle_long_and_replaces_dead_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection back from a turn a moment ago is used as it is (no round trip per checkout);
    one idle past the limit is pinged, and if its server session died meanwhile, replaced."""
    import storage.database as database

    engine = make_engine(PG_URL)
    admin = make_engine(PG_URL)
    try:
        with engine.connect() as conn:
            first_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first_pid})
        # Not idle long: nobody pings, so the dead session surfaces as a disconnect, and the pool
        # then replaces every connection it held.
        with pytest.raises(Exception, match="(?i)terminat|closed|connection"), engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        with engine.connect() as conn:
            second_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with admin.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": second_pid})
        monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
        with engine.connect() as conn:  # idle "long": pinged, found dead, replaced before use
            third_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        assert third_pid not in (first_pid, second_pid)
    finally:
        engine.dispose()
        admin.dispose()


def test_two_processes_read_then_write_without_lock_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Chat and desk terminals share one SQLite file: a transaction that reads and then writes
    while the other process writes must wait its turn, not fail with "database is locked"."""
    import threading

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    first, second = sql_uow_factory(make_engine(url)), sql_uow_factory(make_engine(url))
    inside = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with first() as u:
                u.users.get("console", "a")
                inside.set()
                time.sleep(0.3)
                u.users.add(UserRecord("console", "a"))
                u.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    inside.wait(5)
    with second() as u:
        u.users.get("console", "b")
        u.users.add(UserRecord("console", "b"))
        u.commit()
    thread.join(10)
    assert errors == []
    with first() as u:
        assert u.users.get("console", "a") is not None and u.users.get("console", "b") is not None


def test_sql_unit_of_work_satisfies_the_port(uow: Factory) -> None:
    with uow() as u:
        port: UnitOfWork = u
        assert port.faq.revision() == 0


# ------------------------------------------------------------------------------- round trips


def test_user_round_trip_and_uniqueness(uow: Factory) -> None:
    with uow() as u:
        user = u.users.add(UserRecord("slack", "U1", "Budi", "en", True, Role.ADMIN, T0))
        assert user.id is None  # written with the next query of users or the commit
        user.language = "id"  # a change before the row is written is part of its INSERT
        u.commit()
        assert user.id is not None
    with uow() as u:
        got = u.users.get("slack", "U1")
        assert got == UserRecord("slack", "U1", "Budi", "id", True, "admin", T0, user.id)
        assert got is not None and got.created_at is not None and got.created_at.tzinfo is not None
        assert u.users.get("telegram", "U1") is None
    with uow() as u, pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError
        u.users.add(UserRecord("slack", "U1"))
        u.commit()


def test_added_rows_are_written_before_a_query_reads_their_table(uow: Factory) -> None:
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        assert ticket.id is not None
        first = u.outbox.add(OutboxItem("telegram", "c1", None, {"text": "1"}, ticket_id=ticket.id))
        second = u.outbox.add(OutboxItem("telegram", "c1", None, {"text": "2"}, ticket_id=ticket.id))
        u.tickets.add_event(TicketEvent(ticket.id, "note", "x", {}, T0))
        assert first.id is None and second.id is None
        assert u.users.get("slack", "nobody") is None  # a query of another table writes nothing
        assert first.id is None
        assert [i.payload["text"] for i in u.outbox.due(T0 + timedelta(days=1), ["telegram"])] == ["1", "2"]
        assert first.id is not None and second.id is not None and first.id < second.id
        assert u.outbox.get(first.id) is first  # the same record from then on
        assert [e.kind for e in u.tickets.events(ticket.id)] == ["note"]
        first.attempts = 3  # changed after it was written: saved as an update
        u.commit()
    with uow() as u:
        got = u.outbox.get(first.id)
        assert got is not None and got.attempts == 3
    with uow() as u:
        u.outbox.add(OutboxItem("telegram", "c1", None, {"text": "3"}))
    with uow() as u:  # left without commit: nothing written
        assert [i.payload["text"] for i in u.outbox.due(T0 + timedelta(days=1), ["telegram"])] == ["1", "2"]


def test_add_stamps_missing_creation_time(uow: Factory) -> None:
    with uow() as u:
        user = u.users.add(UserRecord("slack", "U2"))
        assert user.created_at is not None and user.created_at.tzinfo is not None
        u.commit()


def test_conversation_round_trip_with_json_context(uow: Factory) -> None:
    context = {"candidates": ["a", "b"], "triage": {"step": 2, "answers": [["q", "a"]]}, "n": None}
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        conv = u.conversations.add(
            Conversation("telegram", "c1", "u1", ConversationState.TRIAGE, context, ticket.id, T0)
        )
        u.commit()
    with uow() as u:
        got = u.conversations.get("telegram", "c1", "u1")
        assert got == Conversation("telegram", "c1", "u1", "triage", context, ticket.id, T0, conv.id)
        assert u.conversations.for_ticket(ticket.id or 0) is got
        assert u.conversations.get("telegram", "c1", "u2") is None


def test_ticket_round_trip_with_every_field_and_aware_times(uow: Factory) -> None:
    wib = timezone(timedelta(hours=7))
    local = datetime(2025, 3, 1, 16, 30, 15, 123456, tzinfo=wib)
    ticket = _ticket(
        language="en",
        category="network",
        priority="urgent",
        status=TicketStatus.CLAIMED,
        owner="slack:S1",
        owner_name="Sari",
        faq_entry_id="vpn",
        faq_version=3,
        escalated=True,
        desk_platform="slack",
        desk_chat_id="C9",
        desk_thread_id="171.5",
        desk_card_message_id="171.5",
        context={"triage": {"os": "mac"}, "list": [1, 2.5, "x", True]},
        escalated_at=local,
        first_response_at=T0 + timedelta(minutes=5),
        resolved_at=None,
        closed_at=None,
        updated_at=T0,
        rating=4,
        resolution="restarted",
        sla_breached=True,
    )
    with uow() as u:
        u.tickets.add(ticket)
        u.commit()
    with uow() as u:
        got = u.tickets.get(ticket.id or 0)
        assert got is not None
        assert got == ticket
        assert got.escalated_at == local and got.escalated_at is not None
        assert got.escalated_at.tzinfo is not None and got.escalated_at.utcoffset() == timedelta(0)
        assert got.escalated_at.hour == 9
        assert got.number == f"#{ticket.id}"


def test_ticket_events_messages_outbox_audit_round_trip(uow: Factory) -> None:
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        assert ticket.id is not None
        event = TicketEvent(ticket.id, "claimed", "slack:S1", {"note": "mine", "n": [1]}, T0)
        u.tickets.add_event(event)
        message = u.messages.add(
            StoredMessage("out", "slack", "C9", "171.5", None, "hello", "172.1", None, ticket.id, T0)
        )
        item = u.outbox.add(OutboxItem("telegram", "c1", None, {"text": "hi", "buttons": [["a", "b", "c"]]}))
        audit = AuditEntry("slack:A1", "faq.edit", "vpn", {"before": 1, "after": 2}, T0)
        u.audit.add(audit)
        u.commit()
    with uow() as u:
        assert u.tickets.events(ticket.id) == [event]
        assert u.messages.for_ticket(ticket.id) == [message]
        got = u.outbox.get(item.id or 0)
        assert got == item
        assert got is not None and got.status == OutboxStatus.PENDING and got.created_at is not None
        assert u.audit.recent() == [audit]


# ------------------------------------------------------------------------------- identity map


def test_identity_map_returns_the_same_object(uow: Factory) -> None:
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        assert u.tickets.get(ticket.id or 0) is ticket
        assert u.tickets.list_open() == [ticket]
        assert u.tickets.list_open()[0] is ticket


def test_changes_are_written_back_on_commit(uow: Factory) -> None:
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        conv = u.conversations.add(Conversation("telegram", "c1", "u1"))
        u.commit()
    with uow() as u:
        got = u.tickets.get(ticket.id or 0)
        c = u.conversations.get("telegram", "c1", "u1")
        assert got is not None and c is not None
        got.status = TicketStatus.RESOLVED
        got.resolved_at = T0 + timedelta(hours=1)
        got.context["notes"] = ["in place"]  # mutated in place, not reassigned
        c.state = ConversationState.WITH_SPECIALIST
        c.context.setdefault("deep", {})["k"] = 1
        c.ticket_id = ticket.id
        u.commit()
    with uow() as u:
        got = u.tickets.get(ticket.id or 0)
        c = u.conversations.get("telegram", "c1", "u1")
        assert got is not None and c is not None
        assert got.status == "resolved"
        assert got.resolved_at == T0 + timedelta(hours=1)
        assert got.context == {"notes": ["in place"]}
        assert (c.state, c.context, c.ticket_id, c.id) == (
            "with_specialist",
            {"deep": {"k": 1}},
            ticket.id,
            conv.id,
        )


def test_changes_are_visible_to_queries_in_the_same_unit_of_work(uow: Factory) -> None:
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        ticket.status = TicketStatus.RESOLVED
        assert u.tickets.list_open() == []
        assert u.tickets.open_for_requester("telegram", "u1") == []


def test_changes_without_commit_are_discarded(uow: Factory) -> None:
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        u.commit()
    with uow() as u:
        got = u.tickets.get(ticket.id or 0)
        assert got is not None
        got.subject = "changed"
        # no commit: leaving the block rolls back
    with uow() as u:
        got = u.tickets.get(ticket.id or 0)
        assert got is not None and got.subject == "VPN down"
        got.subject = "changed again"
        u.rollback()
        u.commit()  # the rolled-back object is no longer tracked
    with uow() as u:
        got = u.tickets.get(ticket.id or 0)
        assert got is not None and got.subject == "VPN down"


def test_unit_of_work_goes_on_after_commit(uow: Factory) -> None:
    with uow() as u:
        ticket = u.tickets.add(_ticket())
        u.commit()
        ticket.subject = "second"
        u.commit()
    with uow() as u:
        got = u.tickets.get(ticket.id or 0)
        assert got is not None and got.subject == "second"


# ------------------------------------------------------------------------------- queries


def test_ticket_queries(uow: Factory) -> None:
    with uow() as u:
        a = u.tickets.add(_ticket(created_at=T0))
        b = u.tickets.add(_ticket(created_at=T0 + timedelta(hours=1), status=TicketStatus.WAITING_USER))
        c = u.tickets.add(_ticket(created_at=T0 + timedelta(days=1), status=TicketStatus.RESOLVED))
        d = u.tickets.add(_ticket(requester_id="u2", created_at=T0 + timedelta(days=2)))
        d.desk_platform, d.desk_chat_id, d.desk_thread_id = "slack", "C9", "171.5"
        u.commit()
    with uow() as u:
        ids = lambda ts: [t.id for t in ts]  # noqa: E731
        assert ids(u.tickets.open_for_requester("telegram", "u1")) == [a.id, b.id]
        assert ids(u.tickets.list_open()) == [a.id, b.id, d.id]
        assert ids(u.tickets.list_created_between(T0, T0 + timedelta(days=1))) == [a.id, b.id]
        wib = timezone(timedelta(hours=7))
        start = (T0 + timedelta(days=1)).astimezone(wib)
        assert ids(u.tickets.list_created_between(start, start + timedelta(days=5))) == [c.id, d.id]
        found = u.tickets.by_desk_thread("slack", "C9", "171.5")
        assert found is not None and found.id == d.id
        assert u.tickets.by_desk_thread("slack", "C9", "other") is None


def test_message_routing_and_history(uow: Factory) -> None:
    with uow() as u:
        t1 = u.tickets.add(_ticket())
        t2 = u.tickets.add(_ticket())
        for i in range(5):
            u.messages.add(
                StoredMessage("in", "telegram", "c1", None, "u1", f"m{i}", str(i), None, t1.id, T0)
            )
        u.messages.add(StoredMessage("out", "slack", "C9", "171.5", None, "card", "900", None, t2.id, T0))
        u.messages.add(StoredMessage("out", "slack", "C9", "171.5", None, "no ticket", "901", None, None, T0))
        u.commit()
    with uow() as u:
        assert u.messages.ticket_for_platform_message("slack", "C9", "900") == t2.id
        assert u.messages.ticket_for_platform_message("slack", "C8", "900") is None
        assert u.messages.ticket_for_platform_message("slack", "C9", "901") is None
        assert u.messages.ticket_for_platform_message("telegram", "c1", "3") == t1.id
        assert [m.text for m in u.messages.for_ticket(t1.id or 0, limit=3)] == ["m2", "m3", "m4"]
        assert [m.text for m in u.messages.for_ticket(t1.id or 0)] == [f"m{i}" for i in range(5)]


def test_audit_recent_is_newest_first(uow: Factory) -> None:
    with uow() as u:
        for i in range(4):
            u.audit.add(AuditEntry("admin", f"a{i}", at=T0 + timedelta(minutes=i)))
        u.commit()
    with uow() as u:
        assert [e.action for e in u.audit.recent(2)] == ["a3", "a2"]


# ------------------------------------------------------------------------------- duplicate events


def _inbound(event_id: str | None, text: str = "hi", platform: str = "telegram") -> StoredMessage:
    return StoredMessage("in", platform, "c1", None, "u1", text, "7", event_id, None, T0)


def test_duplicate_event_raises_and_the_transaction_stays_usable(uow: Factory) -> None:
    with uow() as u:
        u.messages.add(_inbound("ev-1"))
        u.commit()
    with uow() as u:
        assert u.messages.seen_event("telegram", "ev-1")
        assert not u.messages.seen_event("slack", "ev-1")
        user = u.users.add(UserRecord("telegram", "u1"))
        with pytest.raises(DuplicateEventError):
            u.messages.add(_inbound("ev-1", "again"))
        user.display_name = "Ani"
        u.messages.add(_inbound("ev-1", platform="slack"))  # another platform's id space
        u.messages.add(_inbound(None))
        u.messages.add(_inbound(None))  # no event id: never a duplicate
        u.messages.add(StoredMessage("out", "telegram", "c1", None, None, "out", None, "ev-1"))
        u.commit()
    with uow() as u:
        got = u.users.get("telegram", "u1")
        assert got is not None and got.display_name == "Ani"
        assert u.messages.seen_event("slack", "ev-1")


def test_duplicate_event_within_one_unit_of_work(uow: Factory) -> None:
    with uow() as u:
        u.messages.add(_inbound("ev-2"))
        with pytest.raises(DuplicateEventError):
            u.messages.add(_inbound("ev-2"))
        u.commit()
    with uow() as u:
        assert u.messages.seen_event("telegram", "ev-2")


# ------------------------------------------------------------------------------- outbox


def _item(platform: str = "telegram", **over: Any) -> OutboxItem:
    return OutboxItem(platform, "c1", None, {"text": "x"}, created_at=T0, **over)


def test_due_filters_by_status_platform_and_time(uow: Factory) -> None:
    now = T0 + timedelta(minutes=10)
    with uow() as u:
        a = u.outbox.add(_item())
        b = u.outbox.add(_item(next_attempt_at=now - timedelta(seconds=1)))
        c = u.outbox.add(_item(next_attempt_at=now))
        u.outbox.add(_item(next_attempt_at=now + timedelta(seconds=1)))
        u.outbox.add(_item(status=OutboxStatus.SENT))
        u.outbox.add(_item(status=OutboxStatus.FAILED))
        e = u.outbox.add(_item("slack"))
        u.outbox.add(_item("console"))
        u.commit()
    with uow() as u:
        assert [i.id for i in u.outbox.due(now, ["telegram"])] == [a.id, b.id, c.id]
        assert [i.id for i in u.outbox.due(now, ("telegram", "slack"), limit=2)] == [a.id, b.id]
        assert [i.id for i in u.outbox.due(now, {"slack"})] == [e.id]
        assert u.outbox.due(now, []) == []


def test_claim_wins_once_across_units_of_work(uow: Factory) -> None:
    with uow() as u:
        item = u.outbox.add(_item())
        u.commit()
    until = datetime.now(UTC) + timedelta(minutes=1)
    with uow() as first:
        assert first.outbox.claim(item.id or 0, until)
        first.commit()
    with uow() as second:
        assert not second.outbox.claim(item.id or 0, until + timedelta(seconds=5))
        second.commit()
    with uow() as u:
        got = u.outbox.get(item.id or 0)
        assert got is not None and got.next_attempt_at == until
        assert u.outbox.due(datetime.now(UTC), ["telegram"]) == []  # claimed: not due until `until`


def _outbox(u: SqlUnitOfWork) -> SqlOutboxRepository:
    """The concrete outbox repository (its ``claim`` also takes ``now``)."""
    return cast(SqlOutboxRepository, u.outbox)


def test_claim_after_due_in_the_same_unit_of_work(uow: Factory) -> None:
    with uow() as u:
        item = u.outbox.add(_item(next_attempt_at=T0))
        sent = u.outbox.add(_item(status=OutboxStatus.SENT))
        u.commit()
    now = T0 + timedelta(minutes=1)
    with uow() as u:
        (due,) = u.outbox.due(now, ["telegram"])
        assert _outbox(u).claim(due.id or 0, now + timedelta(seconds=30), now=now)
        assert due.next_attempt_at == now + timedelta(seconds=30)
        assert not _outbox(u).claim(sent.id or 0, now + timedelta(seconds=30), now=now)
        due.attempts += 1  # later changes keep the claim
        u.commit()
    with uow() as u:
        got = u.outbox.get(item.id or 0)
        assert got is not None and (got.next_attempt_at, got.attempts) == (now + timedelta(seconds=30), 1)
        # a live claim (in the future of `now`) cannot be taken by a fresh unit of work
        assert not _outbox(u).claim(item.id or 0, now + timedelta(minutes=5), now=now)


def test_claim_race_between_threads(uow: Factory) -> None:
    with uow() as u:
        items = [u.outbox.add(_item()) for _ in range(5)]
        u.commit()
    wins: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        for item in items:
            with uow() as w:
                if w.outbox.claim(item.id or 0, datetime.now(UTC) + timedelta(minutes=1)):
                    w.commit()
                    with lock:
                        wins.append(item.id or 0)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(wins) == sorted(i.id or 0 for i in items)


def test_claim_when_another_process_claimed_after_we_read(engine: Any, uow: Factory) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: two open writing units of work in one thread would wait")
    with uow() as u:
        item = u.outbox.add(_item())
        u.commit()
    now = datetime.now(UTC)
    with uow() as b:
        assert [i.id for i in b.outbox.due(now, ["telegram"])] == [item.id]
        with uow() as a:
            assert a.outbox.claim(item.id or 0, now + timedelta(minutes=1))
            a.commit()
        assert not b.outbox.claim(item.id or 0, now + timedelta(minutes=2))
        b.commit()


# ------------------------------------------------------------------------------- FAQ and settings


def test_faq_versions_history_revision_and_delete(uow: Factory) -> None:
    with uow() as u:
        assert u.faq.revision() == 0
        stored = u.faq.put(_entry(), "admin:1", "import")
        assert stored.version == 1 and stored == _entry(version=1)
        u.commit()
    with uow() as u:
        assert u.faq.revision() == 1
        same = u.faq.put(_entry(version=7), "admin:2")  # unchanged content: no new version
        assert same.version == 1
        assert u.faq.revision() == 1
        changed = u.faq.put(_entry("Use the new portal."), "admin:2", "portal moved")
        assert changed.version == 2
        u.faq.put(_entry(id="vpn", category="network", tags=(), triage={}, security=True), "admin:2")
        u.commit()
    with uow() as u:
        assert u.faq.revision() == 3
        got = u.faq.get("password-reset")
        assert got == _entry("Use the new portal.", version=2)
        assert got is not None and isinstance(got.questions["en"], tuple) and isinstance(got.tags, tuple)
        assert [e.id for e in u.faq.all()] == ["password-reset", "vpn"]
        assert u.faq.delete("vpn", "admin:3", "obsolete")
        assert not u.faq.delete("vpn", "admin:3")
        assert not u.faq.delete("unknown", "admin:3")
        u.commit()
    with uow() as u:
        assert u.faq.revision() == 4
        assert u.faq.get("vpn") is None
        assert [e.id for e in u.faq.all()] == ["password-reset"]
        history = u.faq.history("vpn")
        assert [(h.version, h.deleted, h.author, h.note) for h in history] == [
            (1, False, "admin:2", ""),
            (2, True, "admin:3", "obsolete"),
        ]
        assert history[0].data["security"] is True and history[0].at is not None
        back = u.faq.put(_entry(id="vpn", category="network"), "admin:4", "restored")
        assert back.version == 3
        pw = u.faq.history("password-reset")
        assert [h.version for h in pw] == [1, 2]
        assert pw[0].data["answer"]["en"] == "Open the portal."
        assert pw[0].data["questions"]["en"] == ["How do I reset my password?", "forgot password"]
        u.rollback()
    with uow() as u:
        assert u.faq.revision() == 4  # rolled-back edits leave the revision alone
        assert u.faq.get("vpn") is None


def test_settings_kv(uow: Factory) -> None:
    with uow() as u:
        assert u.faq.get_setting("matcher.thresholds") is None
        u.faq.set_setting("matcher.thresholds", {"answer": 70.0, "margin": 5.0, "clarify": 45.0})
        u.faq.set_setting("desk.languages", ["id", "en"])
        u.commit()
    with uow() as u:
        assert u.faq.get_setting("matcher.thresholds") == {"answer": 70.0, "margin": 5.0, "clarify": 45.0}
        assert u.faq.get_setting("desk.languages") == ["id", "en"]
        revision = u.faq.revision()
        assert revision == 2
        u.faq.set_setting("desk.languages", ("id", "en"))  # unchanged (a tuple is stored as a list)
        assert u.faq.revision() == revision
        u.faq.set_setting("desk.languages", ["en"])
        u.faq.set_setting("flag", True)
        u.commit()
    with uow() as u:
        assert u.faq.get_setting("desk.languages") == ["en"]
        assert u.faq.get_setting("flag") is True
        assert u.faq.revision() == revision + 2
