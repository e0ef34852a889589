"""The WhatsApp channel end to end: the real adapter (pywa client pointed at a fake Graph API on
127.0.0.1, its webhook server receiving signed webhooks like Meta's), the real engine and
dispatcher wired by ``bot.app``, and the desk on the real Telegram adapter (fake Bot API).

Wati writes on WhatsApp; Sari is a specialist in the Telegram desk group.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

import bot.app as app_module
from bot import texts
from bot.app import Helpdesk, build, platform_channels
from bot.core.ports import UnitOfWorkFactory
from bot.core.records import Ticket
from bot.core.types import Button, ChannelAddress, OutboundMessage
from bot.faq.importing import import_entries
from bot.settings import Settings
from handlers.telegram_adapter import TelegramChannel
from handlers.whatsapp_adapter import WhatsAppChannel
from handlers.whatsapp_format import escape, layout, split_text, template_text
from tests import fake_whatsapp as wa
from tests.fake_telegram import FakeTelegram, JsonDict
from tests.fakes import SAMPLE_FAQ, FixedClock, KeywordFinder

DESK = -1001234567890
SARI = 2001
WATI = "6281234567890"
LANG = "id"
NAMES = {WATI: "Wati"}


def t(key: str, lang: str = LANG, **fields: Any) -> str:
    return texts.text(lang, key, c="/", **fields)


@dataclass
class WhatsAppWorld:
    graph: wa.FakeWhatsApp
    telegram: FakeTelegram
    channel: WhatsAppChannel
    desk: TelegramChannel
    helpdesk: Helpdesk
    clock: FixedClock
    uow_factory: UnitOfWorkFactory
    sari: JsonDict

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.channel.webhook_port}/whatsapp/webhook"

    async def deliver(self) -> None:
        for _ in range(30):
            if not await self.helpdesk.dispatcher.run_once():
                return

    async def post(self, body: JsonDict) -> int:
        for change in body["entry"][0]["changes"]:  # Meta names the writer of every message
            for contact in change["value"].get("contacts", []):
                contact["profile"]["name"] = contact["profile"]["name"] or NAMES.get(contact["wa_id"], "")
        code, _ = await wa.post_webhook(self.url, body)
        await self.deliver()
        return code

    async def wati_says(self, text: str) -> JsonDict:
        self.graph.open_windows.add(WATI)
        message = wa.text(WATI, text)
        assert await self.post(wa.envelope(messages=[message], names={WATI: "Wati"})) == 200
        return message

    async def wati_presses(self, label: str) -> None:
        self.graph.open_windows.add(WATI)
        for sent in reversed(self.graph.to(WATI)):
            if sent["type"] != "interactive":
                continue
            action = sent["interactive"]["action"]
            rows = action.get("buttons") or []
            for button in rows:
                if button["reply"]["title"] in (label, label[:19]) or label.startswith(
                    button["reply"]["title"].rstrip("…")
                ):
                    await self.post(wa.envelope(messages=[wa.reply(WATI, button["reply"]["id"], label)]))
                    return
            for section in action.get("sections") or []:
                for row in section["rows"]:
                    if row["title"] == label:
                        body = wa.envelope(messages=[wa.reply(WATI, row["id"], label, kind="list_reply")])
                        await self.post(body)
                        return
        raise AssertionError(f"no choice {label!r} was offered to Wati")

    async def sari_says(self, text: str, reply_to: int) -> JsonDict:
        update = self.telegram.message(DESK, self.sari, text, reply_to=reply_to)
        await self.telegram.wait_processed(update)
        await self.deliver()
        return update

    async def escalate(self, problem: str = "laptop mati total tidak bisa nyala") -> Ticket:
        await self.wati_says(problem)
        for _ in range(6):
            if self.tickets():
                break
            last = self.graph.to(WATI)[-1]
            if last["type"] == "interactive":
                await self.wati_presses(t("btn_skip"))
            else:
                await self.wati_says("sejak pagi tadi")
        (ticket,) = self.tickets()
        return ticket

    def tickets(self) -> list[Ticket]:
        with self.uow_factory() as uow:
            return uow.tickets.open_for_requester("whatsapp", WATI)

    def ticket(self, ticket_id: int | None) -> Ticket:
        assert ticket_id is not None
        with self.uow_factory() as uow:
            found = uow.tickets.get(ticket_id)
        assert found is not None
        return found

    def events(self, ticket_id: int | None) -> list[str]:
        assert ticket_id is not None
        with self.uow_factory() as uow:
            return [e.kind for e in uow.tickets.events(ticket_id)]


def whatsapp_settings(graph: wa.FakeWhatsApp, telegram: FakeTelegram, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_DESK_CHAT_ID": str(DESK),
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "TELEGRAM_API_FILE_URL": telegram.base_file_url,
        "WHATSAPP_PHONE_NUMBER_ID": wa.PHONE_ID,
        "WHATSAPP_ACCESS_TOKEN": wa.TOKEN,
        "WHATSAPP_APP_SECRET": wa.APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": wa.VERIFY_TOKEN,
        "WHATSAPP_API_BASE_URL": graph.base_url,
        "WHATSAPP_API_VERSION": wa.VERSION,
        "WHATSAPP_WEBHOOK_LISTEN": "127.0.0.1:0",
        "HELPDESK_LANGUAGE": LANG,
        "HELPDESK_SPECIALISTS": (),
        "HELPDESK_ADMINS": (),
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def whatsapp_world(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[WhatsAppWorld]:
    graph = wa.FakeWhatsApp()
    await graph.start()
    telegram = FakeTelegram()
    await telegram.start()
    telegram.add_group(DESK)
    sari = telegram.add_user(SARI, "Sari")
    telegram.set_member(DESK, SARI, "member")
    with uow_factory() as uow:
        import_entries(uow, SAMPLE_FAQ, author="test")
        uow.commit()
    monkeypatch.setattr(app_module, "make_matcher", lambda _settings: KeywordFinder())
    settings = whatsapp_settings(graph, telegram)
    channels = platform_channels(settings)
    desk = next(c for c in channels if isinstance(c, TelegramChannel))
    channel = next(c for c in channels if isinstance(c, WhatsAppChannel))
    desk.poll_timeout = 1
    clock = FixedClock()
    helpdesk = build(
        settings,
        uow_factory,
        {c.platform: c.sender for c in channels},
        directories={"telegram": desk.desk_directory},
        clock=clock,  # type: ignore[arg-type]
        channels=channels,
    )
    for c in channels:
        await c.start(helpdesk.engine)
    try:
        yield WhatsAppWorld(graph, telegram, channel, desk, helpdesk, clock, uow_factory, sari)
    finally:
        for c in channels:
            await c.stop()
        await telegram.stop()
        await graph.stop()


@pytest.fixture
async def world(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[WhatsAppWorld]:
    async with whatsapp_world(uow_factory, monkeypatch) as w:
        yield w


def card_of(w: WhatsAppWorld, ticket: Ticket) -> JsonDict:
    assert ticket.desk_card_message_id is not None
    return w.telegram.messages[(DESK, int(ticket.desk_card_message_id))]


# -------------------------------------------------------------------------------- self-service
async def test_an_faq_answer_comes_with_reply_buttons_and_a_press_is_understood(world: WhatsAppWorld) -> None:
    await world.wati_says("lupa password email")
    answer = world.graph.to(WATI)[-1]
    assert answer["type"] == "interactive" and answer["interactive"]["type"] == "button"
    assert "Atur ulang" in answer["interactive"]["body"]["text"]
    titles = [b["reply"]["title"] for b in answer["interactive"]["action"]["buttons"]]
    assert t("btn_solved") in titles and all(len(title) <= 20 for title in titles)

    await world.wati_presses(t("btn_solved"))
    assert world.graph.texts(WATI)[-1].startswith(t("glad_solved")[:20])
    await asyncio.sleep(0.2)  # the typing indicator goes out beside the answer
    assert len(world.graph.typing) == 1 and world.graph.typing[0].startswith("wamid.in")
    assert not world.tickets()  # solved by the bot alone: no open ticket


async def test_a_redelivered_webhook_is_answered_once(world: WhatsAppWorld) -> None:
    world.graph.open_windows.add(WATI)
    body = wa.envelope(messages=[wa.text(WATI, "lupa password email")], names={WATI: "Wati"})
    assert await world.post(body) == 200
    answered = list(world.graph.sent)
    assert answered and answered[-1]["type"] == "interactive"
    assert await world.post(body) == 200  # Meta sends it again (a slow 200, say)
    assert world.graph.sent == answered


async def test_signatures_and_the_handshake(world: WhatsAppWorld) -> None:
    body = wa.envelope(messages=[wa.text(WATI, "lupa password email")])
    assert (await wa.post_webhook(world.url, body, signature=None))[0] == 401
    assert (await wa.post_webhook(world.url, body, signature="sha256=" + "0" * 64))[0] == 403
    forged = wa.sign(b"{}", "another-secret")
    assert (await wa.post_webhook(world.url, body, signature=forged))[0] == 403
    assert (await wa.post_webhook(world.url, b"not json at all"))[0] == 400
    await world.deliver()
    assert world.graph.sent == []
    with world.uow_factory() as uow:
        assert uow.messages.last_inbound_at("whatsapp", WATI) is None  # nothing was stored

    async with aiohttp.ClientSession() as session:
        good = {"hub.mode": "subscribe", "hub.verify_token": wa.VERIFY_TOKEN, "hub.challenge": "1158201444"}
        async with session.get(world.url, params=good) as response:
            assert response.status == 200 and await response.text() == "1158201444"
        async with session.get(world.url, params={**good, "hub.verify_token": "wrong"}) as response:
            assert response.status == 403


# ---------------------------------------------------------------------------------- escalation
async def test_escalation_relay_and_receipts_with_a_telegram_desk(world: WhatsAppWorld) -> None:
    ticket = await world.escalate()
    assert world.graph.texts(WATI)[-1].startswith(t("ticket_opened", number="#1", expected="")[:30])
    card = card_of(world, ticket)
    assert "Wati" in card["text"]

    # Wati's follow-up reaches the desk under the card; Sari's answer reaches Wati.
    await world.wati_says("sudah dicoba, tetap mati")
    assert world.telegram.texts(DESK)[-1] == t("desk_from_user", name="Wati", text="sudah dicoba, tetap mati")
    reply = await world.sari_says("Coba tekan *power* 10 detik", reply_to=card["message_id"])
    relay = world.graph.to(WATI)[-1]
    expected = t("relay_from_specialist", name="Sari", number="#1", text="Coba tekan *power* 10 detik")
    assert relay["text"]["body"] == escape(expected)
    assert "*power*" not in relay["text"]["body"]  # echoed text never turns bold
    reaction = world.telegram.calls_to("setMessageReaction", DESK)[-1]
    assert reaction["message_id"] == reply["message"]["message_id"]

    # The status webhooks: "delivered" adds nothing, "read" marks Sari's message, once.
    for state in ("sent", "delivered", "read", "read"):
        assert await world.post(wa.envelope(statuses=[wa.status(relay["id"], state, WATI)])) == 200
    reactions = world.telegram.calls_to("setMessageReaction", DESK)
    assert [r["reaction"][0]["emoji"] for r in reactions[-2:]] == ["👍", "👀"]
    assert world.events(ticket.id).count("relay_read") == 1


async def test_a_failed_status_is_shown_to_the_specialist(world: WhatsAppWorld) -> None:
    ticket = await world.escalate()
    await world.sari_says("Silakan restart laptop", reply_to=card_of(world, ticket)["message_id"])
    relay = world.graph.to(WATI)[-1]
    error = {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "not on WhatsApp"}}
    await world.post(wa.envelope(statuses=[wa.status(relay["id"], "failed", WATI, error)]))
    assert world.telegram.texts(DESK)[-1] == t(
        "desk_relay_failed",
        number="#1",
        reason="WhatsApp error 131026: Message undeliverable (not on WhatsApp)",
    )
    assert "relay_failed" in world.events(ticket.id)


async def test_a_late_reply_goes_out_as_the_template_and_the_desk_is_told(world: WhatsAppWorld) -> None:
    ticket = await world.escalate()
    world.graph.open_windows.discard(WATI)
    world.clock.advance(hours=25)
    await world.sari_says("Laptop bisa diambil di ruang IT", reply_to=card_of(world, ticket)["message_id"])
    sent = world.graph.to(WATI)[-1]
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "helpdesk_update" and sent["template"]["language"] == {"code": "id"}
    (param,) = sent["template"]["components"][0]["parameters"]
    assert "Laptop bisa diambil di ruang IT" in param["text"] and "\n" not in param["text"]
    assert world.telegram.texts(DESK)[-1] == t(
        "desk_relay_as_template", number="#1", platform="WhatsApp", template="helpdesk_update"
    )
    assert "relay_as_template" in world.events(ticket.id)

    # Wati writes back: the window is open again and answers go out as written.
    await world.wati_says("oke terima kasih")
    await world.sari_says("Sama-sama", reply_to=card_of(world, ticket)["message_id"])
    assert world.graph.to(WATI)[-1]["type"] == "text"


async def test_a_refused_re_engagement_falls_back_to_the_template(world: WhatsAppWorld) -> None:
    ticket = await world.escalate()
    world.graph.open_windows.discard(WATI)  # WhatsApp says the window closed (clocks differ)
    await world.sari_says("Sudah saya cek", reply_to=card_of(world, ticket)["message_id"])
    assert world.graph.to(WATI)[-1]["type"] == "template"
    assert "relay_as_template" in world.events(ticket.id)


async def test_a_rate_limit_is_retried_and_a_permanent_error_reaches_the_desk(world: WhatsAppWorld) -> None:
    ticket = await world.escalate()
    before = len(world.graph.to(WATI))
    world.graph.fail_next(429, 130429, "Rate limit hit")
    await world.sari_says("Jawaban pertama", reply_to=card_of(world, ticket)["message_id"])
    assert len(world.graph.to(WATI)) == before  # not yet: waiting what WhatsApp asked
    world.clock.advance(seconds=6)
    await world.deliver()
    assert world.graph.texts(WATI)[-1].endswith("Jawaban pertama")

    world.graph.fail_next(400, 131026, "Message undeliverable")
    await world.sari_says("Jawaban kedua", reply_to=card_of(world, ticket)["message_id"])
    assert world.telegram.texts(DESK)[-1].startswith(t("desk_relay_failed", number="#1", reason="")[:40])
    assert "131026" in world.telegram.texts(DESK)[-1]


async def test_files_from_the_user_reach_the_telegram_desk(world: WhatsAppWorld) -> None:
    ticket = await world.escalate()
    photo = world.graph.add_media(b"\x89PNG fake screenshot", "image/jpeg")
    document = world.graph.add_media(b"%PDF-1.4 log", "application/pdf", "error-log.pdf")
    world.graph.open_windows.add(WATI)
    await world.post(
        wa.envelope(messages=[wa.media_message(WATI, "image", photo, "image/jpeg", caption="layarnya")])
    )
    await world.post(
        wa.envelope(
            messages=[
                wa.media_message(WATI, "document", document, "application/pdf", filename="error-log.pdf")
            ]
        )
    )
    sent_photo = world.telegram.calls_to("sendPhoto", DESK)[-1]
    assert sent_photo["photo"] == {"upload": "photo.jpeg", "size": len(b"\x89PNG fake screenshot")}
    assert sent_photo["reply_parameters"]["message_id"] == card_of(world, ticket)["message_id"]
    sent_doc = world.telegram.calls_to("sendDocument", DESK)[-1]
    assert sent_doc["document"] == {"upload": "error-log.pdf", "size": len(b"%PDF-1.4 log")}


async def test_a_file_from_the_specialist_reaches_the_whatsapp_user(world: WhatsAppWorld) -> None:
    ticket = await world.escalate()
    world.telegram.files["DOC-7"] = b"%PDF-1.4 panduan VPN"
    update = world.telegram.message(
        DESK, world.sari, caption="panduan VPN", document=("DOC-7", "panduan-vpn.pdf"),
        reply_to=card_of(world, ticket)["message_id"],
    )  # fmt: skip
    await world.telegram.wait_processed(update)
    await world.deliver()
    sent = world.graph.to(WATI)
    assert sent[-2]["type"] == "text" and sent[-2]["text"]["body"].endswith("panduan VPN")
    document = sent[-1]
    assert document["type"] == "document" and document["document"]["filename"] == "panduan-vpn.pdf"
    assert world.graph.uploads[document["document"]["id"]] == (b"%PDF-1.4 panduan VPN", "panduan-vpn.pdf")


async def test_a_sticker_or_location_gets_the_polite_note(world: WhatsAppWorld) -> None:
    world.graph.open_windows.add(WATI)
    sticker = {
        "from": WATI,
        "id": "wamid.sticker1",
        "timestamp": "1",
        "type": "sticker",
        "sticker": {"id": "s"},
    }
    await world.post(wa.envelope(messages=[sticker]))
    assert world.graph.texts(WATI) == [escape(t("media_not_supported"))]


# ------------------------------------------------------------------------------------- shapes
def test_many_or_long_choices_become_a_list_and_long_text_is_split() -> None:
    few = layout([Button("Ya", "solved", "1"), Button("Bicara dengan petugas", "human", "1")])
    assert few is not None and few.kind == "buttons"
    assert [r.title for r in few.rows] == ["Ya", "Bicara dengan…"]
    many = layout([Button(f"Pilihan nomor {i} yang cukup panjang sekali", "pick", str(i)) for i in range(12)])
    assert many is not None and many.kind == "list" and len(many.rows) == 10
    assert all(len(r.title) <= 24 and len(r.description) <= 72 for r in many.rows)
    text = ("kata " * 3000).strip()
    parts = split_text(text)
    assert "".join(parts) == text and all(len(p) <= 4096 for p in parts) and len(parts) == 4
    assert escape("_a_ *b* ~c~ `d` https://x.id/a_b*c") == "ˍaˍ ∗b∗ ˜c˜ ˋdˋ https://x.id/a_b*c"
    assert template_text("baris satu\n\n\tbaris   dua") == "baris satu baris dua"


async def test_a_long_answer_with_buttons_is_split_under_the_limits(world: WhatsAppWorld) -> None:
    sender = world.channel.whatsapp_sender
    world.graph.open_windows.add(WATI)

    long_text = "langkah " * 700  # 5,600 characters
    buttons = tuple(Button(f"Pilihan {i}", "pick", str(i)) for i in range(5))
    await sender.send(OutboundMessage(ChannelAddress("whatsapp", WATI), long_text, buttons))
    sent = world.graph.to(WATI)
    assert [m["type"] for m in sent] == ["text", "text", "interactive"]
    assert all(len(m["text"]["body"]) <= 4096 for m in sent if m["type"] == "text")
    final = sent[-1]
    assert final["type"] == "interactive" and final["interactive"]["type"] == "list"
    assert len(final["interactive"]["body"]["text"]) <= 1024
    joined = "".join(
        m["text"]["body"] if m["type"] == "text" else m["interactive"]["body"]["text"] for m in sent
    )
    assert joined.split() == long_text.split()


def test_whatsapp_cannot_be_the_desk_and_bad_template_settings_stop_the_start() -> None:
    with pytest.raises(ValueError, match="WhatsApp serves users only"):
        Settings(_env_file=None, HELPDESK_DESK="whatsapp")  # type: ignore[call-arg]
    base = {
        "WHATSAPP_PHONE_NUMBER_ID": wa.PHONE_ID,
        "WHATSAPP_APP_SECRET": wa.APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": wa.VERIFY_TOKEN,
    }
    with pytest.raises(ValueError, match="template language"):
        WhatsAppChannel.from_settings(Settings(_env_file=None, WHATSAPP_TEMPLATE_LANGUAGE="klingon", **base))  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="may only name 'text'"):
        WhatsAppChannel.from_settings(
            Settings(_env_file=None, WHATSAPP_TEMPLATE_PARAMETERS="text,name", **base)
        )  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="WHATSAPP_APP_SECRET"):
        WhatsAppChannel.from_settings(Settings(_env_file=None, **{**base, "WHATSAPP_APP_SECRET": ""}))  # type: ignore[call-arg]
