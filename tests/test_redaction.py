"""Redaction of pasted secrets and personal identifiers: every paste removed, every ordinary question
kept intact, and nothing pasted left in the database, the logs or the outbox after a conversation."""

from __future__ import annotations

import logging
import re
import sqlite3

import pytest
import yaml

from bot.security.redaction import PLACEHOLDERS, redact
from tests.fakes import DeskWorld
from tests.redaction_pastes import ORDINARY, PERSONAL, SECRETS


def test_there_are_enough_pastes_of_each_kind() -> None:
    assert len(SECRETS) >= 40 and len(PERSONAL) >= 40 and len(ORDINARY) >= 40


@pytest.mark.parametrize(("paste", "value"), SECRETS)
def test_secret_is_removed(paste: str, value: str) -> None:
    result = redact(paste)
    assert value not in result.text
    assert result.had_secret


@pytest.mark.parametrize(("paste", "value"), PERSONAL)
def test_personal_identifier_is_removed(paste: str, value: str) -> None:
    result = redact(paste)
    assert value not in result.text
    assert result.changed
    assert any(PLACEHOLDERS[kind] in result.text for kind in result.kinds)


@pytest.mark.parametrize("question", ORDINARY)
def test_ordinary_question_is_kept_intact(question: str) -> None:
    assert redact(question).text == question


def test_no_labelled_chat_question_is_redacted() -> None:
    changed = []
    for name in ("calibrate", "holdout"):
        with open(f"knowledge_base/labelled/{name}.yaml", encoding="utf-8") as handle:
            for item in yaml.safe_load(handle):
                if redact(item["text"]).changed:
                    changed.append(item["text"])
    assert changed == []


def test_the_placeholder_keeps_the_rest_of_the_sentence() -> None:
    assert redact("password saya Abc123! tapi tidak bisa login").text == (
        "password saya [secret removed] tapi tidak bisa login"
    )
    assert redact("NIK saya 3201012501900001 ya").text == "NIK saya [NIK removed] ya"


def _database_text(path: str) -> str:
    """Every text value in every table of the SQLite file."""
    connection = sqlite3.connect(path)
    try:
        values = []
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
                values.extend(str(v) for v in row if v is not None)
        return "\n".join(values)
    finally:
        connection.close()


def _contains(text: str, value: str) -> bool:
    """Whether ``value`` occurs in ``text`` as a whole token: a card's last four digits may occur inside
    a random identifier or a timestamp by chance, which is no leak."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text) is not None


async def test_pastes_leave_nothing_in_database_logs_or_outbox(
    world: DeskWorld, caplog: pytest.LogCaptureFixture
) -> None:
    if not world.url.startswith("sqlite"):
        pytest.skip("reads the SQLite file itself")
    caplog.set_level(logging.DEBUG)
    pastes = SECRETS + PERSONAL
    # A conversation through every state: a new question, triage answers, then a relay.
    await world.user_says("/ticket")
    await world.user_says(pastes[0][0])  # the problem description
    for paste, _ in pastes[1:4]:
        await world.user_says(paste)  # triage answers
    for paste, _ in pastes[4:]:
        await world.user_says(paste)  # relayed to the desk
    reply_notices = [
        s.text for s in world.sender.to("user-budi") if "Demi keamanan" in s.text or "Demi privasi" in s.text
    ]
    assert len(reply_notices) == 1  # the user is told once
    desk_text = "\n".join(s.text for s in world.desk_messages())
    assert (
        "[secret removed]" in desk_text and "[NIK removed]" in desk_text
    )  # the specialist sees placeholders
    stored = _database_text(world.url.removeprefix("sqlite:///"))
    logged = caplog.text
    leaked = [
        value for _, value in pastes if any(_contains(text, value) for text in (stored, logged, desk_text))
    ]
    assert leaked == []


def test_huge_pastes_without_spaces_cost_linear_time_not_quadratic() -> None:
    # "X itu password" was tried at every position of a long word: a 5,000-character paste took
    # a second and 100,000 characters minutes, stalling the bot. Now each shape below takes well
    # under a second; the bound is a hundred times that, so only the old behaviour can fail it.
    import time

    for paste in ("a" * 100_000, "'a" * 50_000, "otp " * 25_000, "a1-" * 33_000):
        started = time.perf_counter()
        redact(paste)
        assert time.perf_counter() - started < 20
