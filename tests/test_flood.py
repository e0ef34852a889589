"""Flood and abuse control: one person sending 300 messages in 10 seconds gets a few answers and
one polite notice, nothing is lost, and other people are not held up; the same for the desk."""

from __future__ import annotations

from types import SimpleNamespace

import limits.storage.memory
import limits.strategies
import pytest
from sqlmodel import Session, select

from bot.engine.flood import FloodConfigError, FloodGuard
from bot.settings import Settings
from storage.database import make_engine
from storage.tables import MessageRow
from tests.fakes import DeskWorld

BURST = 300
SECONDS = 10.0


@pytest.fixture
def limited(world: DeskWorld, monkeypatch: pytest.MonkeyPatch) -> DeskWorld:
    """The world with flood control on, its windows counted on the world's fake clock."""
    fake_time = SimpleNamespace(time=lambda: world.clock.now().timestamp())
    monkeypatch.setattr(limits.storage.memory, "time", fake_time)
    monkeypatch.setattr(limits.strategies, "time", fake_time)
    world.engine.flood = FloodGuard("8/10 seconds;40/minute", "20/10 seconds;120/minute")
    return world


def stored_from(world: DeskWorld, user_id: str) -> int:
    engine = make_engine(world.url)
    with Session(engine) as session:
        rows = session.exec(
            select(MessageRow).where(MessageRow.user_id == user_id, MessageRow.direction == "in")
        )
        count = len(rows.all())
    engine.dispose()
    return count


async def test_a_flooding_user_gets_a_few_answers_one_notice_and_loses_nothing(limited: DeskWorld) -> None:
    world = limited
    other_answers = 0
    for i in range(BURST):
        await world.user_says(f"printer offline {i}")
        world.clock.advance(seconds=SECONDS / BURST)
        if i == BURST // 2:
            reply = await world.user_says("lupa password email", name="siti")  # someone else meanwhile
            other_answers += sum("Buka halaman password" in s.text for s in reply)
    to_budi = world.sender.to("user-budi")
    answers = [s for s in to_budi if "Periksa kabel" in s.text]
    notices = [s for s in to_budi if "banyak pesan sekaligus" in s.text]
    assert 1 <= len(answers) <= 8
    assert len(notices) == 1
    assert other_answers == 1  # the other user is not slowed
    assert stored_from(world, "budi") == BURST  # every message is stored


async def test_a_flood_during_a_relay_reaches_the_ticket(limited: DeskWorld) -> None:
    world = limited
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        await world.user_presses("Lewati")
    world.clock.advance(seconds=60)  # a fresh window
    desk_before = len(world.desk_messages())
    for i in range(BURST):
        await world.user_says(f"halo? {i}")
        world.clock.advance(seconds=SECONDS / BURST)
    relayed = [s for s in world.desk_messages()[desk_before:] if "halo?" in s.text]
    with world.uow_factory() as uow:
        held = [e for e in uow.tickets.events(1) if e.kind == "held"]
    assert len(relayed) <= 8
    assert len(relayed) + len(held) == BURST  # every message reached the ticket
    assert sum("banyak pesan sekaligus" in s.text for s in world.sender.to("user-budi")) == 1
    # After the burst, the next message takes the held ones to the desk in one post.
    world.clock.advance(seconds=60)
    await world.user_says("masih mati")
    last = world.desk_messages()[-1].text
    assert "tertahan" in last and f"halo? {BURST - 1}" in last and "masih mati" in last


async def test_a_flooding_desk_member_is_limited_too(limited: DeskWorld) -> None:
    world = limited
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        await world.user_presses("Lewati")
    thread = world.desk_messages()[0].thread_id
    world.clock.advance(seconds=60)
    user_before = len(world.sender.to("user-budi"))
    for i in range(BURST):
        await world.desk_says(f"coba restart {i}", thread_id=thread)
        world.clock.advance(seconds=SECONDS / BURST)
    relayed = [s for s in world.sender.to("user-budi")[user_before:] if "coba restart" in s.text]
    notices = [s for s in world.desk_messages() if "pesannya banyak sekali" in s.text]
    with world.uow_factory() as uow:
        held = [e for e in uow.tickets.events(1) if e.kind == "held"]
    assert len(relayed) <= 20 and len(notices) == 1
    assert len(relayed) + len(held) == BURST
    # The user is not held up by the desk member's flood.
    reply = await world.user_says("sudah saya restart")
    assert not any("banyak pesan sekaligus" in s.text for s in reply)


def test_bad_rate_and_storage_settings_are_refused() -> None:
    with pytest.raises(FloodConfigError):
        FloodGuard("lots")
    with pytest.raises(FloodConfigError):
        FloodGuard(storage_uri="nosuch://x")
    with pytest.raises(ValueError):
        Settings(HELPDESK_RATE_LIMIT="many per second")  # type: ignore[call-arg]
