"""Delivery that survives outages and crashes: retried until a deadline, backlog drained at once
when the platform answers again, the desk told of outages, leases of dead workers taken over in
seconds, and every attempt recorded."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

import pytest

from bot.core.ports import UnitOfWorkFactory
from bot.core.records import AttemptOutcome, OutboxItem, OutboxStatus
from bot.core.types import ChannelAddress, DeliveryError, OutboundMessage, SendReceipt
from bot.core.wire import message_to_payload
from bot.delivery.dispatcher import DeliveryPolicy, OutboxDispatcher, backoff_seconds
from handlers.slack_adapter_sender import SlackSender, make_client
from tests.fake_slack import BOT_TOKEN, FakeSlack
from tests.fakes import DeskWorld, FixedClock, RecordingSender
from tests.test_telegram import ANI, BUDI, DESK, telegram_world

STEP_SECONDS = 5


class DownSender(RecordingSender):
    """A recording sender whose platform can be taken down (every send a temporary error)."""

    def __init__(self, platform: str):
        super().__init__(platform)
        self.down = False
        self.calls = 0

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self.calls += 1
        if self.down:
            raise DeliveryError("network trouble: Bad Gateway")
        return await super().send(message)


class HangingSender(RecordingSender):
    """A sender whose sends wait until released (a slow platform, or a worker about to die)."""

    def __init__(self, platform: str):
        super().__init__(platform)
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, message: OutboundMessage) -> SendReceipt:
        self.started.set()
        await self.release.wait()
        return await super().send(message)


class LookingUpSender(RecordingSender):
    """A sender whose platform can find a message by its delivery key (as Slack's metadata can)."""

    def __init__(self, platform: str, already: dict[str, str]):
        super().__init__(platform)
        self.already = already

    async def find_delivered(self, message: OutboundMessage, since: datetime) -> SendReceipt | None:
        found = self.already.get(message.delivery_key or "")
        return SendReceipt(message.address, found) if found else None


def queue(uow_factory: UnitOfWorkFactory, clock: FixedClock, chat_id: str, *texts: str) -> list[int]:
    """Messages decided for a Telegram chat, as the engine queues them."""
    with uow_factory() as uow:
        items = [
            uow.outbox.add(
                OutboxItem(
                    "telegram",
                    chat_id,
                    None,
                    message_to_payload(OutboundMessage(ChannelAddress("telegram", chat_id), text)),
                    created_at=clock.now(),
                )
            )
            for text in texts
        ]
        uow.commit()
    return [item.id for item in items if item.id is not None]


def rows(uow_factory: UnitOfWorkFactory, ids: list[int]) -> list[OutboxItem]:
    with uow_factory() as uow:
        found = [uow.outbox.get(i) for i in ids]
    return [row for row in found if row is not None]


async def run_for(
    dispatcher: OutboxDispatcher, clock: FixedClock, seconds: float, step: float = STEP_SECONDS
) -> None:
    """Let ``seconds`` of fake time pass, with a dispatcher pass every ``step``."""
    elapsed = 0.0
    while elapsed < seconds:
        clock.advance(seconds=step)
        elapsed += step
        for _ in range(20):
            if not await dispatcher.run_once():
                break


def test_backoff_is_capped_and_jittered() -> None:
    rng = random.Random(7)
    for attempts in range(1, 20):
        ceiling = min(300, 2**attempts)
        waits = [backoff_seconds(attempts, rng) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 40  # spread, not all retrying at the same instant


async def test_a_ten_minute_outage_loses_nothing_and_the_backlog_drains_in_order(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with telegram_world(uow_factory, monkeypatch) as tg:
        tg.fake.down["sendMessage"] = 502
        for user in (BUDI, ANI):
            for text in ("/start", "printer offline", "/help"):
                await tg.user_says(user, text)
        with tg.uow_factory() as uow:
            waiting = uow.outbox.due(datetime(9999, 1, 1).astimezone(), ["telegram"], limit=100)
        assert len(waiting) >= 6 and any(row.attempts >= 1 for row in waiting)  # the later ones wait behind
        await run_for(tg.helpdesk.dispatcher, tg.clock, 600)
        calls_in_outage = len(tg.fake.calls_to("sendMessage"))
        with tg.uow_factory() as uow:
            assert not [
                r for r in (uow.outbox.get(w.id or 0) for w in waiting) if r and r.status != "pending"
            ]
        # Without an outage circuit each row would be retried every few seconds; with it, the
        # rows back off to minutes and one probe goes out every 10 s.
        assert calls_in_outage < len(waiting) * 12 + 70

        del tg.fake.down["sendMessage"]
        await run_for(tg.helpdesk.dispatcher, tg.clock, 15, step=1)
        by_chat: dict[str, list[str]] = {}
        with tg.uow_factory() as uow:
            for row in waiting:
                stored = uow.outbox.get(row.id or 0)
                assert stored is not None and stored.status == OutboxStatus.SENT  # nothing lost
                assert stored.sent_at is not None and stored.sent_at - tg.clock.now() <= timedelta(0)
                by_chat.setdefault(stored.chat_id, []).append(stored.payload["text"])
                outcomes = [a.outcome for a in uow.outbox.attempts(stored.id or 0)]
                assert outcomes[-1] == AttemptOutcome.SENT and set(outcomes[:-1]) <= {
                    AttemptOutcome.TEMPORARY
                }
        for user in (BUDI, ANI):
            delivered = tg.fake.bot_messages(user)
            assert len(delivered) == len(by_chat[str(user)])  # each exactly once
            assert [m["text"].split("\n")[0] for m in delivered] == [
                text.split("\n")[0] for text in by_chat[str(user)]
            ]  # in the order decided
        recovered = [text for text in tg.fake.texts(DESK) if text.startswith("✅ Telegram")]
        assert len(recovered) == 1 and "10 menit" in recovered[0]
        assert not [text for text in tg.fake.texts(DESK) if text.startswith("⚠️")]  # the desk is on Telegram


async def test_the_backlog_goes_out_within_seconds_of_the_platform_answering(world: DeskWorld) -> None:
    telegram = DownSender("telegram")
    dispatcher = OutboxDispatcher(
        world.uow_factory, {"console": world.sender, "telegram": telegram}, world.clock, world.engine
    )
    telegram.down = True
    ids = queue(world.uow_factory, world.clock, "42", "satu", "dua", "tiga")
    ids += queue(world.uow_factory, world.clock, "43", "empat")
    await run_for(dispatcher, world.clock, 75)  # a 75-second outage
    assert [r.status for r in rows(world.uow_factory, ids)] == [OutboxStatus.PENDING] * 4
    telegram.down = False
    await run_for(dispatcher, world.clock, 10, step=1)
    assert [r.status for r in rows(world.uow_factory, ids)] == [OutboxStatus.SENT] * 4
    assert [s.message.text for s in telegram.to("42")] == ["satu", "dua", "tiga"]
    assert [s.message.text for s in telegram.to("43")] == ["empat"]
    # 75 s is under the alert threshold: the desk is not bothered.
    assert not [s for s in world.sender.to("desk") if "Telegram" in s.message.text]


async def test_the_desk_is_told_once_of_an_outage_and_once_of_its_end(world: DeskWorld) -> None:
    telegram = DownSender("telegram")
    dispatcher = OutboxDispatcher(
        world.uow_factory, {"console": world.sender, "telegram": telegram}, world.clock, world.engine
    )
    telegram.down = True
    queue(world.uow_factory, world.clock, "42", "halo")
    await run_for(dispatcher, world.clock, 170)
    assert not [s for s in world.sender.to("desk") if "Telegram" in s.message.text]  # not yet: under 3 min
    await run_for(dispatcher, world.clock, 300)
    queue(world.uow_factory, world.clock, "44", "lagi")
    await run_for(dispatcher, world.clock, 60)
    notices = [s.message.text for s in world.sender.to("desk") if "Telegram" in s.message.text]
    assert len(notices) == 1 and notices[0].startswith("⚠️ Pesan ke Telegram")
    telegram.down = False
    await run_for(dispatcher, world.clock, 10, step=1)
    notices = [s.message.text for s in world.sender.to("desk") if "Telegram" in s.message.text]
    assert len(notices) == 2 and notices[1].startswith("✅ Telegram dapat dihubungi lagi")
    assert sorted(s.message.text for s in telegram.sent) == ["halo", "lagi"]  # two chats


async def test_temporary_errors_are_given_up_only_after_the_deadline(world: DeskWorld) -> None:
    telegram = DownSender("telegram")
    policy = DeliveryPolicy(give_up_after=timedelta(hours=2))
    dispatcher = OutboxDispatcher(
        world.uow_factory, {"console": world.sender, "telegram": telegram}, world.clock, world.engine, policy
    )
    telegram.down = True
    (item_id,) = queue(world.uow_factory, world.clock, "42", "halo")
    started = world.clock.now()
    longest_wait = timedelta(0)
    while world.clock.now() - started < timedelta(hours=2) - timedelta(minutes=5):
        await run_for(dispatcher, world.clock, 60, step=60)
        (row,) = rows(world.uow_factory, [item_id])
        assert row.status == OutboxStatus.PENDING
        if row.next_attempt_at is not None:
            longest_wait = max(longest_wait, row.next_attempt_at - world.clock.now())
    assert longest_wait <= timedelta(seconds=300)  # the backoff is capped at 5 minutes
    await run_for(dispatcher, world.clock, 600, step=60)
    (row,) = rows(world.uow_factory, [item_id])
    assert row.status == OutboxStatus.FAILED and row.attempts > 20
    with world.uow_factory() as uow:
        assert uow.outbox.attempts(item_id)[-1].outcome == AttemptOutcome.PERMANENT


async def test_a_dead_workers_lease_is_taken_over_in_seconds(world: DeskWorld) -> None:
    policy = DeliveryPolicy(lease_seconds=0.3)
    dying = HangingSender("telegram")
    a = OutboxDispatcher(
        world.uow_factory, {"telegram": dying}, world.clock, world.engine, policy, worker="a"
    )
    survivor = RecordingSender("telegram")
    b = OutboxDispatcher(
        world.uow_factory, {"telegram": survivor}, world.clock, world.engine, policy, worker="b"
    )
    ids = queue(world.uow_factory, world.clock, "42", "satu", "dua")
    task = asyncio.create_task(a.run_once())
    await asyncio.wait_for(dying.started.wait(), 5)
    task.cancel()  # worker a dies between sending and recording
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await b.run_once() == 0  # the lease is still a's
    world.clock.advance(seconds=1)
    assert await b.run_once() == 2
    assert [s.message.text for s in survivor.sent] == ["satu", "dua"]  # order kept
    with world.uow_factory() as uow:
        attempts = uow.outbox.attempts(ids[0])
    assert [(x.worker, x.outcome) for x in attempts] == [
        ("a", AttemptOutcome.UNCERTAIN),
        ("b", AttemptOutcome.SENT),
    ]


async def test_a_message_the_platform_already_has_is_not_sent_again(world: DeskWorld) -> None:
    policy = DeliveryPolicy(lease_seconds=0.3)
    dying = HangingSender("telegram")
    a = OutboxDispatcher(
        world.uow_factory, {"telegram": dying}, world.clock, world.engine, policy, worker="a"
    )
    (item_id,) = queue(world.uow_factory, world.clock, "42", "satu")
    survivor = LookingUpSender("telegram", {f"outbox-{item_id}": "777"})
    b = OutboxDispatcher(
        world.uow_factory, {"telegram": survivor}, world.clock, world.engine, policy, worker="b"
    )
    task = asyncio.create_task(a.run_once())
    await asyncio.wait_for(dying.started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    world.clock.advance(seconds=1)
    assert await b.run_once() == 1
    assert survivor.sent == []  # found, not sent twice
    (row,) = rows(world.uow_factory, [item_id])
    assert row.status == OutboxStatus.SENT and row.receipt_message_id == "777"
    with world.uow_factory() as uow:
        outcomes = [x.outcome for x in uow.outbox.attempts(item_id)]
    assert outcomes == [AttemptOutcome.UNCERTAIN, AttemptOutcome.FOUND_SENT]


async def test_a_live_workers_lease_is_renewed_while_it_waits_on_the_network(world: DeskWorld) -> None:
    policy = DeliveryPolicy(lease_seconds=0.3)
    slow = HangingSender("telegram")
    a = OutboxDispatcher(world.uow_factory, {"telegram": slow}, world.clock, world.engine, policy, worker="a")
    other = RecordingSender("telegram")
    b = OutboxDispatcher(
        world.uow_factory, {"telegram": other}, world.clock, world.engine, policy, worker="b"
    )
    (item_id,) = queue(world.uow_factory, world.clock, "42", "satu")
    task = asyncio.create_task(a.run_once())
    await asyncio.wait_for(slow.started.wait(), 5)
    world.clock.advance(seconds=1)  # past the first lease...
    await asyncio.sleep(policy.heartbeat_seconds * 2.5)  # ...but a's heartbeat renewed it
    assert await b.run_once() == 0 and other.sent == []
    slow.release.set()
    assert await task == 1
    (row,) = rows(world.uow_factory, [item_id])
    assert row.status == OutboxStatus.SENT and len(slow.sent) == 1


class PostsThenDies:
    """A Slack sender that posts for real and then never hears back (its worker is killed)."""

    platform = "slack"

    def __init__(self, sender: SlackSender):
        self.sender = sender
        self.posted = asyncio.Event()

    async def send(self, message: OutboundMessage) -> SendReceipt:
        await self.sender.send(message)
        self.posted.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt:
        await self.sender.open_thread(where, title, first)
        self.posted.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


@pytest.mark.parametrize("thread", [None, "1700000000.000009"])
async def test_slack_finds_a_post_of_a_dead_worker_and_does_not_post_it_twice(
    world: DeskWorld, thread: str | None
) -> None:
    fake = FakeSlack()
    await fake.start()
    try:
        policy = DeliveryPolicy(lease_seconds=0.3)
        dying = PostsThenDies(SlackSender(make_client(BOT_TOKEN, fake.api_url)))
        a = OutboxDispatcher(
            world.uow_factory, {"slack": dying}, world.clock, world.engine, policy, worker="a"
        )
        b_sender = SlackSender(make_client(BOT_TOKEN, fake.api_url))
        b = OutboxDispatcher(
            world.uow_factory, {"slack": b_sender}, world.clock, world.engine, policy, worker="b"
        )
        with world.uow_factory() as uow:
            earlier = OutboundMessage(ChannelAddress("slack", "CDESK", thread), "sebelumnya")
            message = OutboundMessage(ChannelAddress("slack", "CDESK", thread), "Sudah bisa dicoba lagi?")
            for each in (earlier, message):
                item = uow.outbox.add(
                    OutboxItem(
                        "slack", "CDESK", thread, message_to_payload(each), created_at=world.clock.now()
                    )
                )
            uow.commit()
        assert item.id is not None
        with world.uow_factory() as uow:  # the earlier one went out long ago
            first = uow.outbox.get(item.id - 1)
            assert first is not None
            first.status = OutboxStatus.SENT
            uow.commit()
        task = asyncio.create_task(a.run_once())
        await asyncio.wait_for(dying.posted.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        world.clock.advance(seconds=1)
        assert await b.run_once() == 1
        posts = [m for m in fake.messages if m.text == "Sudah bisa dicoba lagi?"]
        assert len(posts) == 1  # found by its metadata, not posted again
        (row,) = rows(world.uow_factory, [item.id])
        assert row.status == OutboxStatus.SENT and row.receipt_message_id == posts[0].ts
        lookups = [c for c in fake.calls if c.method.startswith("conversations.")]
        assert [c.method for c in lookups] == ["conversations.replies" if thread else "conversations.history"]
    finally:
        await fake.stop()


class JitterySender(RecordingSender):
    """A sender whose round trips take a random few milliseconds; it notes how many sends to one
    chat were ever in flight at once, and how many in all."""

    def __init__(self, platform: str, seed: int):
        super().__init__(platform)
        self.rng = random.Random(seed)
        self.open: dict[str, int] = {}
        self.most_per_chat = 0
        self.most_in_all = 0

    async def send(self, message: OutboundMessage) -> SendReceipt:
        chat = message.address.chat_id
        self.open[chat] = self.open.get(chat, 0) + 1
        self.most_per_chat = max(self.most_per_chat, self.open[chat])
        self.most_in_all = max(self.most_in_all, sum(self.open.values()))
        try:
            await asyncio.sleep(self.rng.uniform(0, 0.004))
            return await super().send(message)
        finally:
            self.open[chat] -= 1


async def test_a_burst_to_many_chats_goes_out_side_by_side_in_order_per_chat(world: DeskWorld) -> None:
    sender = JitterySender("telegram", seed=7)
    policy = DeliveryPolicy(concurrency=8)
    dispatcher = OutboxDispatcher(world.uow_factory, {"telegram": sender}, world.clock, world.engine, policy)
    texts = {str(chat): [f"{chat}-{n}" for n in range(4)] for chat in range(1, 31)}
    ids = [i for chat, said in texts.items() for i in queue(world.uow_factory, world.clock, chat, *said)]
    commits = 0
    real_factory = world.uow_factory

    def counting_factory() -> object:
        nonlocal commits
        commits += 1
        return real_factory()

    dispatcher.uow_factory = counting_factory  # type: ignore[assignment]
    assert await dispatcher.run_once() == 120  # one pass sends every chat's whole queue
    for chat, said in texts.items():
        assert [s.message.text for s in sender.to(chat)] == said
    assert sender.most_per_chat == 1 and 1 < sender.most_in_all <= 8
    assert all(row.status == OutboxStatus.SENT for row in rows(real_factory, ids))
    assert commits < 120  # taken and recorded in batches, not one transaction per message


async def test_one_row_that_cannot_be_recorded_does_not_hold_back_the_others(world: DeskWorld) -> None:
    sender = RecordingSender("telegram")
    dispatcher = OutboxDispatcher(world.uow_factory, {"telegram": sender}, world.clock, world.engine)
    ids = [queue(world.uow_factory, world.clock, str(chat), "halo")[0] for chat in range(1, 6)]
    real_after = world.engine.after_delivery

    def after_delivery(uow, item, receipt, now):  # type: ignore[no-untyped-def]
        if item.chat_id == "3":
            raise RuntimeError("the database refused this row")
        real_after(uow, item, receipt, now)

    world.engine.after_delivery = after_delivery  # type: ignore[method-assign]
    assert await dispatcher.run_once() == 4
    by_chat = {row.chat_id: row.status for row in rows(world.uow_factory, ids)}
    assert by_chat == {"1": "sent", "2": "sent", "3": "pending", "4": "sent", "5": "sent"}


async def test_an_outage_another_worker_saw_is_closed_by_a_success_here_within_a_second(
    world: DeskWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.delivery.dispatcher as dispatching

    monkeypatch.setattr(dispatching, "HEALTH_RECHECK_SECONDS", 0.3)
    healthy = RecordingSender("telegram")
    here = OutboxDispatcher(
        world.uow_factory, {"telegram": healthy}, world.clock, world.engine, worker="here"
    )
    queue(world.uow_factory, world.clock, "42", "halo")
    await here.run_once()  # delivered: no outage open, so the next successes need not look for a while
    with world.uow_factory() as uow:  # meanwhile another worker's deliveries fail
        uow.outbox.note_failure("telegram", world.clock.now(), "timeout")
        uow.commit()

    def failing_since() -> datetime | None:
        with world.uow_factory() as uow:
            health = uow.outbox.health("telegram")
            return health.failing_since if health else None

    queue(world.uow_factory, world.clock, "43", "lagi")
    await here.run_once()
    assert failing_since() is not None  # looked again only after the recheck interval
    await asyncio.sleep(0.35)
    queue(world.uow_factory, world.clock, "44", "lagi")
    await here.run_once()
    assert failing_since() is None
    assert [s.message.text for s in healthy.sent] == ["halo", "lagi", "lagi"]
