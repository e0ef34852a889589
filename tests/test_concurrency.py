"""Concurrency inside one process, the poller lease, and the status pages.

- A turn that waits on the platform (a slow desk-membership lookup) holds back only its own
  conversation: another user is answered meanwhile; the same user's next message waits its turn.
- Membership answers are cached for a while; a failed lookup is not cached.
- The poller lease: one holder at a time, renewal, takeover after it lapsed, release.
- ``/healthz`` (200, or 503 with the reason) and ``/metrics`` on a real aiohttp server.
- Turns in worker threads (PostgreSQL): conversations side by side, each in order; a role asked
  inside such a turn is looked up on the main loop; a dispatcher whose transactions run off the
  loop is woken from any thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import uuid
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from benchmarks import latency_proxy
from bot.app import AUTO_TURN_THREADS, turn_threads
from bot.core.records import Role
from bot.core.types import ChannelAddress, InboundMessage, OutboundMessage, UserRef
from bot.engine.ordering import KeyedLocks, RoleCache
from bot.engine.turn import Turn
from bot.engine.turn_threads import ThreadedTurns
from bot.observability.metrics import observe_turn
from bot.observability.pages import HelpdeskStatusPages
from bot.settings import Settings
from bot.workers.lease import DatabaseLease
from handlers.status_routes import StatusServer
from tests.fakes import DeskWorld, FixedClock
from tests.processes import free_port


class SlowDirectory:
    """A desk directory whose answer waits until released (a platform call that hangs)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked: list[str] = []
        self.fail = False

    async def is_desk_member(self, user: UserRef) -> bool:
        self.asked.append(user.key)
        if self.fail:
            raise ConnectionError("the platform is unreachable")
        if user.user_id == "slow":
            await self.release.wait()
        return False


def message(name: str, text: str) -> InboundMessage:
    command, body = (text[1:].partition(" ")[::2]) if text.startswith("/") else (None, text)
    return InboundMessage(
        ChannelAddress("console", f"user-{name}"),
        UserRef("console", name, name.title()),
        body,
        message_id=uuid.uuid4().hex[:8],
        event_id=uuid.uuid4().hex,
        command=command,
    )


async def test_a_turn_waiting_on_the_platform_holds_back_only_its_own_conversation(world: DeskWorld) -> None:
    directory = SlowDirectory()
    world.engine.directories = {"console": directory}
    # A command may need the sender's role: its desk-membership lookup hangs.
    slow_first = asyncio.create_task(world.engine.handle(message("slow", "/status")))
    await asyncio.sleep(0.05)
    slow_second = asyncio.create_task(world.engine.handle(message("slow", "printer offline")))
    await asyncio.wait_for(world.engine.handle(message("budi", "/status")), timeout=5)
    await asyncio.wait_for(world.engine.handle(message("budi", "printer offline")), timeout=5)
    await world.deliver()
    assert world.sender.to("user-budi"), "another user waited behind a hanging platform call"
    assert not world.sender.to("user-slow") and not slow_first.done() and not slow_second.done()
    directory.release.set()
    await asyncio.wait_for(asyncio.gather(slow_first, slow_second), timeout=5)
    await world.deliver()
    replies = [s.message.text.replace("Slow", "Budi") for s in world.sender.to("user-slow")]
    budi = [s.message.text for s in world.sender.to("user-budi")]
    # In arrival order: the reply to /status, then the answer (opened by the greeting) that
    # budi got too, but for the name.
    assert replies == budi, replies


async def test_a_question_or_an_answer_button_needs_no_membership_lookup(world: DeskWorld) -> None:
    directory = SlowDirectory()
    world.engine.directories = {"console": directory}
    await asyncio.wait_for(world.engine.handle(message("slow", "printer offline")), timeout=5)
    await world.deliver()
    assert world.sender.to("user-slow")  # answered although the lookup would hang
    assert directory.asked == []


