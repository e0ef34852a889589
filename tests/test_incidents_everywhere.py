"""Security incidents are caught in every conversation state, not only in a new question."""

from __future__ import annotations

import pytest
import yaml

from bot.core.records import ConversationState, TicketStatus
from bot.security.incidents import incident_kind
from tests.fakes import DeskWorld

SECURITY_ENTRIES = {
    "phishing-received",
    "phishing-clicked",
    "malware-virus",
    "account-compromised",
    "lost-device",
    "suspicious-call",
}


def texts(sent: list) -> str:  # type: ignore[type-arg]
    return "\n".join(s.text for s in sent)


def conversation_state(world: DeskWorld, name: str = "budi") -> str:
    with world.uow_factory() as uow:
        conv = uow.conversations.get("console", f"user-{name}", name)
        assert conv is not None
        return str(conv.state)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my laptop got ransomware, all files encrypted!!", "malware"),
        ("laptop saya kena ransomwere", "malware"),
        ("kena malwer kayaknya", "malware"),
        ("ada keyloger di pc saya", "malware"),
        ("semua file saya terenkripsi dan minta tebusan", "malware"),
        ("file2 sy ke-encrypt", "malware"),
        ("I clicked a link in a suspicious email and entered my password", "phishing"),
        ("dapat email phising dari bank", "phishing"),
        ("sudah klik link yang mencurigakan", "phishing"),
        ("akun email saya diretas", "compromised"),
        ("my account was hacked", "compromised"),
        ("akun sy kena hack", "compromised"),
        ("hp kantor saya hilang di kereta", "lost_device"),
        ("my work laptop was stolen", "lost_device"),
    ],
)
def test_incident_patterns_in_both_languages_and_misspelled(text: str, kind: str) -> None:
    assert incident_kind(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "lupa password email",
        "password expired",
        "hardware laptop rusak",
        "software update gagal",
        "install antivirus baru",
        "my colleague has taken over the project, give him access",
        "outlook minta password terus",
        "printer HP LaserJet M404dn offline",
        "error 0x80070005 saat update",
    ],
)
def test_ordinary_questions_are_not_incidents(text: str) -> None:
    assert incident_kind(text) is None


def test_no_labelled_non_security_question_is_taken_for_an_incident() -> None:
    false_alarms = []
    for name in ("calibrate", "holdout"):
        with open(f"knowledge_base/labelled/{name}.yaml", encoding="utf-8") as handle:
            for item in yaml.safe_load(handle):
                if item["expect"] not in SECURITY_ENTRIES and incident_kind(item["text"]):
                    false_alarms.append(item["text"])
    assert false_alarms == []


async def test_ransomware_as_a_triage_answer_opens_an_urgent_security_ticket(world: DeskWorld) -> None:
    await world.user_says("my screen is weird")  # no FAQ match: triage starts
    assert conversation_state(world) == ConversationState.TRIAGE
    reply = await world.user_says("my laptop got ransomware, all files encrypted!!")
    assert "URGENT" in texts(reply)
    assert "Disconnect the device from the network" in texts(reply)  # first aid for malware
    assert "about 15 minutes" in texts(reply)
    ticket = world.ticket(1)
    assert ticket.priority == "urgent" and ticket.category == "security" and ticket.escalated
    card = world.desk_messages()[0].text
    assert "[URGENT]" in card and "my screen is weird" in card  # the question asked before is kept
    assert conversation_state(world) == ConversationState.WITH_SPECIALIST
    assert "security" in world.events(1)


async def test_incident_after_not_solved_raises_the_answered_ticket(world: DeskWorld) -> None:
    await world.user_says("lupa password email")
    await world.user_presses("Belum teratasi")
    reply = await world.user_says("akun saya diretas, ada yang kirim email dari akun saya")
    assert "URGENT" in texts(reply)
    ticket = world.ticket(1)  # the same ticket, now urgent and about security
    assert ticket.priority == "urgent" and ticket.category == "security"
    with world.uow_factory() as uow:
        assert uow.tickets.get(2) is None


async def test_incident_while_choosing_interrupts_the_choices(world: DeskWorld) -> None:
    await world.user_says("how do I connect to vpn or wifi")
    assert conversation_state(world) == ConversationState.CLARIFYING
    reply = await world.user_says("wait, my laptop was stolen")
    assert "lock or wipe" in texts(reply)
    assert world.ticket(1).priority == "urgent"


async def test_incident_in_relay_reaches_the_specialist_and_raises_the_ticket(world: DeskWorld) -> None:
    await world.user_says("/ticket printer lantai 3 macet")
    for _ in range(3):
        await world.user_presses("Lewati")
    ticket = world.ticket(1)
    assert ticket.priority == "normal" and ticket.status == TicketStatus.OPEN
    desk_before = len(world.desk_messages())
    reply = await world.user_says("eh laptop saya juga kena ransomware, semua file terkunci")
    desk = world.desk_messages()[desk_before:]
    assert any("kena ransomware" in s.text for s in desk)  # relayed to the ticket's thread
    assert any("URGENT" in s.text and "#1" in s.text for s in desk)  # the desk is alerted
    assert "URGENT" in texts(reply) and "Putuskan perangkat" in texts(reply)
    ticket = world.ticket(1)
    assert ticket.priority == "urgent" and ticket.category == "security"
    # A second incident message does not alert again.
    desk_before = len(world.desk_messages())
    await world.user_says("virusnya menyebar")
    assert not any("sekarang URGENT" in s.text for s in world.desk_messages()[desk_before:])


async def test_incident_while_awaiting_a_rating(world: DeskWorld) -> None:
    await world.user_says("printer offline")
    await world.user_presses("Sudah teratasi")
    assert conversation_state(world) == ConversationState.AWAITING_RATING
    reply = await world.user_says("tadi saya klik link phising")
    assert "URGENT" in texts(reply)
    assert world.ticket(2).priority == "urgent"


async def test_security_faq_entry_reached_through_the_index_in_triage(world: DeskWorld) -> None:
    await world.user_says("/ticket")
    reply = await world.user_says("phishing")  # the sample FAQ's security entry matches by its tag
    assert "Jangan klik" in texts(reply)
    assert world.ticket(1).priority == "urgent"
