"""The Slack channel end to end: the real bolt ``AsyncApp`` and Web API client against a fake Slack.

Signed Events API, interactivity and slash-command requests reach the app over HTTP (and one test
goes over Socket Mode); the real engine, wired as the composition root does, stores and decides;
the dispatcher delivers through ``SlackSender`` to the fake Web API, whose calls the tests read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session, func, select

import handlers as handlers_dir
from bot.app import Helpdesk, build
from bot.core.records import OutboxStatus, TicketStatus
from bot.core.types import Attachment, ChannelAddress, DeliveryError, InboundMessage, OutboundMessage, UserRef
from bot.faq.importing import import_entries
from bot.faq.index import FaqIndex
from bot.settings import Settings
from handlers.slack_adapter import SLASH_COMMAND, SlackChannel
from handlers.slack_adapter_sender import SlackDeskDirectory, SlackSender, make_client
from handlers.slack_format import escape_mrkdwn, mrkdwn_to_plain
from storage.database import make_engine
from storage.tables import MessageRow, OutboxRow
from storage.uow import sql_uow_factory
from tests.fake_slack import (
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    Posted,
    SlackRequests,
    block_actions,
    channel_event,
    dm_event,
)
from tests.fakes import SAMPLE_FAQ, KeywordFinder, RecordingSender

DESK = "CDESK"
BUDI, SARI, EKO = "UBUDI", "USARI", "UEKO"
BUDI_DM = "DBUDI"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    server.members[DESK] = [SARI, BOT_USER_ID]
    server.users.update({BUDI: "Budi", SARI: "Sari", EKO: "Eko"})
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class SlackWorld:
    """The helpdesk with its Slack channel running against the fake, and helpers to drive it."""

    fake: FakeSlack
    channel: SlackChannel
    helpdesk: Helpdesk
    requests: SlackRequests
    telegram: RecordingSender
    db: Any  # the SQL engine, for reading tables directly

    # ------------------------------------------------------------------------------ users
    async def dm(self, text: str, user: str = BUDI, event_id: str | None = None, **kw: Any) -> str:
        """``user`` writes ``text`` in their DM with the app; returns the message ts."""
        ts = self.requests.next_ts()
        status, _ = await self.requests.event(dm_event(user, text, ts), event_id, **kw)
        assert status == 200
        return ts

    async def desk_reply(
        self, text: str, thread_ts: str, user: str = SARI, event_id: str | None = None, **kw: Any
    ) -> str:
        """``user`` replies in a desk thread; returns the reply's ts."""
        ts = self.requests.next_ts()
        status, _ = await self.requests.event(channel_event(user, text, ts, DESK, thread_ts), event_id, **kw)
        assert status == 200
        return ts

    async def press(self, label: str, channel: str, user: str = BUDI, name: str = "budi") -> Posted:
        """``user`` presses the newest button labelled ``label`` in ``channel``."""
        for message in reversed(self.fake.messages):
            if message.channel != channel:
                continue
            for button in message.buttons:
                if button["text"]["text"] == label:
                    status, _ = await self.requests.interaction(block_actions(user, name, message, button))
                    assert status == 200
                    await self.channel.idle()
                    return message
        raise AssertionError(f"no button {label!r} in {channel}")

    # --------------------------------------------------------------------------- reading
    def to(self, channel: str) -> list[Posted]:
        return self.fake.in_channel(channel)

    async def wait_text(self, channel: str, fragment: str, thread_ts: str | None = None) -> Posted:
        """The first message in ``channel`` (and ``thread_ts``) whose shown text has ``fragment``."""

        def found() -> Posted | None:
            return next((m for m in self.fake.in_channel(channel, thread_ts) if fragment in m.shown), None)

        return await self.fake.wait_for(found, what=f"{fragment!r} in {channel}")  # type: ignore[no-any-return]

    async def settle(self) -> None:
        """Wait until the app's handed-off work is done and the outbox has nothing due."""
        await self.channel.idle()
        await self.fake.wait_for(lambda: self.pending() == 0, what="an empty outbox")

    def pending(self) -> int:
        with Session(self.db) as session:
            return int(
                session.exec(
                    select(func.count())
                    .select_from(OutboxRow)
                    .where(OutboxRow.status == OutboxStatus.PENDING)
                ).one()
            )

    def ticket(self, ticket_id: int = 1):  # type: ignore[no-untyped-def]
        with self.helpdesk.uow_factory() as uow:
            return uow.tickets.get(ticket_id)

    def events(self, ticket_id: int = 1) -> list[str]:
        with self.helpdesk.uow_factory() as uow:
            return [e.kind for e in uow.tickets.events(ticket_id)]

    def ticket_count(self) -> int:
        with self.helpdesk.uow_factory() as uow:
            return len(uow.tickets.list_created_between(_EPOCH, _FAR))

    async def escalate_phishing(self, user: str = BUDI) -> Posted:
        """``user`` reports phishing (escalated at once, no triage); returns the card."""
        await self.dm("I got a phishing email", user=user)
        return await self.wait_text(DESK, "#1")


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_FAR = datetime(2100, 1, 1, tzinfo=UTC)