async def test_membership_answers_are_cached_and_failures_are_not(world: DeskWorld) -> None:
    directory = SlowDirectory()
    world.engine.directories = {"console": directory}
    await world.user_says("/status")
    await world.user_says("/status")
    assert directory.asked == ["console:budi"]  # asked once, then cached
    directory.fail = True
    world.engine.role_cache = RoleCache(ttl_seconds=60)
    await world.user_says("/status", name="ani")
    await world.user_says("/status", name="ani")
    assert directory.asked.count("console:ani") == 2  # a failed lookup is asked again


def test_role_cache_forgets_after_its_ttl() -> None:
    now = [0.0]
    cache = RoleCache(ttl_seconds=30, monotonic=lambda: now[0])
    cache.put("telegram:1", Role.SPECIALIST)
    assert cache.get("telegram:1") == Role.SPECIALIST
    now[0] = 31
    assert cache.get("telegram:1") is None


async def test_keyed_locks_keep_arrival_order_per_key_and_run_keys_side_by_side() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    gate = asyncio.Event()

    async def turn(key: str, name: str, wait: bool = False) -> None:
        async with locks.hold(key):
            if wait:
                await gate.wait()
            order.append(name)

    first = asyncio.create_task(turn("a", "a1", wait=True))
    await asyncio.sleep(0)
    later = [asyncio.create_task(turn("a", f"a{i}")) for i in range(2, 6)]
    await asyncio.wait_for(turn("b", "b1"), timeout=1)
    assert order == ["b1"]
    gate.set()
    await asyncio.gather(first, *later)
    assert order == ["b1", "a1", "a2", "a3", "a4", "a5"]
    assert len(locks) == 0  # nothing kept once nobody waits


def test_the_poller_lease_has_one_holder_and_is_taken_over_once_it_lapsed(uow_factory) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock()
    first = DatabaseLease(uow_factory, clock, "telegram-poller", 20, holder="host:1:a")
    second = DatabaseLease(uow_factory, clock, "telegram-poller", 20, holder="host:2:b")
    run = asyncio.run
    assert run(first.hold()) and not run(second.hold())
    clock.advance(seconds=15)
    assert run(first.hold()) and not run(second.hold())  # renewed: still the first's
    clock.advance(seconds=21)  # the first died: no renewal for longer than the lease
    assert run(second.hold()) and not run(first.hold())
    run(second.release())
    assert run(first.hold())  # released: taken at once


@pytest.fixture
async def status(uow_factory):  # type: ignore[no-untyped-def]
    class Channel:
        platform = "telegram"
        connected = True

    channel = Channel()
    migrated = [True]
    pages = HelpdeskStatusPages(uow_factory, [channel], lambda: migrated[0])  # type: ignore[list-item]
    server = StatusServer(pages, "127.0.0.1:0")
    await server.start()
    async with aiohttp.ClientSession() as session:
        yield session, f"http://127.0.0.1:{server.port}", channel, migrated
    await server.stop()


async def test_healthz_says_ok_and_names_what_is_wrong(status) -> None:  # type: ignore[no-untyped-def]
    session, base, channel, migrated = status
    async with session.get(f"{base}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body == {
        "database": "ok",
        "migrations": "current",
        "channels": {"telegram": "connected"},
        "status": "ok",
    }
    channel.connected = False
    migrated[0] = False
    async with session.get(f"{base}/healthz") as response:
        assert response.status == 503
        body = await response.json()
    assert body["channels"] == {"telegram": "not connected"}
    assert "helpdesk db upgrade" in body["migrations"]


async def test_healthz_is_503_when_the_database_is_gone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from storage.database import make_engine
    from storage.uow import sql_uow_factory

    missing = sql_uow_factory(make_engine(f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}"))
    server = StatusServer(HelpdeskStatusPages(missing, [], lambda: True), "127.0.0.1:0")
    await server.start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{server.port}/healthz") as response,
        ):
            assert response.status == 503
            body = await response.json()
        assert body["database"].startswith("unreachable")
    finally:
        await server.stop()


