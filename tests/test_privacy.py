"""The user's rights over their data: /mydata, /forget (confirmed, anonymous figures kept, the
desk told), the admin's command line, and the retention purge."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.conversation import privacy
from bot.core.records import TicketStatus
from bot.engine.turn import Turn
from bot.jobs.helpdesk_jobs import HelpdeskJobs, JobConfig
from bot.reports.model import ReportOptions
from bot.sla.policy import SlaPolicy
from tests.fakes import DeskWorld


def texts(sent: list) -> str:  # type: ignore[type-arg]
    return "\n".join(s.text for s in sent)


def all_text(path: str) -> str:
    connection = sqlite3.connect(path)
    try:
        values = []
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            for row in connection.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
                values.extend(str(v) for v in row if v is not None)
        return "\n".join(values)
    finally:
        connection.close()


async def open_relay_ticket(world: DeskWorld) -> str:
    await world.user_says("/ticket printer lantai tiga macet total")
    for _ in range(3):
        await world.user_presses("Lewati")
    thread = world.desk_messages()[0].thread_id
    assert thread is not None
    await world.desk_says("Printer yang mana, Pak?", thread_id=thread)
    await world.user_says("yang dekat pantry, kertasnya nyangkut")
    return thread


async def test_mydata_shows_profile_tickets_and_messages(world: DeskWorld) -> None:
    await open_relay_ticket(world)
    reply = await world.user_says("/mydata")
    shown = texts(reply)
    assert "Data yang disimpan" in shown and "nama Budi" in shown
    assert "#1 printer lantai tiga macet total" in shown
    assert "kertasnya nyangkut" in shown
    with world.uow_factory() as uow:
        assert uow.audit.recent(1)[0].action == "privacy_export"


async def test_forget_asks_first_and_keeps_everything_when_declined(world: DeskWorld) -> None:
    await world.user_says("lupa password email")
    reply = await world.user_says("/forget")
    assert "tidak bisa dibatalkan" in reply[-1].text
    await world.user_presses("Tidak, simpan saja")
    assert world.ticket(1).subject == "lupa password email"
    # The confirmation button works once only.
    reply = await world.user_presses("Ya, hapus data saya")
    assert "sudah tidak berlaku" in texts(reply)
    assert world.ticket(1).subject == "lupa password email"


async def test_forget_erases_texts_keeps_figures_and_tells_the_desk(world: DeskWorld) -> None:
    if not world.url.startswith("sqlite"):
        pytest.skip("reads the SQLite file itself")
    thread = await open_relay_ticket(world)
    await world.desk_says("/resolve kertas dibersihkan", thread_id=thread)
    await world.user_presses("5")
    await world.user_says("/ticket laptop tidak mau menyala sama sekali")
    for _ in range(3):
        await world.user_presses("Lewati")
    assert world.ticket(2).status == TicketStatus.OPEN
    await world.user_says("/forget")
    reply = await world.user_presses("Ya, hapus data saya")
    assert "sudah dihapus" in texts(reply)

    first, second = world.ticket(1), world.ticket(2)
    # Anonymous figures stay for the recaps: status, priority, category, rating, times.
    assert first.status == TicketStatus.RESOLVED and first.rating == 5 and first.resolved_at is not None
    assert second.status == TicketStatus.CLOSED  # was open with the desk: closed
    assert first.requester_id.startswith("forgotten-") and first.requester_id == second.requester_id
    assert first.subject == privacy.ERASED and first.requester_name == ""
    # The desk is told in the open ticket's thread.
    assert any("meminta datanya dihapus" in s.text and "#2" in s.text for s in world.desk_messages())
    # None of the user's words remain anywhere in the database.
    stored = all_text(world.url.removeprefix("sqlite:///"))
    for words in ("printer lantai tiga", "kertasnya nyangkut", "laptop tidak mau menyala", "Budi"):
        assert words not in stored
    with world.uow_factory() as uow:
        entry = uow.audit.recent(1)[0]
        assert entry.action == "privacy_forget" and entry.detail["closed"] == 1
        assert "budi" not in entry.actor and "budi" not in entry.target
    # Talking again afterwards works, as a new person.
    reply = await world.user_says("/status")
    assert "tidak punya tiket" in texts(reply)


async def test_retention_purges_old_texts_but_not_open_tickets(world: DeskWorld) -> None:
    await world.user_says("lupa password email")
    await world.user_presses("Sudah teratasi")
    world.clock.advance(days=40)
    await world.user_says("/ticket printer rusak lagi")  # open: kept
    for _ in range(3):
        await world.user_presses("Lewati")
    policy = SlaPolicy()
    jobs = HelpdeskJobs(
        world.engine,
        JobConfig(
            policy=policy, report_options=ReportOptions(policy=policy), charts=False, retention_days=30
        ),
    )
    counts = jobs.run_retention(world.clock.now())
    assert counts["tickets"] == 1
    assert world.ticket(1).subject == privacy.ERASED
    assert world.ticket(2).subject == "printer rusak lagi"
    # The open ticket's user is busy: their messages stay; nothing to purge a second time.
    with world.uow_factory() as uow:
        again = privacy.purge_expired(Turn(uow, world.clock.now() + timedelta(seconds=1)), 30)
    assert again.get("tickets", 0) == 0


async def test_admin_command_line_export_and_forget(
    world: DeskWorld, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    await world.user_says("lupa password email")
    monkeypatch.setenv("DATABASE_URL", world.url)
    runner = CliRunner()
    result = runner.invoke(app, ["privacy", "export", "console:budi"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["tickets"][0]["subject"] == "lupa password email"
    result = runner.invoke(app, ["privacy", "export", "budi"])
    assert result.exit_code == 2 and "PLATFORM:USER_ID" in result.output
    result = runner.invoke(app, ["privacy", "forget", "console:budi", "--yes"])
    assert result.exit_code == 0, result.output
    assert world.ticket(1).subject == privacy.ERASED
