"""Engine dialogues, read like transcripts: every branch of DESIGN.md section 5, in both languages."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core.records import ConversationState, TicketStatus
from bot.core.types import DeliveryError
from storage.database import make_engine
from storage.tables import MessageRow
from tests.fakes import DeskWorld


def texts(sent: list) -> str:  # type: ignore[type-arg]
    return "\n".join(s.text for s in sent)


async def test_faq_answer_solved_then_rating_in_indonesian(world: DeskWorld) -> None:
    reply = await world.user_says("lupa password email")
    assert "Halo Budi" in texts(reply)
    answer = reply[-1]
    assert "Buka halaman password" in answer.text
    assert [b.label for b in answer.message.buttons] == [
        "Sudah teratasi",
        "Belum teratasi",
        "Bicara dengan petugas",
    ]

    reply = await world.user_presses("Sudah teratasi")
    assert reply[0].message.edit_message_id == answer.message_id  # the pressed keyboard is replaced
    assert "Anda memilih: sudah teratasi" in reply[0].text
    assert [b.label for b in reply[-1].message.buttons] == ["1", "2", "3", "4", "5"]

    reply = await world.user_presses("4")
    assert "Terima kasih atas masukan" in texts(reply)
    ticket = world.ticket(1)
    assert ticket.status == TicketStatus.SELF_SERVICE
    assert ticket.faq_entry_id == "email-password" and ticket.faq_version == 1
    assert ticket.rating == 4
    assert world.events(1) == ["created", "answered", "self_solved", "csat"]
    assert world.desk_messages() == []  # nothing reached the desk


async def test_english_question_gets_english_answer(world: DeskWorld) -> None:
    reply = await world.user_says("I forgot my email password")
    assert "Hi Budi" in reply[0].text
    assert "Open the password page" in reply[-1].text
    assert reply[-1].message.buttons[0].label == "Solved"


async def test_pressing_a_keyboard_twice_does_nothing_twice(world: DeskWorld) -> None:
    await world.user_says("printer offline")
    await world.user_presses("Sudah teratasi")
    reply = await world.user_presses("Sudah teratasi")
    assert "sudah tidak berlaku" in texts(reply)
    assert world.events(1).count("self_solved") == 1


async def test_not_solved_goes_through_triage_to_a_ticket_and_relay(world: DeskWorld) -> None:
    await world.user_says("lupa password email")
    reply = await world.user_presses("Belum teratasi")
    assert "Anda memilih: belum teratasi" in reply[0].text
    assert "Beberapa pertanyaan singkat" in texts(reply)
    assert "Perangkat atau aplikasi" in reply[-1].text
    reply = await world.user_says("laptop kantor, outlook")
    assert "Sejak kapan" in reply[-1].text
    reply = await world.user_says("sejak kemarin pagi")
    assert "pesan error" in reply[-1].text
    reply = await world.user_says("Password salah terus")
    assert "rekan lain" in reply[-1].text
    reply = await world.user_says("cuma saya")
    assert "tiket #1" in reply[-1].text
    assert "sekitar 4 jam" in reply[-1].text

    card = world.desk_messages()[0]
    assert card.message.thread_title and card.message.thread_title.startswith("#1")
    assert "Tiket #1 [NORMAL] email" in card.text
    assert "sejak kemarin pagi" in card.text and "Password salah terus" in card.text
    assert "email-password" in card.text
    assert [b.action for b in card.message.buttons] == ["claim", "resolve", "prio"]
    thread = card.thread_id
    ticket = world.ticket(1)
    assert ticket.status == TicketStatus.OPEN and ticket.escalated
    assert ticket.desk_thread_id == thread and ticket.desk_card_message_id == card.message_id

    # The specialist answers in the ticket's thread: relayed to the user, delivered mark in the desk.
    out = await world.desk_says("Coba reset lewat portal, sudah saya buka kuncinya", thread_id=thread)
    to_user = [s for s in out if s.message.address.chat_id == "user-budi"]
    assert to_user and "Sari (IT, #1): Coba reset lewat portal" in to_user[0].text
    assert any(s.message.reaction == "white_check_mark" for s in out)
    ticket = world.ticket(1)
    assert ticket.owner == "console:desk:sari" and ticket.first_response_at is not None
    assert ticket.status == TicketStatus.WAITING_USER

    # The user's follow-up goes into the same thread.
    await world.user_says("sudah bisa login, terima kasih")
    follow_up = world.desk_messages()[-1]
    assert follow_up.thread_id == thread and "sudah bisa login" in follow_up.text
    assert world.ticket(1).status == TicketStatus.CLAIMED

    # An internal note stays in the desk.
    before = len(world.sender.to("user-budi"))
    await world.desk_says("! akun dia memang terkunci oleh kebijakan", thread_id=thread)
    assert len(world.sender.to("user-budi")) == before
    assert "note" in world.events(1)

    # Resolve: the user is told and asked for a rating; the topic is closed.
    out = await world.desk_says("/resolve akun dibuka, password direset", thread_id=thread)
    user_msgs = [s for s in out if s.message.address.chat_id == "user-budi"]
    assert "menandai tiket #1" in user_msgs[0].text and "akun dibuka" in user_msgs[0].text
    assert [b.label for b in user_msgs[0].message.buttons][:5] == ["1", "2", "3", "4", "5"]
    assert any(s.message.close_thread for s in out)
    reply = await world.user_presses("5")
    assert "Terima kasih" in texts(reply)
    ticket = world.ticket(1)
    assert ticket.status == TicketStatus.RESOLVED and ticket.rating == 5
    assert world.events(1)[-1] == "csat"


async def test_no_match_escalates_with_triage_and_skips_what_was_said(world: DeskWorld) -> None:
    reply = await world.user_says('my laptop screen flickers with error "0xC000021A" since yesterday')
    assert "don't have a reliable answer" in texts(reply)
    # device, since and error were in the message: only "who is affected" is asked.
    assert "colleagues" in reply[-1].text
    reply = await world.user_says("the whole team")
    assert "ticket #1" in reply[-1].text
    assert world.ticket(1).priority == "high"  # more than one person affected


async def test_skip_button_in_triage(world: DeskWorld) -> None:
    await world.user_says("/ticket")
    reply = await world.user_says("monitor kedip-kedip")
    assert "Sejak kapan" in reply[-1].text
    for _ in range(3):
        reply = await world.user_presses("Lewati")
    assert "tiket #1" in reply[-1].text


async def test_close_candidates_offer_choices(world: DeskWorld) -> None:
    reply = await world.user_says("how do I connect to vpn or wifi")
    assert "a few possible matches" in reply[-1].text
    labels = [b.label for b in reply[-1].message.buttons]
    assert labels[-1] == "None of these" and len(labels) == 3
    reply = await world.user_presses(labels[0])
    assert reply[0].message.edit_message_id  # the choice replaces the question
    assert reply[-1].message.buttons[0].label == "Solved"


async def test_none_of_these_escalates(world: DeskWorld) -> None:
    await world.user_says("how do I connect to vpn or wifi")
    reply = await world.user_presses("None of these")
    assert "A few quick questions" in texts(reply)
    assert world.sender.to("user-budi")[-1].text.startswith("Which VPN error code")  # the entry's own triage


async def test_security_incident_skips_faq_and_is_urgent(world: DeskWorld) -> None:
    reply = await world.user_says("saya dapat email phishing minta login, sudah saya klik")
    assert "URGENT" in texts(reply)
    assert "Jangan klik" in texts(reply)  # first aid from the security FAQ entry
    ticket = world.ticket(1)
    assert ticket.priority == "urgent" and ticket.category == "security" and ticket.escalated
    assert "[URGENT]" in world.desk_messages()[0].text
    assert "sekitar 15 menit" in texts(reply)


async def test_lost_laptop_without_faq_entry_gets_built_in_first_aid(world: DeskWorld) -> None:
    reply = await world.user_says("my laptop was stolen at the airport")
    assert "lock or wipe" in texts(reply)
    assert world.ticket(1).priority == "urgent"


async def test_secrets_are_not_stored_in_clear(world: DeskWorld) -> None:
    reply = await world.user_says("lupa password email sy, pw: Rahasia123!")
    assert "menghapus sesuatu yang tampak seperti password" in reply[0].text
    with world.uow_factory() as uow:
        ticket = uow.tickets.get(1)
        assert "Rahasia123" not in ticket.subject
    engine = make_engine(world.url)
    with Session(engine) as session:
        stored = [row.text for row in session.exec(select(MessageRow)).all()]
    engine.dispose()
    assert any("[secret removed]" in text for text in stored)
    assert not any("Rahasia123" in text for text in stored)


async def test_status_and_cancel(world: DeskWorld) -> None:
    reply = await world.user_says("/status")
    assert "tidak punya tiket" in reply[0].text
    await world.user_says("/ticket printer lantai 3 macet")
    for _ in range(3):
        await world.user_presses("Lewati")
    reply = await world.user_says("/status")
    assert "#1" in reply[0].text and "menunggu spesialis" in reply[0].text
    reply = await world.user_says("/cancel")
    assert "tiket #1 sudah saya tutup" in reply[0].text
    assert world.ticket(1).status == TicketStatus.CLOSED
    assert any("membatalkan #1" in s.text for s in world.desk_messages())


async def test_lang_command_is_remembered(world: DeskWorld) -> None:
    reply = await world.user_says("/lang en")
    assert "speak English" in reply[0].text
    reply = await world.user_says("lupa password email")
    assert "Open the password page" in reply[-1].text  # stays English although the text is Indonesian
    reply = await world.user_says("/lang xx")
    assert "/lang en" in reply[0].text


async def test_help_start_and_unknown_command(world: DeskWorld) -> None:
    assert "/ticket" in (await world.user_says("/start"))[0].text
    assert "/status" in (await world.user_says("/help"))[0].text
    assert "tidak mengenal perintah /foo" in (await world.user_says("/foo"))[0].text


async def test_empty_and_huge_messages_are_refused_politely(world: DeskWorld) -> None:
    assert "kosong" in (await world.user_says("   "))[-1].text
    assert "sangat panjang" in (await world.user_says("a" * 5000))[-1].text
    with world.uow_factory() as uow:
        assert uow.tickets.list_open() == []


async def test_redelivered_event_is_dropped(world: DeskWorld) -> None:
    first = await world.user_says("lupa password email", event_id="upd-1")
    again = await world.user_says("lupa password email", event_id="upd-1")
    assert first and again == []
    with world.uow_factory() as uow:
        assert uow.tickets.get(2) is None


async def test_non_specialist_cannot_act_in_the_desk(world: DeskWorld) -> None:
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        await world.user_presses("Lewati")
    out = await world.desk_presses("claim", "1", who="intruder")
    assert "hanya spesialis" in out[0].text
    assert world.ticket(1).owner is None
    out = await world.desk_says("/resolve 1 done", who="intruder")
    assert "hanya spesialis" in out[0].text
    assert world.ticket(1).status == TicketStatus.OPEN
    out = await world.desk_presses("claim", "1")
    assert world.ticket(1).owner == "console:desk:sari"
    assert any("Sari dari tim IT" in s.text for s in out)


async def test_priority_and_tickets_commands(world: DeskWorld) -> None:
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        await world.user_presses("Lewati")
    await world.desk_says("/priority 1 high")
    assert world.ticket(1).priority == "high"
    out = await world.desk_says("/priority 1 sangat")
    assert "low, normal, high, urgent" in out[0].text
    out = await world.desk_says("/tickets")
    assert "#1 [high]" in out[0].text
    # The card was edited to show the new priority.
    assert any(s.message.edit_message_id and "[HIGH]" in s.text for s in world.desk_messages())


async def test_relay_that_finally_fails_is_shown_to_the_specialist(world: DeskWorld) -> None:
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        await world.user_presses("Lewati")
    thread = world.desk_messages()[0].thread_id
    world.sender.failures.append(DeliveryError("Forbidden: bot was blocked by the user", permanent=True))
    out = await world.desk_says("halo, bisa dicek kabelnya?", thread_id=thread)
    assert any("tidak dapat dikirim" in s.text and "blocked" in s.text for s in out)
    assert "relay_failed" in world.events(1)


async def test_rate_limited_delivery_waits_and_retries(world: DeskWorld) -> None:
    world.sender.failures.append(DeliveryError("Too Many Requests", retry_after=30))
    await world.user_says("lupa password email")
    assert world.sender.to("user-budi") == []  # held back, not lost
    world.clock.advance(seconds=31)
    await world.deliver()
    assert "Buka halaman password" in world.sender.to("user-budi")[-1].text


async def test_reopen_after_resolve(world: DeskWorld) -> None:
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        await world.user_presses("Lewati")
    await world.desk_says("/resolve 1 kabel diganti")
    reply = await world.user_presses("Masih bermasalah")
    assert "saya buka kembali" in texts(reply)
    assert world.ticket(1).status == TicketStatus.CLAIMED
    assert "reopened" in world.events(1)
    with world.uow_factory() as uow:
        conv = uow.conversations.get("console", "user-budi", "budi")
        assert conv.state == ConversationState.WITH_SPECIALIST


async def test_a_message_with_nothing_to_act_on_gets_one_request_for_a_sentence(world: DeskWorld) -> None:
    reply = await world.user_says("halo")
    assert "ceritakan masalahnya dalam satu kalimat" in texts(reply)
    assert world.desk_messages() == [] and world.ticket(1) is None
    # a keyboard mash is no better, and is not asked about twice: the next thin message goes on
    reply = await world.user_says("sdfghj")
    assert "ceritakan masalahnya" not in texts(reply)
    assert "spesialis" in texts(reply)


async def test_after_the_request_a_real_question_is_matched_as_usual(world: DeskWorld) -> None:
    await world.user_says("pagi pak")
    reply = await world.user_says("lupa password email")
    assert "Buka halaman password" in reply[-1].text


def test_a_greeting_opens_the_next_plain_message_or_goes_alone(uow_factory) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from bot.core.types import ChannelAddress, OutboundMessage
    from bot.engine.turn import Turn

    budi, sari = ChannelAddress("telegram", "1"), ChannelAddress("telegram", "2")
    with uow_factory() as uow:
        turn = Turn(uow, datetime(2026, 1, 5, 9, tzinfo=UTC))
        turn.greet(budi, "Halo Budi")
        turn.greet(sari, "Halo Sari")
        turn.send(OutboundMessage(budi, "tombol diganti", edit_message_id="7"))  # an edit: not opened
        turn.send(OutboundMessage(budi, "Jawaban"))
        turn.send(OutboundMessage(budi, "Berhasil?"))
        turn.finish()  # nothing followed for Sari: her greeting goes alone
        uow.commit()
    with uow_factory() as uow:
        texts = [
            (i.chat_id, i.payload["text"])
            for i in uow.outbox.due(datetime(2026, 1, 6, tzinfo=UTC), ["telegram"])
        ]
    assert texts == [
        ("1", "tombol diganti"),
        ("1", "Halo Budi\n\nJawaban"),
        ("1", "Berhasil?"),
        ("2", "Halo Sari"),
    ]
    assert turn.sent == 4