async def test_metrics_count_turns_and_outbox_rows(status, world: DeskWorld) -> None:  # type: ignore[no-untyped-def]
    session, base, _channel, _migrated = status
    observe_turn("telegram", "message", 0.004)
    await world.engine.handle(message("budi", "printer offline"))  # queued, not delivered yet
    with world.uow_factory() as uow:
        pending = uow.outbox.status_counts()["pending"]["console"]
    assert pending >= 1
    async with session.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        page = await response.text()
    assert 'helpdesk_events_total{kind="message",platform="telegram"}' in page
    assert 'helpdesk_turn_seconds_bucket{le="0.005",platform="telegram"}' in page
    assert "helpdesk_matcher_seconds_bucket" in page
    assert f'helpdesk_outbox_pending{{platform="console"}} {float(pending)}' in page
    assert "# TYPE helpdesk_outbox_failed gauge" in page


# ------------------------------------------------------------------ turns in worker threads
def _threaded(world: DeskWorld) -> ThreadedTurns:
    if not world.url.startswith("postgresql"):
        pytest.skip("turns run side by side only on PostgreSQL (SQLite admits one writer)")
    turns = ThreadedTurns(4)
    world.engine.turn_threads = turns
    return turns


async def test_threaded_turns_run_conversations_side_by_side_and_keep_each_ones_order(
    world: DeskWorld,
) -> None:
    turns = _threaded(world)
    inside, release = threading.Event(), threading.Event()
    ran_on: list[str] = []

    async def hold(turn: Turn, event: InboundMessage) -> None:
        ran_on.append(threading.current_thread().name)
        inside.set()
        release.wait(10)  # a turn busy in its transaction (blocking, as a database call)
        turn.send(OutboundMessage(event.address, "held turn done"))

    world.engine.commands["hold"] = hold
    try:
        held = asyncio.create_task(world.engine.handle(message("slow", "/hold")))
        assert await asyncio.to_thread(inside.wait, 5)
        after_held = asyncio.create_task(world.engine.handle(message("slow", "printer offline")))
        # The loop is free, and another conversation's turn runs and commits meanwhile.
        await asyncio.wait_for(world.engine.handle(message("budi", "printer offline")), timeout=5)
        await world.deliver()
        assert world.sender.to("user-budi") and not world.sender.to("user-slow")
        assert not held.done() and not after_held.done()
        release.set()
        await asyncio.wait_for(asyncio.gather(held, after_held), timeout=10)
        await world.deliver()
        texts = [s.message.text for s in world.sender.to("user-slow")]
        assert texts[0] == "held turn done" and len(texts) >= 2  # then the answer, in order
        assert ran_on and ran_on[0].startswith("turn") and ran_on[0] != threading.main_thread().name
    finally:
        release.set()
        await asyncio.to_thread(turns.close)


async def test_a_role_asked_inside_a_threaded_turn_is_looked_up_on_the_main_loop(world: DeskWorld) -> None:
    turns = _threaded(world)
    asked_on: list[str] = []

    class MainLoopDirectory:
        async def is_desk_member(self, user: UserRef) -> bool:
            asked_on.append(threading.current_thread().name)
            await asyncio.sleep(0.01)  # a platform call, on the loop its client belongs to
            return user.user_id == "sari"

    world.engine.directories = {"console": MainLoopDirectory()}
    roles: list[Role] = []

    async def who(turn: Turn, event: InboundMessage) -> None:
        # Another person's role: not looked up before the transaction.
        roles.append(await world.engine.role_of(UserRef("console", event.text.strip(), "X")))

    world.engine.commands["who"] = who
    try:
        await asyncio.wait_for(world.engine.handle(message("budi", "/who sari")), timeout=5)
        await asyncio.wait_for(world.engine.handle(message("budi", "/who ani")), timeout=5)
    finally:
        await asyncio.to_thread(turns.close)
    assert roles == [Role.SPECIALIST, Role.USER]
    assert asked_on and set(asked_on) == {threading.main_thread().name}