def slack_settings(database_url: str, fake: FakeSlack, **extra: str) -> Settings:
    values = {
        "DATABASE_URL": database_url,
        "HELPDESK_LANGUAGE": "en",
        "HELPDESK_DESK": "slack",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_DESK_CHANNEL_ID": DESK,
        "SLACK_API_URL": fake.api_url,
        "SLACK_HTTP_LISTEN": "127.0.0.1:0",
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@contextlib.asynccontextmanager
async def running(database_url: str, fake: FakeSlack, **extra: str) -> AsyncIterator[SlackWorld]:
    """The helpdesk as ``bot.app`` wires it, with the deterministic FAQ finder, Slack started."""
    settings = slack_settings(database_url, fake, **extra)
    engine = make_engine(database_url)
    uow_factory = sql_uow_factory(engine)
    with uow_factory() as uow:
        import_entries(uow, SAMPLE_FAQ, author="test")
        uow.commit()
    channel = SlackChannel.from_settings(settings)
    telegram = RecordingSender("telegram")
    helpdesk = build(
        settings,
        uow_factory,
        {"slack": channel.sender, "telegram": telegram},
        directories={"slack": channel.desk_directory},
        channels=[channel],
    )
    helpdesk.engine.faq = helpdesk.faq = FaqIndex(uow_factory, KeywordFinder(), refresh_seconds=0)
    helpdesk.faq.refresh(force=True)
    await channel.start(helpdesk.engine)
    dispatcher = asyncio.create_task(helpdesk.dispatcher.run_forever(poll_seconds=0.05))
    url = f"http://127.0.0.1:{channel.http_port}/slack/events"
    try:
        yield SlackWorld(fake, channel, helpdesk, SlackRequests(url), telegram, engine)
    finally:
        dispatcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dispatcher
        await channel.stop()
        engine.dispose()


@pytest.fixture
async def world(database_url: str, fake: FakeSlack) -> AsyncIterator[SlackWorld]:
    async with running(database_url, fake) as slack_world:
        yield slack_world


def buttons_gone(message: Posted) -> bool:
    return message.updates > 0 and not message.buttons


# ------------------------------------------------------------------------------- self-service
async def test_self_service_answer_solved_and_rated(world: SlackWorld) -> None:
    await world.dm("I forgot my email password")
    answer = await world.wait_text(BUDI_DM, "Open the password page")
    assert "Hi Budi" in world.to(BUDI_DM)[0].shown  # the display name came from users.info
    assert answer.labels == ["Solved", "Not solved", "Talk to a person"]
    assert answer.buttons[0]["value"] == "solved:1"
    assert answer.thread_ts is None

    await world.press("Solved", BUDI_DM)
    await world.fake.wait_for(lambda: buttons_gone(answer), what="the pressed buttons replaced")
    assert "solved" in answer.shown.lower()
    rating = await world.wait_text(BUDI_DM, "rate")
    assert rating.labels == ["1", "2", "3", "4", "5"]

    await world.press("5", BUDI_DM)
    await world.wait_text(BUDI_DM, "Thank you")
    await world.fake.wait_for(lambda: buttons_gone(rating), what="rating buttons replaced")
    ticket = world.ticket()
    assert ticket.status == TicketStatus.SELF_SERVICE and ticket.rating == 5
    assert world.fake.in_channel(DESK) == []  # nothing reached the desk


async def test_mention_in_a_channel_is_answered_in_its_thread(world: SlackWorld) -> None:
    ts = world.requests.next_ts()
    text = f"<@{BOT_USER_ID}> printer offline"
    mention = {"type": "app_mention", "channel": "CGENERAL", "user": BUDI, "text": text, "ts": ts}
    assert (await world.requests.event(mention))[0] == 200
    # the same message also arrives as a channel message event: it must not be answered twice
    assert (await world.requests.event(channel_event(BUDI, text, ts, "CGENERAL")))[0] == 200
    answer = await world.wait_text("CGENERAL", "Check the cable", thread_ts=ts)
    assert answer.labels[0] == "Solved"

    await world.press("Solved", "CGENERAL")
    await world.wait_text("CGENERAL", "rate", thread_ts=ts)
    await world.settle()
    assert world.fake.in_channel("CGENERAL", top_level=True) == []  # nothing in the channel itself
    answers = [c for c in world.fake.calls_to("chat.postMessage") if "Check the cable" in c.args["text"]]
    assert len(answers) == 1 and answers[0].args["thread_ts"] == ts
    assert world.ticket().status == TicketStatus.SELF_SERVICE


# ---------------------------------------------------------------------------------- escalation
async def test_full_escalation_triage_card_relay_note_resolve_and_rating(world: SlackWorld) -> None:
    await world.requests.command(BUDI, "budi", BUDI_DM, "lang en")  # short answers below stay English
    await world.wait_text(BUDI_DM, "speak English")
    await world.dm("my monitor shows strange stripes")
    await world.wait_text(BUDI_DM, "quick questions")
    answers = iter(["office laptop, external screen", "since this morning", "no error", "only me"])
    for _ in range(6):  # triage: answer until the ticket is opened
        await world.settle()
        if any("#1" in m.shown for m in world.to(BUDI_DM)):
            break
        await world.dm(next(answers))
    opened = await world.wait_text(BUDI_DM, "#1")
    assert "about 4 hours" in opened.shown

    card = await world.wait_text(DESK, "#1")
    assert card.thread_ts is None and card.labels == ["Claim", "Resolve", "Priority"]
    assert "since this morning" in card.shown and "Budi" in card.shown
    ticket = world.ticket()
    assert ticket.desk_platform == "slack" and ticket.desk_chat_id == DESK
    assert ticket.desk_thread_id == card.ts and ticket.desk_card_message_id == card.ts

    # a specialist claims with the card's button
    await world.press("Claim", DESK, user=SARI, name="sari")
    await world.wait_text(DESK, "Sari claimed #1", thread_ts=card.ts)
    await world.wait_text(BUDI_DM, "Sari")
    await world.fake.wait_for(lambda: card.updates >= 1 and "Sari" in card.shown, what="card shows the owner")

    # the specialist's thread reply is relayed to the user, and marked delivered
    reply_ts = await world.desk_reply("Please unplug the screen cable and plug it back in.", card.ts)
    relayed = await world.wait_text(BUDI_DM, "unplug the screen cable")
    assert "Sari" in relayed.shown
    reaction = await world.fake.wait_for(lambda: world.fake.calls_to("reactions.add"), what="the reaction")
    assert reaction[0].args == {"channel": DESK, "timestamp": reply_ts, "name": "white_check_mark"}

    # the user's follow-up goes to the ticket thread
    await world.dm("did that, still stripes")
    follow_up = await world.wait_text(DESK, "did that, still stripes", thread_ts=card.ts)
    assert follow_up.shown.startswith("Budi")

    # an internal note stays in the desk
    await world.settle()
    before = len(world.to(BUDI_DM))
    await world.desk_reply("!probably the cable, ordering a new one", card.ts)
    await world.settle()
    assert len(world.to(BUDI_DM)) == before
    assert "note" in world.events()

    # resolve with the card's button: the user is asked for a rating
    await world.press("Resolve", DESK, user=SARI, name="sari")
    resolved = await world.wait_text(BUDI_DM, "resolved")
    assert resolved.labels[:5] == ["1", "2", "3", "4", "5"]
    await world.wait_text(DESK, "resolved by Sari", thread_ts=card.ts)
    await world.fake.wait_for(lambda: not card.buttons, what="the card without buttons")

    await world.press("4", BUDI_DM)
    await world.wait_text(DESK, "rated #1: 4/5", thread_ts=card.ts)
    ticket = world.ticket()
    assert ticket.status == TicketStatus.RESOLVED and ticket.rating == 4 and ticket.owner == "slack:USARI"
    kinds = world.events()
    assert kinds.count("relayed") == 2 and "claimed" in kinds and "resolved" in kinds and "csat" in kinds


async def test_non_specialist_pressing_claim_is_refused_and_nothing_changes(world: SlackWorld) -> None:
    card = await world.escalate_phishing()
    await world.press("Claim", DESK, user=EKO, name="eko")
    refusal = await world.fake.wait_for(
        lambda: [m for m in world.fake.messages if m.ephemeral_user == EKO], what="an ephemeral refusal"
    )
    assert refusal[0].channel == DESK and "only IT specialists" in refusal[0].shown
    await world.settle()
    assert world.ticket().owner is None and world.ticket().status == TicketStatus.OPEN
    assert card.updates == 0
    assert not [m for m in world.to(BUDI_DM) if "claimed" in m.shown.lower()]
    assert world.fake.calls_to("conversations.members")  # membership came from the desk channel


async def test_redelivered_events_make_one_ticket_and_one_relay(world: SlackWorld) -> None:
    ts = world.requests.next_ts()
    event = dm_event(BUDI, "I got a phishing email", ts)
    for retry in (None, 1, 2):
        status, _ = await world.requests.event(event, "EvSAME1", retry_num=retry)
        assert status == 200
    card = await world.wait_text(DESK, "#1")
    await world.settle()
    assert world.ticket_count() == 1
    assert len(world.fake.in_channel(DESK, top_level=True)) == 1

    reply_ts = world.requests.next_ts()
    reply = channel_event(SARI, "Do not open the attachment.", reply_ts, DESK, card.ts)
    for retry in (None, 1, 2):
        status, _ = await world.requests.event(reply, "EvSAME2", retry_num=retry)
        assert status == 200
    await world.wait_text(BUDI_DM, "Do not open the attachment")
    await world.settle()
    assert len([m for m in world.to(BUDI_DM) if "Do not open the attachment" in m.shown]) == 1
    assert world.events().count("relayed") == 1


async def test_bad_signature_and_old_timestamp_are_refused(world: SlackWorld) -> None:
    event = dm_event(BUDI, "I got a phishing email", world.requests.next_ts())
    body = json.dumps(world.requests.event_body(event))
    status, _ = await world.requests.post(body, "application/json", secret="not-the-secret")
    assert status in (401, 403)
    status, _ = await world.requests.post(body, "application/json", timestamp=int(time.time()) - 600)
    assert status in (401, 403)
    await world.settle()
    with Session(world.db) as session:
        assert session.exec(select(func.count()).select_from(MessageRow)).one() == 0
    assert world.ticket_count() == 0
    assert not world.fake.calls_to("chat.postMessage")


async def test_ratelimited_reply_is_retried_after_retry_after(world: SlackWorld) -> None:
    world.fake.fail_next("chat.postMessage", "ratelimited", retry_after=1)
    await world.dm("printer offline")
    await world.wait_text(BUDI_DM, "Check the cable")
    posts = world.fake.calls_to("chat.postMessage", ok_only=False)
    assert posts[0].status == 429 and posts[0].error == "ratelimited"
    limited = posts[0].args["text"]
    await world.wait_text(BUDI_DM, "Hi Budi")
    retried = [c for c in world.fake.calls_to("chat.postMessage") if c.args["text"] == limited]
    assert len(retried) == 1 and retried[0].at - posts[0].at >= 0.9  # Retry-After was honoured
    await world.settle()
    assert len([m for m in world.to(BUDI_DM) if "Hi Budi" in m.shown]) == 1  # delivered once


# ---------------------------------------------------------------------------- cross-platform
async def test_telegram_user_served_by_the_slack_desk(world: SlackWorld) -> None:
    await world.helpdesk.engine.handle(
        InboundMessage(
            ChannelAddress("telegram", "5001"),
            UserRef("telegram", "5001", "Ana"),
            "I got a phishing email",
            message_id="11",
            event_id="tg-1",
        )
    )
    card = await world.wait_text(DESK, "#1")
    assert "telegram:5001" in card.shown and "Ana" in card.shown
    await world.fake.wait_for(lambda: any("#1" in s.text for s in world.telegram.sent), what="ticket opened")

    reply_ts = await world.desk_reply("Please forward the mail to security@example.com", card.ts)
    await world.fake.wait_for(
        lambda: any("forward the mail" in s.text for s in world.telegram.sent), what="relay to telegram"
    )
    relay = next(s for s in world.telegram.sent if "forward the mail" in s.text)
    assert relay.message.address == ChannelAddress("telegram", "5001")
    assert "Sari" in relay.text
    reaction = await world.fake.wait_for(lambda: world.fake.calls_to("reactions.add"), what="delivered mark")
    assert reaction[0].args["timestamp"] == reply_ts
    assert world.ticket().requester_platform == "telegram"


# ----------------------------------------------------------------------------------- escaping
async def test_mrkdwn_is_escaped_so_text_shows_as_written(world: SlackWorld) -> None:
    # Slack sends "@channel" as <!channel>, a link as <url|label> and "&" as &amp;
    await world.dm("phishing mail says <http://evil.example|click here> &amp; <!channel> &lt;b&gt;")
    card = await world.wait_text(DESK, "#1")
    assert "click here (http://evil.example) &amp; @\u200bchannel &lt;b&gt;" in card.shown
    for message in world.fake.messages:
        for text in (message.text, message.shown):
            assert "<!channel>" not in text and "<http" not in text and "<!here>" not in text

    sender = world.channel.sender
    tricky = "<!here> see <http://x|y> & @channel"
    receipt = await sender.send(OutboundMessage(ChannelAddress("slack", BUDI_DM), tricky))
    sent = world.fake.message(BUDI_DM, receipt.message_id)
    assert sent.shown == "&lt;!here&gt; see &lt;http://x|y&gt; &amp; @\u200bchannel"
    assert sent.text == sent.shown
    assert sent.blocks[0]["text"]["verbatim"] is True


def test_plain_text_conversions() -> None:
    assert escape_mrkdwn("a & b <c> @here") == "a &amp; b &lt;c&gt; @\u200bhere"
    assert mrkdwn_to_plain("<@U1|budi> <#C1|general> <!here> <mailto:a@b.c|a@b.c> &lt;x&gt; &amp;") == (
        "@budi #general @here a@b.c (mailto:a@b.c) <x> &"
    )
    assert mrkdwn_to_plain("<http://x>") == "http://x"


# -------------------------------------------------------------------- commands and App Home
async def test_slash_command_and_app_home(world: SlackWorld) -> None:
    started = time.monotonic()
    status, body = await world.requests.command(BUDI, "budi", "CGENERAL", "status")
    assert status == 200 and time.monotonic() - started < 3
    await world.wait_text(BUDI_DM, "no open tickets")  # answered in the user's DM
    assert world.fake.calls_to("conversations.open")[0].args["users"] == BUDI

    await world.requests.command(BUDI, "budi", BUDI_DM, "lang id")
    await world.wait_text(BUDI_DM, "Bahasa Indonesia")
    await world.requests.command(BUDI, "budi", BUDI_DM, "lang en")
    await world.wait_text(BUDI_DM, "speak English")

    await world.escalate_phishing()
    await world.settle()
    status, _ = await world.requests.event(
        {
            "type": "app_home_opened",
            "user": BUDI,
            "channel": BUDI_DM,
            "tab": "home",
            "event_ts": world.requests.next_ts(),
        }
    )
    assert status == 200
    publish = await world.fake.wait_for(lambda: world.fake.calls_to("views.publish"), what="views.publish")
    view = publish[0].args["view"]
    assert publish[0].args["user_id"] == BUDI and view["type"] == "home"
    shown = "\n".join(b["text"]["text"] for b in view["blocks"] if b.get("type") == "section")
    assert "Your open tickets" in shown and "#1" in shown and "phishing" in shown

    # a desk command in the desk channel
    await world.requests.command(SARI, "sari", DESK, "tickets")
    await world.wait_text(DESK, "open ticket")


# -------------------------------------------------------------------------------- Socket Mode
async def test_socket_mode_envelope_is_acknowledged_after_it_is_handled(
    database_url: str, fake: FakeSlack
) -> None:
    def acked(envelope_id: str) -> bool:
        return any(a["envelope_id"] == envelope_id for a in fake.socket_acks)

    async with running(database_url, fake, SLACK_APP_TOKEN=fake.app_token) as world:
        assert world.channel.socket_mode and world.channel.http_port is None
        assert fake.calls_to("apps.connections.open") and fake.socket_connections == 1
        envelope = {
            "envelope_id": "env-1",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": SlackRequests.event_body(dm_event(BUDI, "printer offline", "1800000000.1"), "EvSock1"),
        }
        await fake.socket_send(envelope)
        await fake.wait_for(lambda: acked("env-1"), what="ack 1")
        with world.helpdesk.uow_factory() as uow:  # acknowledged only once stored
            assert uow.messages.seen_event("slack", "EvSock1")
        await world.wait_text(BUDI_DM, "Check the cable")

        await fake.socket_send({**envelope, "envelope_id": "env-2", "retry_attempt": 1})  # a redelivery
        await fake.wait_for(lambda: acked("env-2"), what="ack 2")
        await world.settle()
        assert len([m for m in world.to(BUDI_DM) if "Check the cable" in m.shown]) == 1

        command = {
            "envelope_id": "env-3",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {
                "command": "/helpdesk",
                "text": "help",
                "user_id": BUDI,
                "user_name": "budi",
                "channel_id": BUDI_DM,
                "team_id": "T0TEST",
                "trigger_id": "trig-3",
                "api_app_id": "A0TEST",
                "response_url": "https://hooks.fake.slack.test/x",
            },
        }
        await fake.socket_send(command)
        await fake.wait_for(lambda: acked("env-3"), what="ack 3")
        await world.wait_text(BUDI_DM, "/helpdesk status")


# ------------------------------------------------------------------------------------ sender
async def test_sender_maps_slack_errors_and_uses_web_api_features(fake: FakeSlack) -> None:
    sender = SlackSender(make_client(BOT_TOKEN, fake.api_url))
    dm = ChannelAddress("slack", BUDI_DM)

    fake.fail_next("chat.postMessage", "ratelimited", retry_after=7)
    with pytest.raises(DeliveryError) as caught:
        await sender.send(OutboundMessage(dm, "hi"))
    assert caught.value.retry_after == 7 and not caught.value.permanent
    for code in ("channel_not_found", "not_in_channel", "is_archived", "invalid_auth"):
        fake.fail_next("chat.postMessage", code)
        with pytest.raises(DeliveryError) as caught:
            await sender.send(OutboundMessage(dm, "hi"))
        assert caught.value.permanent and caught.value.reason == code
    fake.fail_next("chat.postMessage", "internal_error", status=500)
    with pytest.raises(DeliveryError) as caught:
        await sender.send(OutboundMessage(dm, "hi"))
    assert not caught.value.permanent

    # a DM by user id opens the conversation once
    first = await sender.send(OutboundMessage(ChannelAddress("slack", BUDI), "one"))
    await sender.send(OutboundMessage(ChannelAddress("slack", BUDI), "two"))
    assert len(fake.calls_to("conversations.open")) == 1
    assert [m.channel for m in fake.messages[-2:]] == [BUDI_DM, BUDI_DM] and first.message_id

    # a thread post, an edit, an ephemeral message, a reaction, an image, a foreign attachment
    card = await sender.open_thread(ChannelAddress("slack", DESK), "#9 title", OutboundMessage(dm, "card"))
    assert card.address.thread_id == card.message_id
    await sender.send(OutboundMessage(card.address, "in thread"))
    assert fake.messages[-1].thread_ts == card.message_id
    await sender.send(OutboundMessage(card.address, "card v2", edit_message_id=card.message_id))
    assert fake.message(DESK, card.message_id).shown == "card v2"
    await sender.send(OutboundMessage(card.address, "only you", ephemeral_user_id=EKO))
    assert fake.messages[-1].ephemeral_user == EKO and fake.messages[-1].thread_ts == card.message_id
    fake.fail_next("reactions.add", "message_not_found")
    await sender.send(OutboundMessage(card.address, "Delivered", reply_to_id="1.2", reaction="ok_hand"))
    assert fake.messages[-1].shown == "Delivered"  # the text is the fallback
    receipt = await sender.send(OutboundMessage(card.address, "chart", image=b"\x89PNG fake"))
    assert fake.uploads[receipt.message_id] == b"\x89PNG fake"
    complete = fake.calls_to("files.completeUploadExternal")[0].args
    assert complete["channel_id"] == DESK and complete["thread_ts"] == card.message_id
    photo = Attachment("photo", "AgAD-tg-file", "a.jpg")
    await sender.send(OutboundMessage(dm, "see file", attachments=(photo,)))
    assert "a.jpg" in fake.messages[-1].text and "AgAD-tg-file" in fake.messages[-1].text

    # network trouble is retried by the dispatcher, not permanent
    dead = SlackSender(make_client(BOT_TOKEN, "http://127.0.0.1:9/api/"))
    with pytest.raises(DeliveryError) as caught:
        await dead.send(OutboundMessage(dm, "hi"))
    assert not caught.value.permanent


async def test_desk_directory_caches_members(fake: FakeSlack) -> None:
    clock = [0.0]
    directory = SlackDeskDirectory(
        make_client(BOT_TOKEN, fake.api_url), DESK, ttl_seconds=30, monotonic=lambda: clock[0]
    )
    assert await directory.is_desk_member(UserRef("slack", SARI))
    assert not await directory.is_desk_member(UserRef("slack", EKO))
    assert not await directory.is_desk_member(UserRef("telegram", SARI))
    assert len(fake.calls_to("conversations.members")) == 1
    clock[0] = 31
    await directory.is_desk_member(UserRef("slack", SARI))
    assert len(fake.calls_to("conversations.members")) == 2


def test_http_mode_needs_a_signing_secret() -> None:
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        SlackChannel(bot_token=BOT_TOKEN)
    assert SlackChannel(bot_token=BOT_TOKEN, app_token="xapp-1").socket_mode


def test_manifest_matches_what_the_adapter_listens_to() -> None:
    manifest = yaml.safe_load((Path(handlers_dir.__file__).parent / "slack_manifest.yaml").read_text())
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) >= {
        "message.im",
        "message.channels",
        "message.groups",
        "app_mention",
        "app_home_opened",
    }
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [SLASH_COMMAND]
    assert manifest["features"]["app_home"]["home_tab_enabled"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "chat:write",
        "im:write",
        "im:history",
        "channels:history",
        "channels:read",
        "reactions:write",
        "users:read",
        "commands",
        "files:write",
        "app_mentions:read",
    }
