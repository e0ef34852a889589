"""The Telegram channel end to end: the real PTB ``Application`` (built with ``base_url`` pointing at
a fake Bot API server on 127.0.0.1), the real engine and dispatcher wired by ``bot.app.build`` on a
real database, and every message really going out over HTTP.

Read like transcripts: Budi and Ani are users in private chats, Sari is a specialist in the desk
group, Joko is in the desk group but not a member any more.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

import bot.app as app_module
from bot import texts
from bot.app import Helpdesk, build
from bot.core.ports import EventSink, UnitOfWorkFactory
from bot.core.records import OutboxStatus, Ticket, TicketStatus
from bot.core.types import Button, ChannelAddress, DeliveryError, Event, OutboundMessage, UserRef
from bot.faq.importing import import_entries
from bot.settings import Settings
from handlers.telegram_adapter import SECRET_HEADER, TelegramChannel
from tests.fake_telegram import BOT_USERNAME, FakeTelegram, JsonDict
from tests.fakes import SAMPLE_FAQ, FixedClock, KeywordFinder

DESK = -1001234567890
BUDI, ANI, SARI, JOKO, OTHER_BOT = 1001, 1002, 2001, 2002, 3001
LANG = "id"  # the users write Indonesian; the desk speaks the default language (id)


def t(key: str, lang: str = LANG, **fields: Any) -> str:
    return texts.text(lang, key, c="/", **fields)  # commands are written "/ticket" on Telegram


# ------------------------------------------------------------------------------------ harness
@dataclass
class TelegramWorld:
    """A fake Telegram, the channel under test and the helpdesk around it."""

    fake: FakeTelegram
    channel: TelegramChannel
    helpdesk: Helpdesk
    clock: FixedClock
    uow_factory: UnitOfWorkFactory
    users: dict[int, JsonDict]

    async def settle(self, *updates: JsonDict) -> None:
        """Wait until the bot processed ``updates`` (or everything queued), then deliver the outbox."""
        for update in updates or tuple(self.fake.queue):
            await self.fake.wait_processed(update)
        await self.deliver()

    async def deliver(self) -> None:
        """Run the dispatcher until nothing more is due now."""
        for _ in range(30):
            if not await self.helpdesk.dispatcher.run_once():
                return

    async def user_says(self, user: int, text: str | None = None, **kw: Any) -> JsonDict:
        update = self.fake.message(user, self.users[user], text, **kw)
        await self.settle(update)
        return update

    async def user_presses(self, user: int, label: str) -> JsonDict:
        update = self.fake.press_button(self.users[user], user, label)
        await self.settle(update)
        return update

    async def desk_says(self, who: int, text: str | None = None, **kw: Any) -> JsonDict:
        update = self.fake.message(DESK, self.users[who], text, **kw)
        await self.settle(update)
        return update

    async def escalate(self, user: int, problem: str = "laptop mati total tidak bisa nyala") -> Ticket:
        """``user`` describes a problem the FAQ cannot answer and answers the triage questions."""
        await self.user_says(user, problem)
        for _ in range(6):
            if any(t("ticket_opened", number="#", expected="")[:40] in s for s in self.fake.texts(user)):
                break
            last = self.fake.bot_messages(user)[-1]
            if last.get("reply_markup"):
                await self.user_presses(user, t("btn_skip"))
            else:
                await self.user_says(user, "sejak pagi tadi")
        tickets = self.open_tickets(user)
        assert len(tickets) == 1
        return tickets[0]

    def open_tickets(self, user: int) -> list[Ticket]:
        with self.uow_factory() as uow:
            return uow.tickets.open_for_requester("telegram", str(user))

    def ticket(self, ticket_id: int | None) -> Ticket:
        assert ticket_id is not None
        with self.uow_factory() as uow:
            ticket = uow.tickets.get(ticket_id)
        assert ticket is not None
        return ticket

    def events(self, ticket_id: int | None) -> list[str]:
        assert ticket_id is not None
        with self.uow_factory() as uow:
            return [e.kind for e in uow.tickets.events(ticket_id)]

    def card(self, ticket: Ticket) -> JsonDict:
        assert ticket.desk_card_message_id is not None
        return self.fake.messages[(DESK, int(ticket.desk_card_message_id))]


@contextlib.asynccontextmanager
async def telegram_world(
    uow_factory: UnitOfWorkFactory,
    monkeypatch: pytest.MonkeyPatch,
    *,
    forum: bool = False,
    mode: str = "polling",
    wrap_sink: Callable[[EventSink], EventSink] | None = None,
    **channel_options: Any,
) -> AsyncIterator[TelegramWorld]:
    fake = FakeTelegram()
    await fake.start()
    fake.add_group(DESK, forum=forum)
    users = {
        BUDI: fake.add_user(BUDI, "Budi", "Santoso"),
        ANI: fake.add_user(ANI, "Ani"),
        SARI: fake.add_user(SARI, "Sari"),
        JOKO: fake.add_user(JOKO, "Joko"),
        OTHER_BOT: fake.add_user(OTHER_BOT, "Other", is_bot=True),
    }
    fake.set_member(DESK, SARI, "member")
    fake.set_member(DESK, JOKO, "left")
    fake.set_member(DESK, OTHER_BOT, "member")
    with uow_factory() as uow:
        import_entries(uow, SAMPLE_FAQ, author="test")
        uow.commit()
    # The small sample FAQ with its deterministic keyword matcher, wired exactly as the app does.
    monkeypatch.setattr(app_module, "make_matcher", lambda _settings: KeywordFinder())
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_DESK_CHAT_ID=str(DESK),
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_API_FILE_URL=fake.base_file_url,
        TELEGRAM_MODE=mode,
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1:0",
        TELEGRAM_WEBHOOK_URL="https://helpdesk.example.org/telegram/hook",
        TELEGRAM_WEBHOOK_SECRET="s3cret-token",
        HELPDESK_LANGUAGE=LANG,
        HELPDESK_SPECIALISTS=(),
        HELPDESK_ADMINS=(),
    )
    channel = TelegramChannel.from_settings(settings)
    channel.poll_timeout = 1
    channel.retry_seconds = 0.01
    for name, value in channel_options.items():
        setattr(channel, name, value)
    clock = FixedClock()
    helpdesk = build(
        settings,
        uow_factory,
        {"telegram": channel.sender},
        directories={"telegram": channel.directory} if channel.directory else {},
        clock=clock,  # type: ignore[arg-type]
        channels=[channel],
    )
    sink: EventSink = helpdesk.engine if wrap_sink is None else wrap_sink(helpdesk.engine)
    await channel.start(sink)
    world = TelegramWorld(fake, channel, helpdesk, clock, uow_factory, users)
    try:
        yield world
    finally:
        await channel.stop()
        await fake.stop()


@pytest.fixture
async def tg(uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TelegramWorld]:
    """A plain desk group (cards are thread roots, replies to them route)."""
    async with telegram_world(uow_factory, monkeypatch) as world:
        yield world


@pytest.fixture
async def forum(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelegramWorld]:
    """A forum supergroup desk (one topic per ticket)."""
    async with telegram_world(uow_factory, monkeypatch, forum=True) as world:
        yield world


def keyboard(message: JsonDict) -> list[list[str]]:
    return [
        [b["text"] for b in row] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
    ]


# ------------------------------------------------------------------------------- self-service
async def test_faq_answer_solved_keyboard_replaced_and_rated(tg: TelegramWorld) -> None:
    await tg.user_says(BUDI, "lupa password email")
    (answer,) = tg.fake.bot_messages(BUDI)  # a new user's greeting opens the answer
    assert answer["text"].startswith(t("greeting_short", name="Budi Santoso") + "\n\n")
    assert "1. Buka halaman password." in answer["text"]
    assert keyboard(answer) == [[t("btn_solved")], [t("btn_not_solved")], [t("btn_human")]]
    send = tg.fake.calls_to("sendMessage", BUDI)[-1]
    assert send["parse_mode"] == "HTML"
    assert send["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "solved:1"

    await tg.user_presses(BUDI, t("btn_solved"))
    assert len(tg.fake.calls_to("answerCallbackQuery")) == 1
    edit = tg.fake.calls_to("editMessageText", BUDI)[-1]
    assert edit["message_id"] == answer["message_id"]
    assert "reply_markup" not in edit.params  # an edit without a keyboard removes the pressed one
    answer_now = tg.fake.messages[(BUDI, answer["message_id"])]
    assert answer_now["text"] == t("chosen_solved") and "reply_markup" not in answer_now
    rating = tg.fake.bot_messages(BUDI)[-1]
    assert rating["text"] == t("glad_solved")
    assert keyboard(rating) == [["1", "2", "3", "4", "5"]]  # ratings share one row

    await tg.user_presses(BUDI, "5")
    assert tg.fake.texts(BUDI)[-1] == t("thanks_rating")
    ticket = tg.ticket(1)
    assert ticket.status == TicketStatus.SELF_SERVICE and ticket.rating == 5
    assert tg.fake.bot_messages(DESK) == []


async def test_commands_and_menu(tg: TelegramWorld) -> None:
    await tg.user_says(BUDI, f"/help@{BOT_USERNAME}")
    assert tg.fake.texts(BUDI)[-1] == t("help")
    await tg.user_says(BUDI, "/lang en")
    assert tg.fake.texts(BUDI)[-1] == t("lang_set", "en")
    await tg.user_says(BUDI, "/status")
    assert tg.fake.texts(BUDI)[-1] == t("status_none", "en")
    # The command menu: English for everyone, Indonesian for Indonesian clients, desk commands in the desk.
    default = '{"type": "default"}'
    desk = f'{{"chat_id": {DESK}, "type": "chat"}}'
    assert [c["command"] for c in tg.fake.commands[(default, "")]] == [
        "start",
        "help",
        "ticket",
        "status",
        "cancel",
        "lang",
        "mydata",
        "forget",
    ]
    assert tg.fake.commands[(default, "")][2]["description"] == t("cmd_ticket", "en")
    assert tg.fake.commands[(default, "id")][2]["description"] == t("cmd_ticket", "id")
    assert "claim" in [c["command"] for c in tg.fake.commands[(desk, "id")]]


# -------------------------------------------------------------------- escalation (plain group)
async def test_escalation_relay_note_resolve_and_rating_in_a_plain_group(tg: TelegramWorld) -> None:
    ticket = await tg.escalate(BUDI)
    assert tg.fake.texts(BUDI)[-1].startswith(t("ticket_opened", number="#1", expected="")[:30])
    card = tg.card(ticket)
    assert ticket.desk_thread_id == f"r{card['message_id']}"  # replies to the card are the thread
    assert card["text"].startswith(t("card_title", number="#1", priority="NORMAL", category="other"))
    assert keyboard(card) == [[t("btn_claim")], [t("btn_resolve")], [t("btn_priority")]]
    assert not tg.fake.calls_to("createForumTopic")

    # Sari answers by replying to the card; Budi gets it, the desk sees a reaction on her message.
    reply = await tg.desk_says(SARI, "Coba tekan tombol power 10 detik", reply_to=card["message_id"])
    relay = tg.fake.texts(BUDI)[-1]
    assert relay == t(
        "relay_from_specialist", name="Sari", number="#1", text="Coba tekan tombol power 10 detik"
    )
    reaction = tg.fake.calls_to("setMessageReaction", DESK)[-1]
    assert reaction["message_id"] == reply["message"]["message_id"]
    assert reaction["reaction"] == [{"type": "emoji", "emoji": "👍"}]

    # Budi's follow-up goes under the card.
    await tg.user_says(BUDI, "sudah, tetap mati")
    follow_up = tg.fake.bot_messages(DESK)[-1]
    assert follow_up["text"] == t("desk_from_user", name="Budi Santoso", text="sudah, tetap mati")
    assert follow_up["reply_to_message"]["message_id"] == card["message_id"]

    # An internal note (replying to Budi's relayed message) is never relayed.
    before = len(tg.fake.bot_messages(BUDI))
    await tg.desk_says(SARI, "!cek garansi dulu", reply_to=follow_up["message_id"])
    assert len(tg.fake.bot_messages(BUDI)) == before
    assert "note" in tg.events(ticket.id)

    # /resolve with a summary, replying in the thread.
    await tg.desk_says(SARI, "/resolve adaptor diganti", reply_to=follow_up["message_id"])
    resolved = tg.fake.bot_messages(BUDI)[-1]
    assert t("resolved_summary", summary="adaptor diganti").strip() in resolved["text"]
    assert keyboard(resolved) == [["1", "2", "3", "4", "5"], [t("btn_reopen")]]
    assert tg.fake.texts(DESK)[-1] == t("desk_resolved", number="#1", name="Sari")
    assert keyboard(tg.card(ticket)) == []  # the card lost its buttons
    assert not tg.fake.calls_to("closeForumTopic")

    await tg.user_presses(BUDI, "4")
    assert tg.fake.texts(DESK)[-1] == t("desk_rated", number="#1", score=4)
    final = tg.ticket(ticket.id)
    assert final.status == TicketStatus.RESOLVED and final.rating == 4 and final.owner == "telegram:2001"


async def test_two_open_tickets_replies_reach_exactly_one_requester(tg: TelegramWorld) -> None:
    budi_ticket = await tg.escalate(BUDI)
    ani_ticket = await tg.escalate(ANI, "monitor saya berkedip terus")
    budi_seen, ani_seen = len(tg.fake.bot_messages(BUDI)), len(tg.fake.bot_messages(ANI))

    await tg.desk_says(SARI, "Untuk Ani: buka tray 2", reply_to=tg.card(ani_ticket)["message_id"])
    assert len(tg.fake.bot_messages(BUDI)) == budi_seen
    assert tg.fake.texts(ANI)[-1].endswith("Untuk Ani: buka tray 2")

    # Budi writes; Sari replies to his relayed message (not the card): still only Budi gets it.
    await tg.user_says(BUDI, "masih mati")
    budi_relayed = tg.fake.bot_messages(DESK)[-1]
    assert budi_relayed["reply_to_message"]["message_id"] == tg.card(budi_ticket)["message_id"]
    await tg.desk_says(SARI, "Untuk Budi: cek adaptor", reply_to=budi_relayed["message_id"])
    assert tg.fake.texts(BUDI)[-1].endswith("Untuk Budi: cek adaptor")
    assert len(tg.fake.bot_messages(ANI)) == ani_seen + 1
    assert tg.ticket(budi_ticket.id).owner == tg.ticket(ani_ticket.id).owner == "telegram:2001"

    # A desk message outside any thread is just chatter: nothing is relayed, nothing answered.
    seen = len(tg.fake.bot_messages(BUDI)), len(tg.fake.bot_messages(ANI)), len(tg.fake.bot_messages(DESK))
    await tg.desk_says(SARI, "kopi siapa ini?")
    assert (
        len(tg.fake.bot_messages(BUDI)),
        len(tg.fake.bot_messages(ANI)),
        len(tg.fake.bot_messages(DESK)),
    ) == seen


async def test_a_non_specialist_cannot_claim_and_nothing_changes(tg: TelegramWorld) -> None:
    ticket = await tg.escalate(BUDI)
    card = tg.card(ticket)
    before_user = len(tg.fake.bot_messages(BUDI))
    tg.fake.press(tg.users[JOKO], card, f"claim:{ticket.id}")
    await tg.settle()
    assert tg.fake.texts(DESK)[-1] == t("desk_not_specialist")
    await tg.desk_says(JOKO, "saya ambil ya", reply_to=card["message_id"])
    assert tg.fake.texts(DESK)[-1] == t("desk_not_specialist")
    after = tg.ticket(ticket.id)
    assert after.owner is None and after.status == TicketStatus.OPEN
    assert len(tg.fake.bot_messages(BUDI)) == before_user
    assert tg.fake.calls_to("getChatMember")[-1]["user_id"] == JOKO

    # Sari may; her membership answer is cached, so a second action asks Telegram no more.
    tg.fake.press(tg.users[SARI], card, f"claim:{ticket.id}")
    await tg.settle()
    assert tg.ticket(ticket.id).owner == "telegram:2001"
    assert tg.fake.texts(BUDI)[-1] == t("user_claimed", name="Sari", number="#1")
    asked = len(tg.fake.calls_to("getChatMember"))
    await tg.desk_says(SARI, "sebentar ya", reply_to=card["message_id"])
    assert len(tg.fake.calls_to("getChatMember")) == asked


async def test_other_bots_and_commands_for_other_bots_are_ignored(tg: TelegramWorld) -> None:
    ticket = await tg.escalate(BUDI)
    seen = len(tg.fake.bot_messages(BUDI)), len(tg.fake.bot_messages(DESK))
    await tg.desk_says(OTHER_BOT, "automated alert", reply_to=tg.card(ticket)["message_id"])
    await tg.desk_says(SARI, "/claim@some_other_bot", reply_to=tg.card(ticket)["message_id"])
    assert (len(tg.fake.bot_messages(BUDI)), len(tg.fake.bot_messages(DESK))) == seen
    assert tg.ticket(ticket.id).owner is None
    # Groups other than the desk are not served at all.
    tg.fake.add_group(-100999, "random group")
    tg.fake.set_member(-100999, BUDI)
    await tg.settle(tg.fake.message(-100999, tg.users[BUDI], "/status"))
    assert tg.fake.bot_messages(-100999) == [] and len(tg.fake.bot_messages(BUDI)) == seen[0]


# ------------------------------------------------------------------------------ forum topics
async def test_forum_topic_per_ticket_relays_in_the_topic_and_closes_it(forum: TelegramWorld) -> None:
    ticket = await forum.escalate(BUDI)
    created = forum.fake.calls_to("createForumTopic")
    assert len(created) == 1 and created[0]["name"].startswith("#1 laptop mati total")
    topic = int(ticket.desk_thread_id or 0)
    assert (DESK, topic) in forum.fake.topics
    card = forum.card(ticket)
    assert card["message_thread_id"] == topic and card["is_topic_message"]

    await forum.desk_says(SARI, "Halo Budi, saya cek ya", thread_id=topic)
    assert forum.fake.texts(BUDI)[-1].endswith("Halo Budi, saya cek ya")

    await forum.user_says(BUDI, "baik, terima kasih")
    relayed = forum.fake.calls_to("sendMessage", DESK)[-1]
    assert relayed["message_thread_id"] == topic
    assert forum.fake.bot_messages(DESK)[-1]["text"].endswith("baik, terima kasih")

    await forum.desk_says(SARI, "/resolve", thread_id=topic)
    assert forum.fake.texts(DESK)[-1] == t("desk_resolved", number="#1", name="Sari")
    close = forum.fake.calls_to("closeForumTopic")
    assert len(close) == 1 and close[0]["message_thread_id"] == topic
    assert forum.fake.topics[(DESK, topic)]["closed"]
    assert forum.ticket(ticket.id).status == TicketStatus.RESOLVED

    # "Still not fixed": the topic opens again, so specialists who are not admins can write there.
    await forum.user_presses(BUDI, t("btn_reopen"))
    assert not forum.fake.topics[(DESK, topic)]["closed"]
    assert forum.fake.texts(DESK)[-1] == t("desk_reopened", number="#1")
    await forum.desk_says(SARI, "Saya cek lagi", thread_id=topic)
    assert forum.fake.texts(BUDI)[-1].endswith("Saya cek lagi")


async def test_forum_topic_is_reused_when_the_card_failed_after_creating_it(forum: TelegramWorld) -> None:
    forum.fake.fail_next("sendMessage", 429, retry_after=2, chat_id=DESK)
    await forum.user_says(BUDI, "/ticket layar laptop bergaris sejak kemarin")
    for label in (t("btn_skip"), t("btn_skip")):
        await forum.user_presses(BUDI, label)
    assert len(forum.fake.calls_to("createForumTopic")) == 1
    forum.clock.advance(seconds=3)
    await forum.deliver()
    ticket = forum.open_tickets(BUDI)[0]
    assert len(forum.fake.calls_to("createForumTopic")) == 1  # no second, empty topic
    assert forum.card(ticket)["message_thread_id"] == int(ticket.desk_thread_id or 0)


# ---------------------------------------------------------------------------- delivery errors
async def test_429_is_retried_after_the_time_telegram_asks(tg: TelegramWorld) -> None:
    tg.fake.fail_next("sendMessage", 429, retry_after=7, chat_id=BUDI)
    await tg.user_says(BUDI, "/start")
    assert tg.fake.bot_messages(BUDI) == []
    with tg.uow_factory() as uow:
        (row,) = uow.outbox.due(tg.clock.now().replace(year=2100), ["telegram"])
        assert row.status == OutboxStatus.PENDING and row.attempts == 1
        assert (row.next_attempt_at - tg.clock.now()).total_seconds() == 7  # type: ignore[operator]
    await tg.deliver()
    assert tg.fake.bot_messages(BUDI) == []  # not before its time
    tg.clock.advance(seconds=7)
    await tg.deliver()
    assert tg.fake.texts(BUDI) == [t("greeting", name="Budi Santoso")]
    assert len(tg.fake.calls_to("sendMessage", BUDI)) == 2


async def test_a_user_who_blocked_the_bot_is_shown_to_the_specialist(tg: TelegramWorld) -> None:
    ticket = await tg.escalate(BUDI)
    tg.fake.fail_next("sendMessage", 403, chat_id=BUDI)
    reply = await tg.desk_says(SARI, "Sudah bisa?", reply_to=tg.card(ticket)["message_id"])
    failed = tg.fake.bot_messages(DESK)[-1]
    assert failed["text"] == t(
        "desk_relay_failed", number="#1", reason="Forbidden: bot was blocked by the user"
    )
    assert failed["reply_to_message"]["message_id"] == reply["message"]["message_id"]
    assert "relay_failed" in tg.events(ticket.id)
    assert len(tg.fake.calls_to("sendMessage", BUDI)) == len(tg.fake.bot_messages(BUDI)) + 1  # not retried


# --------------------------------------------------------------------------------- updates
async def test_the_same_update_twice_creates_one_ticket_and_one_answer(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with telegram_world(uow_factory, monkeypatch) as world:
        update = world.fake.message(BUDI, world.users[BUDI], "lupa password email", push=False)
        world.fake.push(update, update)  # one getUpdates returns it twice
        await world.settle(update)
        assert len(world.fake.bot_messages(BUDI)) == 1  # the greeting and the answer, once
        await world.channel.stop()
    # A restart after a crash: Telegram offers the update again to a fresh process.
    async with telegram_world(uow_factory, monkeypatch) as again:
        again.fake.requeue(update)
        again.fake.message(ANI, again.users[ANI], "/start")
        await again.settle()
        assert again.fake.texts(ANI) == [t("greeting", name="Ani")]
        assert again.fake.bot_messages(BUDI) == []
        with uow_factory() as uow:
            assert len(uow.tickets.open_for_requester("telegram", str(BUDI))) == 0
            assert uow.tickets.get(2) is None  # only ticket 1 exists


class FlakySink:
    """Fails the first ``failures`` events (a database hiccup), then passes them on."""

    def __init__(self, inner: EventSink, failures: int, seen: Callable[[], int]):
        self.inner = inner
        self.failures = failures
        self.seen = seen
        self.calls: list[int] = []

    async def handle(self, event: Event) -> None:
        self.calls.append(self.seen())
        if self.failures:
            self.failures -= 1
            raise RuntimeError("database is restarting")
        await self.inner.handle(event)


async def test_a_failing_handler_is_retried_and_the_offset_waits(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    sinks: list[FlakySink] = []
    fake_box: list[FakeTelegram] = []

    def wrap(inner: EventSink) -> EventSink:
        sinks.append(FlakySink(inner, failures=2, seen=lambda: fake_box[0].confirmed))
        return sinks[0]

    async with telegram_world(uow_factory, monkeypatch, wrap_sink=wrap) as world:
        fake_box.append(world.fake)
        update = await world.user_says(BUDI, "/start")
        assert len(sinks[0].calls) == 3
        assert all(confirmed <= update["update_id"] for confirmed in sinks[0].calls)  # never confirmed early
        assert world.fake.texts(BUDI) == [t("greeting", name="Budi Santoso")]


async def test_a_poisonous_update_is_given_up_and_does_not_stall_the_bot(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def wrap(inner: EventSink) -> EventSink:
        return FlakySink(inner, failures=3, seen=lambda: 0)

    async with telegram_world(uow_factory, monkeypatch, wrap_sink=wrap, max_update_attempts=3) as world:
        poison = world.fake.message(BUDI, world.users[BUDI], "/start")
        later = world.fake.message(ANI, world.users[ANI], "/start")
        await world.settle(poison, later)
        assert world.fake.texts(BUDI) == []
        assert world.fake.texts(ANI) == [t("greeting", name="Ani")]


# ------------------------------------------------------------------------------- formatting
async def test_hostile_markup_arrives_exactly_as_written(tg: TelegramWorld) -> None:
    hostile = "<b>not bold</b> *star* _under_ [link](http://x) a < b && c > d &amp; <i>"
    ticket = await tg.escalate(BUDI)
    await tg.user_says(BUDI, hostile)
    assert tg.fake.bot_messages(DESK)[-1]["text"] == t("desk_from_user", name="Budi Santoso", text=hostile)
    await tg.desk_says(SARI, hostile, reply_to=tg.card(ticket)["message_id"])
    assert tg.fake.texts(BUDI)[-1] == t("relay_from_specialist", name="Sari", number="#1", text=hostile)
    assert all(call.error is None for call in tg.fake.calls_to("sendMessage"))


async def test_long_text_is_split_under_the_limit(tg: TelegramWorld) -> None:
    ticket = await tg.escalate(BUDI)
    seen = len(tg.fake.bot_messages(BUDI))
    long_reply = "\n".join(f"Langkah {n}: " + "x" * 70 for n in range(1, 60))  # ~4.7k characters
    await tg.desk_says(SARI, long_reply, reply_to=tg.card(ticket)["message_id"])
    parts = tg.fake.texts(BUDI)[seen:]
    assert len(parts) == 2 and all(len(p) <= 4096 for p in parts)
    expected = t("relay_from_specialist", name="Sari", number="#1", text=long_reply)
    assert "".join(p if p.endswith("\n") else p + "\n" for p in parts).strip() == expected
    assert tg.fake.calls_to("sendMessage", BUDI)[-1].error is None


# ------------------------------------------------------------------------------------ media
async def test_photos_and_documents_are_relayed_while_a_ticket_is_open(tg: TelegramWorld) -> None:
    await tg.user_says(BUDI, caption="layar saya", photo="PHOTO-1")
    assert t("attachment_not_now") in tg.fake.texts(BUDI)  # no ticket yet: not passed on
    assert not tg.fake.calls_to("sendPhoto")
    ticket = await tg.escalate(ANI)
    await tg.user_says(ANI, caption="layar begini", photo="PHOTO-2")
    photo = tg.fake.calls_to("sendPhoto", DESK)[-1]
    assert photo["photo"] == "PHOTO-2"  # the largest size, by file_id
    assert photo["reply_parameters"]["message_id"] == tg.card(ticket)["message_id"]
    assert tg.fake.bot_messages(DESK)[-1]["caption"] == t("desk_from_user", name="Ani", text="layar begini")

    await tg.desk_says(
        SARI, caption="panduan", document=("DOC-1", "panduan.pdf"), reply_to=tg.card(ticket)["message_id"]
    )
    document = tg.fake.calls_to("sendDocument", ANI)[-1]
    assert document["document"] == "DOC-1"
    assert tg.fake.bot_messages(ANI)[-1]["caption"].endswith("panduan")


async def test_a_sticker_gets_the_polite_note(tg: TelegramWorld) -> None:
    await tg.user_says(BUDI, sticker="STICKER-1")
    assert tg.fake.texts(BUDI) == [t("media_not_supported")]


# ---------------------------------------------------------------------------------- webhook
async def test_webhook_refuses_requests_without_the_secret(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with telegram_world(uow_factory, monkeypatch, mode="webhook") as world:
        hook = world.fake.webhook
        assert hook is not None
        assert hook["url"] == "https://helpdesk.example.org/telegram/hook"
        assert hook["secret_token"] == "s3cret-token"
        assert hook["allowed_updates"] == ["message", "callback_query"]
        update = world.fake.message(BUDI, world.users[BUDI], "/start", push=False)
        url = f"http://127.0.0.1:{world.channel.webhook_port}/telegram/hook"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {SECRET_HEADER: "wrong"}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
            await world.deliver()
            assert world.fake.bot_messages(BUDI) == []
            for _ in range(2):  # Telegram may deliver twice; it is answered once
                async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"}) as response:
                    assert response.status == 200
        await world.deliver()
        assert world.fake.texts(BUDI) == [t("greeting", name="Budi Santoso")]
        assert not world.fake.calls_to("getUpdates")


async def test_webhook_acknowledges_a_button_press_in_its_reply(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with telegram_world(uow_factory, monkeypatch, mode="webhook") as world:
        url = f"http://127.0.0.1:{world.channel.webhook_port}/telegram/hook"
        async with aiohttp.ClientSession() as http:

            async def post(update: JsonDict) -> tuple[int, bytes]:
                async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"}) as response:
                    body = await response.read()
                    await world.fake.webhook_reply(body)
                    return response.status, body

            status, body = await post(
                world.fake.message(BUDI, world.users[BUDI], "lupa password email", push=False)
            )
            assert (status, body) == (200, b"ok")  # a message: nothing to acknowledge
            await world.deliver()
            answer = world.fake.bot_messages(BUDI)[-1]
            (data,) = [
                b["callback_data"]
                for row in answer["reply_markup"]["inline_keyboard"]
                for b in row
                if b["text"] == t("btn_solved")
            ]
            press = world.fake.press(world.users[BUDI], answer, data, push=False)
            status, body = await post(press)
        assert status == 200
        assert json.loads(body) == {
            "method": "answerCallbackQuery",
            "callback_query_id": press["callback_query"]["id"],
        }
        (ack,) = world.fake.calls_to("answerCallbackQuery")  # carried by the reply, not asked for again
        assert ack.params == {"callback_query_id": press["callback_query"]["id"]}
        await world.deliver()
        assert world.fake.bot_messages(BUDI)[-1]["text"] == t("glad_solved")


async def test_webhook_answers_500_when_processing_fails_so_telegram_retries(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def wrap(inner: EventSink) -> EventSink:
        return FlakySink(inner, failures=1, seen=lambda: 0)

    async with telegram_world(uow_factory, monkeypatch, mode="webhook", wrap_sink=wrap) as world:
        update = world.fake.message(BUDI, world.users[BUDI], "/start", push=False)
        url = f"http://127.0.0.1:{world.channel.webhook_port}/telegram/hook"
        statuses = []
        async with aiohttp.ClientSession() as http:
            for _ in range(2):
                async with http.post(url, json=update, headers={SECRET_HEADER: "s3cret-token"}) as response:
                    statuses.append(response.status)
        assert statuses == [500, 200]
        await world.deliver()
        assert world.fake.texts(BUDI) == [t("greeting", name="Budi Santoso")]


# ------------------------------------------------------------------------ smaller behaviours
async def test_a_refused_reaction_falls_back_to_a_short_reply(tg: TelegramWorld) -> None:
    ticket = await tg.escalate(BUDI)
    tg.fake.fail_next("setMessageReaction", 400, "Bad Request: REACTION_INVALID")
    reply = await tg.desk_says(SARI, "Coba restart", reply_to=tg.card(ticket)["message_id"])
    note = tg.fake.bot_messages(DESK)[-1]
    assert note["text"] == t("desk_delivered", number="#1")
    assert note["reply_to_message"]["message_id"] == reply["message"]["message_id"]


async def test_forum_falls_back_to_replies_when_topics_cannot_be_created(forum: TelegramWorld) -> None:
    forum.fake.fail_next("createForumTopic", 400, "Bad Request: not enough rights to create a topic")
    ticket = await forum.escalate(BUDI)
    card = forum.card(ticket)
    assert ticket.desk_thread_id == f"r{card['message_id']}" and "message_thread_id" not in card
    await forum.desk_says(SARI, "Saya bantu", reply_to=card["message_id"])
    assert forum.fake.texts(BUDI)[-1].endswith("Saya bantu")


async def test_a_closed_topic_is_reopened_to_deliver(forum: TelegramWorld) -> None:
    ticket = await forum.escalate(BUDI)
    forum.fake.topics[(DESK, int(ticket.desk_thread_id or 0))]["closed"] = True  # closed by hand
    forum.fake.closed_topics_refuse_bot = True
    await forum.user_says(BUDI, "halo?")
    calls = [c for c in forum.fake.calls if c.method != "getUpdates"]
    assert [c.method for c in calls[-3:]] == ["sendMessage", "reopenForumTopic", "sendMessage"]
    assert calls[-3].error == "Bad Request: TOPIC_CLOSED"
    assert forum.fake.bot_messages(DESK)[-1]["message_thread_id"] == int(ticket.desk_thread_id or 0)


async def test_a_deleted_topic_does_not_lose_the_message(forum: TelegramWorld) -> None:
    ticket = await forum.escalate(BUDI)
    del forum.fake.topics[(DESK, int(ticket.desk_thread_id or 0))]  # someone deleted the topic
    await forum.user_says(BUDI, "halo?")
    posted = forum.fake.bot_messages(DESK)[-1]
    assert posted["text"].endswith("halo?") and "message_thread_id" not in posted


async def test_polling_survives_a_network_outage(tg: TelegramWorld) -> None:
    for _ in range(3):
        tg.fake.fail_next("getUpdates", 502, "Bad Gateway")
    await tg.fake.wait_for(lambda: not tg.fake.failures)
    await tg.user_says(BUDI, "/start")
    assert tg.fake.texts(BUDI) == [t("greeting", name="Budi Santoso")]


async def test_sender_maps_errors_and_treats_not_modified_as_success(tg: TelegramWorld) -> None:
    sender = tg.channel.sender
    to_budi = ChannelAddress("telegram", str(BUDI))
    receipt = await sender.send(OutboundMessage(to_budi, "one", (Button("A", "x", "1"),)))
    edit = OutboundMessage(to_budi, "two", edit_message_id=receipt.message_id)
    assert (await sender.send(edit)).message_id == receipt.message_id
    assert (await sender.send(edit)).message_id == receipt.message_id  # "message is not modified"
    assert "is not modified" in (tg.fake.calls_to("editMessageText")[-1].error or "")

    chart = await sender.send(OutboundMessage(to_budi, "weekly <chart>", image=b"\x89PNG fake image bytes"))
    upload = tg.fake.calls_to("sendPhoto", BUDI)[-1]
    assert upload["photo"] == {"upload": "image.png", "size": 21}
    assert upload["caption"] == "weekly &lt;chart&gt;"
    assert tg.fake.messages[(BUDI, int(chart.message_id))]["caption"] == "weekly <chart>"

    tg.fake.fail_next("sendMessage", 400, "Bad Request: chat not found")
    with pytest.raises(DeliveryError) as bad:
        await sender.send(OutboundMessage(to_budi, "x"))
    assert bad.value.permanent and "chat not found" in bad.value.reason.lower()
    tg.fake.fail_next("sendMessage", 403)
    with pytest.raises(DeliveryError) as blocked:
        await sender.send(OutboundMessage(to_budi, "x"))
    assert blocked.value.permanent and blocked.value.reason == "Forbidden: bot was blocked by the user"
    tg.fake.fail_next("sendMessage", 429, retry_after=5)
    with pytest.raises(DeliveryError) as limited:
        await sender.send(OutboundMessage(to_budi, "x"))
    assert limited.value.retry_after == 5 and not limited.value.permanent


async def test_network_errors_are_retryable(unused_tcp_port: int) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN="1:x",
        TELEGRAM_DESK_CHAT_ID=str(DESK),
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{unused_tcp_port}/bot",
        TELEGRAM_API_FILE_URL=f"http://127.0.0.1:{unused_tcp_port}/file/bot",
    )
    channel = TelegramChannel.from_settings(settings)
    with pytest.raises(DeliveryError) as down:
        await channel.sender.send(OutboundMessage(ChannelAddress("telegram", str(BUDI)), "x"))
    assert not down.value.permanent and down.value.retry_after is None
    assert not await channel.desk_directory.is_desk_member(UserRef("slack", "U1"))
    await channel.stop()


def test_webhook_mode_needs_a_url_and_a_secret() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN="1:x",
        TELEGRAM_MODE="webhook",
        TELEGRAM_WEBHOOK_URL="https://example.org/hook",
        TELEGRAM_WEBHOOK_SECRET="",
    )
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        TelegramChannel.from_settings(settings)