async def test_a_dispatcher_off_the_loop_delivers_and_is_woken_from_any_thread(world: DeskWorld) -> None:
    world.dispatcher.off_loop = True
    world.engine.wake_dispatcher = None
    runner = asyncio.create_task(world.dispatcher.run_forever(poll_seconds=60))
    try:
        await asyncio.sleep(0.2)  # its first pass found nothing; it now waits up to a minute
        await world.engine.handle(message("budi", "printer offline"))
        await asyncio.to_thread(world.dispatcher.wake)  # called from a worker thread
        for _ in range(100):
            if world.sender.to("user-budi"):
                break
            await asyncio.sleep(0.05)
        assert world.sender.to("user-budi"), "a wake-up from a thread did not start a pass"
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


def test_turn_threads_follow_the_setting_and_auto_follows_the_database_distance(database_url: str) -> None:
    def threads(value: str, url: str = database_url) -> int:
        return turn_threads(Settings(_env_file=None, DATABASE_URL=url, HELPDESK_TURN_THREADS=value))  # type: ignore[call-arg]

    with pytest.raises(ValueError, match="HELPDESK_TURN_THREADS"):
        Settings(_env_file=None, HELPDESK_TURN_THREADS="lots")  # type: ignore[call-arg]
    if not database_url.startswith("postgresql"):
        assert threads("8") == 0 and threads("auto") == 0  # SQLite: one writer, one at a time
        return
    assert threads("3") == 3 and threads("0") == 0
    assert threads("auto") == 0  # the server on this machine answers in a fraction of a millisecond
    # The same server two milliseconds away (a proxy delaying each way): turns side by side.
    url = make_url(database_url)
    port = free_port()
    proxy = threading.Thread(
        target=latency_proxy.serve,
        args=(("127.0.0.1", port), (url.host or "127.0.0.1", url.port or 5432), 0.001),
        daemon=True,
    )
    proxy.start()
    far = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    for _ in range(50):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        time.sleep(0.05)
    assert threads("auto", far) == AUTO_TURN_THREADS


# ------------------------------------------------------------------- turns in batches (group commit)
async def test_turns_waiting_together_share_one_transaction_and_each_gets_its_own_answer(
    world: DeskWorld,
) -> None:
    await world.engine.handle(message("budi", "printer offline"))  # alone: a batch of one
    await world.deliver()
    alone = [s.message.text for s in world.sender.to("user-budi")]
    names = [f"user{i}" for i in range(12)]
    await asyncio.gather(*(world.engine.handle(message(n, "printer offline")) for n in names))
    batches = world.engine._batches
    assert batches.largest > 1 and batches.batches < len(names) + 1  # they waited together
    await world.deliver()
    for n in names:  # the same answer as alone, once each
        assert [s.message.text.replace(n.title(), "Budi") for s in world.sender.to(f"user-{n}")] == alone
    with world.uow_factory() as uow:
        now = world.clock.now()
        tickets = uow.tickets.list_created_between(now - timedelta(days=1), now + timedelta(days=1))
    by_user = {t.requester_id: t.number for t in tickets}
    assert set(by_user) == {"budi", *names} and len(set(by_user.values())) == len(tickets) == 13


async def test_a_failing_turn_fails_alone_and_the_others_of_its_batch_are_kept(world: DeskWorld) -> None:
    async def broken(turn: Turn, event: InboundMessage) -> None:
        turn.send(OutboundMessage(event.address, "half done"))
        raise RuntimeError("a bug in one feature")

    world.engine.commands["broken"] = broken
    names = [f"user{i}" for i in range(6)]
    events = [message(n, "/broken" if n == "user3" else "printer offline") for n in names]
    results = await asyncio.gather(*(world.engine.handle(e) for e in events), return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["NoneType"] * 3 + ["RuntimeError"] + ["NoneType"] * 2
    assert world.engine._batches.largest > 1  # it was in a batch with others
    await world.deliver()
    assert not world.sender.to("user-user3")  # nothing of the failed turn was committed
    assert all(world.sender.to(f"user-{n}") for n in names if n != "user3")
    with world.uow_factory() as uow:  # the failed event was not stored: the platform's retry is new
        assert not uow.messages.seen_event("console", events[3].event_id)
        assert uow.messages.seen_event("console", events[2].event_id)
