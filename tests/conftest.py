"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when
``TEST_DATABASE_URL`` is set) and a desk world around it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from storage.database import make_engine, upgrade
from storage.uow import sql_uow_factory
from tests.fakes import DeskWorld

# Most tests exercise the conversation, not the embedding model: they match on words only, which
# is fast and needs no encoding of the bundled FAQ. tests/test_semantic.py runs the model itself.
os.environ.setdefault("HELPDESK_MATCHER", "lexical")

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _with_schema(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(autouse=True)
def no_flood_control(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripted conversations type faster than any person; flood control has its own tests."""
    monkeypatch.setenv("HELPDESK_RATE_LIMIT", "")
    monkeypatch.setenv("HELPDESK_DESK_RATE_LIMIT", "")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A freshly migrated database: a SQLite file, or a private schema on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
        upgrade(url)
        yield url
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = _with_schema(POSTGRES_URL, schema)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def uow_factory(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    yield sql_uow_factory(engine)
    engine.dispose()


@pytest.fixture
def world(uow_factory, database_url: str) -> DeskWorld:  # type: ignore[no-untyped-def]
    return DeskWorld(uow_factory, url=database_url)
