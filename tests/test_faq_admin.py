"""FAQ editing from chat and drafts from specialists, read like transcripts.

The admin Ani talks to the bot in a direct console chat ("user-ani") and in the desk
("desk:ani"); Budi and Siti are ordinary users; Sari is a specialist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import pytest

from bot.app import assemble_engine
from bot.core.ports import UnitOfWorkFactory
from bot.core.records import ConversationState, TicketStatus
from bot.delivery.dispatcher import OutboxDispatcher
from bot.faq.index import FaqIndex
from bot.faq_admin.commands import install_faq_admin
from bot.faq_admin.diff import Change, describe, diff_data
from bot.faq_admin.drafts import DraftStatus, slug, suggest_entry_id
from bot.faq_admin.rules import (
    MAX_ANSWER_CHARS,
    MAX_ID_CHARS,
    MAX_PHRASING_CHARS,
    MAX_PHRASINGS,
    STATE_ADD,
    entry_ref,
)
from bot.texts import en
from bot.texts import id as indonesian
from knowledge_base import faq_file
from tests.fakes import DeskWorld, Sent

ADMINS = frozenset({"console:ani", "console:desk:ani"})


@dataclass
class AdminWorld(DeskWorld):
    """A desk world whose engine has FAQ editing installed and admins configured.

    Its FAQ index re-reads the database only every 60 (fake) seconds, so a test can tell an
    immediate refresh after an edit from the periodic one.
    """

    admins: frozenset[str] = ADMINS
    ticks: list[float] = field(default_factory=lambda: [0.0])

    def __post_init__(self) -> None:
        super().__post_init__()
        clock = lambda: self.ticks[0]  # noqa: E731
        self.faq = FaqIndex(self.uow_factory, self.finder, refresh_seconds=60, monotonic=clock)
        self.faq.refresh(force=True)
        self.config = replace(self.config, admins=self.admins)
        self.engine = assemble_engine(self.uow_factory, self.faq, self.clock, self.config)
        senders = {"console": self.sender}
        self.dispatcher = OutboxDispatcher(self.uow_factory, senders, self.clock, self.engine)
        install_faq_admin(self.engine)

    async def admin_says(self, text: str) -> list[Sent]:
        return await self.user_says(text, name="ani")

    async def admin_presses(self, label: str) -> list[Sent]:
        return await self.user_presses(label, name="ani")

    def entry(self, entry_id: str):  # type: ignore[no-untyped-def]
        with self.uow_factory() as uow:
            return uow.faq.get(entry_id)

    def versions(self, entry_id: str) -> list[int]:
        with self.uow_factory() as uow:
            return [v.version for v in uow.faq.history(entry_id)]

    def audit_actions(self) -> list[str]:
        with self.uow_factory() as uow:
            return [a.action for a in reversed(uow.audit.recent(200))]

    def conversation_state(self, name: str) -> str:
        with self.uow_factory() as uow:
            conv = uow.conversations.get("console", f"user-{name}", name)
            return conv.state if conv is not None else ""


@pytest.fixture
def admin_world(uow_factory: UnitOfWorkFactory, database_url: str) -> AdminWorld:
    return AdminWorld(uow_factory, url=database_url)


def said(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


def labels(sent: Sent) -> list[str]:
    return [b.label for b in sent.message.buttons]


async def escalate(world: AdminWorld, question: str, name: str) -> str:
    """``name`` asks something the FAQ cannot answer and gets a ticket. Returns its desk thread."""
    out = await world.user_says(question, name=name)
    for _ in range(8):
        if "tiket #" in said(out):
            break
        out = await world.user_says("tidak tahu", name=name)
    assert "tiket #" in said(out)
    thread = world.desk_messages()[-1].thread_id
    assert thread
    return thread


async def escalate_and_resolve(world: AdminWorld, question: str, reply: str, summary: str, name: str) -> str:
    """``name`` asks something the FAQ cannot answer; Sari replies and resolves. Returns the thread id."""
    thread = await escalate(world, question, name)
    await world.desk_says(reply, thread_id=thread)
    await world.desk_says(f"/resolve {summary}", thread_id=thread)
    return thread


# ------------------------------------------------------------------------------------- adding


async def test_admin_adds_an_entry_step_by_step_in_a_direct_chat(admin_world: AdminWorld) -> None:
    w = admin_world
    reply = await w.admin_says("/faq add")
    assert "Langkah 1/4" in said(reply)
    assert w.conversation_state("ani") == STATE_ADD

    reply = await w.admin_says("VPN Lambat!")
    assert "tidak bisa dipakai sebagai id" in said(reply)
    reply = await w.admin_says("email-password")
    assert "Sudah ada entri email-password" in said(reply)
    reply = await w.admin_says("vpn-slow")
    assert "Langkah 2/4" in said(reply)
    assert labels(reply[-1]) == [
        "account",
        "network",
        "email",
        "hardware",
        "software",
        "printing",
        "security",
        "access",
        "other",
    ]

    reply = await w.admin_presses("network")
    assert reply[0].message.edit_message_id  # the category keyboard is replaced by the choice
    assert "Kategori: network" in reply[0].text
    assert "Langkah 3/4" in said(reply) and "Bahasa Indonesia" in said(reply)

    reply = await w.admin_says("vpn lambat sekali\n- koneksi vpn lemot\nvpn lambat sekali")
    assert "2 pertanyaan ID" in said(reply)
    assert labels(reply[-1]) == ["Selesai"]
    reply = await w.admin_presses("Selesai")
    assert "jawaban ID" in said(reply)
    reply = await w.admin_says("1. Putuskan VPN.  \n2. Sambungkan lagi.\n\n")
    assert "Bahasa Inggris (EN)" in said(reply)
    assert labels(reply[-1]) == ["Lewati bahasa ini"]
    reply = await w.admin_says("vpn is slow")
    assert "1 pertanyaan EN" in said(reply)
    reply = await w.admin_says("done")
    assert "jawaban EN" in said(reply)
    reply = await w.admin_says("1. Disconnect the VPN.\n2. Connect again.")
    preview = reply[-1]
    assert "Langkah 4/4" in preview.text
    assert "vpn-slow · network · v0" in preview.text
    assert "1. koneksi vpn lemot" not in preview.text and "2. koneksi vpn lemot" in preview.text
    assert labels(preview) == ["Simpan", "Batal"]

    reply = await w.admin_presses("Simpan")
    assert "vpn-slow tersimpan (versi 1)" in said(reply)
    entry = w.entry("vpn-slow")
    assert entry.category == "network"
    assert entry.questions == {"id": ("vpn lambat sekali", "koneksi vpn lemot"), "en": ("vpn is slow",)}
    assert entry.answer == {
        "id": "1. Putuskan VPN.\n2. Sambungkan lagi.",
        "en": "1. Disconnect the VPN.\n2. Connect again.",
    }
    assert faq_file.validate_entry(entry) == []
    assert w.conversation_state("ani") == ConversationState.IDLE
    assert w.audit_actions()[-1] == "faq.add"
    with w.uow_factory() as uow:
        first = uow.faq.history("vpn-slow")[0]
    assert first.author == "Ani (console:ani)" and first.note == "chat: created"


async def test_one_language_is_enough_and_cancel_saves_nothing(admin_world: AdminWorld) -> None:
    w = admin_world
    await w.admin_says("/faq add wifi-guest")
    await w.admin_presses("network")
    reply = await w.admin_presses("Lewati bahasa ini")  # no Indonesian
    assert "Bahasa Inggris" in said(reply)
    assert labels(reply[-1]) == []  # the last language cannot be skipped when there is none
    await w.admin_says("guest wifi password")
    await w.admin_says("selesai")
    reply = await w.admin_says("1. Ask reception for today's code.")
    assert "Langkah 4/4" in said(reply)
    reply = await w.admin_presses("Batal")
    assert "Dibatalkan" in said(reply)
    assert w.entry("wifi-guest") is None

    await w.admin_says("/faq add wifi-guest")
    await w.admin_presses("network")
    await w.admin_presses("Lewati bahasa ini")
    await w.admin_says("guest wifi password")
    await w.admin_says("done")
    await w.admin_says("1. Ask reception for today's code.")
    reply = await w.admin_says("simpan")
    assert "wifi-guest tersimpan" in said(reply)
    assert w.entry("wifi-guest").questions == {"en": ("guest wifi password",)}


async def test_dialogues_run_in_a_direct_chat_and_survive_a_restart(admin_world: AdminWorld) -> None:
    w = admin_world
    out = await w.desk_says("/faq add", who="ani")
    assert "chat pribadi" in said(out)

    await w.admin_says("/faq add")
    await w.admin_says("printer-jam")
    # A new process (engine) over the same database carries on: the state is in the conversation.
    restarted = AdminWorld(w.uow_factory, url=w.url, clock=w.clock, sender=w.sender)
    reply = await restarted.user_presses("printing", name="ani")
    assert "Langkah 3/4" in said(reply)
    reply = await restarted.user_says("/faq cancel", name="ani")
    assert "Dibatalkan" in said(reply)
    assert restarted.conversation_state("ani") == ConversationState.IDLE
    reply = await restarted.user_says("/faq cancel", name="ani")
    assert "Tidak ada pengeditan FAQ" in said(reply)


async def test_an_abandoned_dialogue_times_out_and_the_message_is_a_question_again(
    admin_world: AdminWorld,
) -> None:
    w = admin_world
    await w.admin_says("/faq add")
    w.clock.advance(minutes=31)
    reply = await w.admin_says("printer offline")
    assert "kedaluwarsa" in said(reply)
    assert "Periksa kabel" in said(reply)  # answered from the FAQ like any question
    assert w.conversation_state("ani") == ConversationState.AWAITING_FEEDBACK


# ------------------------------------------------------------------------------- permissions


async def test_non_admins_are_refused_and_nothing_changes(admin_world: AdminWorld) -> None:
    w = admin_world
    with w.uow_factory() as uow:
        revision = uow.faq.revision()
    reply = await w.user_says("/faq add")
    assert "hanya admin FAQ" in said(reply)
    reply = await w.user_says("/faq answer email-password id 1. Kirim password Anda ke saya.")
    assert "hanya admin FAQ" in said(reply)
    assert w.conversation_state("budi") != STATE_ADD

    out = await w.desk_says("/faq delete email-password", who="sari")
    assert "hanya admin FAQ" in said(out)
    assert out[-1].message.ephemeral_user_id == "desk:sari"
    out = await w.desk_presses("faqdel", "email-password", who="sari")
    assert "hanya admin FAQ" in said(out)
    out = await w.desk_presses("faqd", "mk:1:network", who="sari")
    assert "hanya admin FAQ" in said(out)
    reply = await w.user_says("/faq propose 1")
    assert "hanya spesialis IT" in said(reply)

    with w.uow_factory() as uow:
        assert uow.faq.revision() == revision
        assert uow.faq.get("email-password") is not None
    assert not any(a.startswith("faq.") for a in w.audit_actions())


# ----------------------------------------------------------------- changes reach users at once


async def test_admin_changes_an_answer_and_the_next_user_gets_it(admin_world: AdminWorld) -> None:
    w = admin_world
    reply = await w.user_says("lupa password email")
    assert "Buka halaman password" in said(reply)

    reply = await w.admin_says("/faq answer email-password id")
    assert "Jawaban ID email-password saat ini" in said(reply) and "Buka halaman password" in said(reply)
    reply = await w.admin_says("1. Buka portal baru https://akun.example.com\n2. Atur ulang password.")
    text = said(reply)
    assert "email-password tersimpan sebagai versi 2" in text
    assert "jawaban (ID) berubah" in text
    assert "- 1. Buka halaman password." in text and "+ 1. Buka portal baru https://akun.example.com" in text

    # The index refreshes only every 60 fake seconds, and none passed: the edit itself refreshed it.
    reply = await w.user_says("lupa password email", name="siti")
    assert "Buka portal baru" in said(reply)
    ticket = w.ticket(2)
    assert ticket.faq_entry_id == "email-password" and ticket.faq_version == 2
    assert w.audit_actions()[-1] == "faq.answer"


async def test_a_second_process_picks_the_change_up_after_its_refresh_interval(
    admin_world: AdminWorld,
) -> None:
    w = admin_world
    other = AdminWorld(w.uow_factory, url=w.url, clock=w.clock)  # another process, same database
    reply = await other.user_says("lupa password email", name="siti")
    assert "Buka halaman password" in said(reply)

    out = await w.desk_says("/faq answer email-password id 1. Buka portal baru.\n2. Atur ulang.", who="ani")
    assert "email-password tersimpan sebagai versi 2" in said(out)

    other.ticks[0] += 30  # within its refresh interval: still the old answer
    reply = await other.user_says("lupa password email", name="joko")
    assert "Buka halaman password" in said(reply)
    other.ticks[0] += 31  # past it: the stored revision changed, the index reloads
    reply = await other.user_says("lupa password email", name="rina")
    assert "Buka portal baru" in said(reply)


# ---------------------------------------------------------------- one-shot edits and history


async def test_questions_history_and_rollback(admin_world: AdminWorld) -> None:
    w = admin_world
    reply = await w.admin_says("/faq addq printer-offline en printer says offline\nprinter not responding")
    assert "printer-offline tersimpan sebagai versi 2" in said(reply)
    assert "+ pertanyaan (EN): printer says offline" in said(reply)
    reply = await w.admin_says("/faq addq printer-offline en Printer says   OFFLINE")
    assert "sudah punya pertanyaan itu" in said(reply)
    reply = await w.admin_says("/faq addq printer-offline en email-password question")
    assert "juga pertanyaan di email-password" in said(reply)
    reply = await w.admin_says("/faq delq printer-offline en 4")
    assert "- pertanyaan (EN): email-password question" in said(reply)
    reply = await w.admin_says("/faq delq printer-offline en no such question")
    assert "tidak punya pertanyaan itu" in said(reply) and "1. printer-offline question" in said(reply)
    reply = await w.admin_says("/faq delq printer-offline id 1")
    assert "pertanyaan ID terakhir" in said(reply)
    assert w.versions("printer-offline") == [1, 2, 3, 4]

    reply = await w.admin_says("/faq history printer-offline")
    text = said(reply)
    assert "Riwayat printer-offline (4 versi" in text
    assert text.index("v4 ·") < text.index("v1 ·")
    assert "Ani (console:ani) · chat: question removed (en)" in text
    assert re.search(r"v1 · \d{4}-\d\d-\d\d \d\d:\d\d UTC · test · import", text)
    assert "/faq rollback printer-offline VERSI" in text

    reply = await w.admin_says("/faq rollback printer-offline 1")
    assert "kembali ke isi versi 1 (disimpan sebagai versi 5)" in said(reply)
    assert "- pertanyaan (EN): printer says offline" in said(reply)
    entry = w.entry("printer-offline")
    assert entry.version == 5 and entry.questions["en"] == ("printer-offline question",)
    reply = await w.admin_says("/faq rollback printer-offline v5")
    assert "Tidak ada yang diubah" in said(reply)
    reply = await w.admin_says("/faq rollback printer-offline 9")
    assert "tidak punya versi 9; versinya 1 sampai 5" in said(reply)
    reply = await w.admin_says("/faq rollback printer-ofline 1")
    assert "Tidak ada entri FAQ" in said(reply) and "Maksud Anda printer-offline?" in said(reply)
    assert w.audit_actions()[-1] == "faq.rollback"


async def test_delete_asks_first_and_rollback_restores(admin_world: AdminWorld) -> None:
    w = admin_world
    reply = await w.admin_says("/faq delete printer-offline")
    assert "Hapus printer-offline" in said(reply)
    assert labels(reply[-1]) == ["Hapus", "Jangan hapus"]
    reply = await w.admin_presses("Jangan hapus")
    assert "tidak ada yang diubah" in said(reply)
    assert w.entry("printer-offline") is not None

    await w.admin_says("/faq delete printer-offline")
    reply = await w.admin_presses("Hapus")
    assert "printer-offline dihapus" in said(reply) and "/faq rollback printer-offline 1" in said(reply)
    assert w.entry("printer-offline") is None
    reply = await w.user_says("printer offline")
    assert "Periksa kabel" not in said(reply)  # nobody gets the deleted answer any more

    reply = await w.admin_says("/faq history printer-offline")
    assert "dihapus" in said(reply)
    reply = await w.admin_says("/faq rollback printer-offline 2")
    assert "penghapusannya" in said(reply)
    reply = await w.admin_says("/faq rollback printer-offline 1")
    assert "versi 3" in said(reply) and "dikembalikan" in said(reply)
    reply = await w.user_says("printer offline", name="siti")
    assert "Periksa kabel" in said(reply)
    assert entry_ref("x" * 64).startswith("~")


async def test_show_list_and_search(admin_world: AdminWorld) -> None:
    w = admin_world
    reply = await w.admin_says("/faq show vpn-setup")
    text = said(reply)
    assert "vpn-setup · network · v1" in text
    assert "Pertanyaan (ID):\n1. pertanyaan vpn-setup" in text
    assert "Jawaban (EN):\n1. Install the VPN client." in text
    assert "Kode error VPN apa yang muncul?" in text
    assert re.search(r"Perubahan terakhir: \d{4}-\d\d-\d\d \d\d:\d\d UTC, test", text)
    reply = await w.admin_says("/faq show phishing-report")
    assert "Entri keamanan" in said(reply)

    reply = await w.admin_says("/faq list")
    assert "5 entri FAQ" in said(reply)
    assert labels(reply[-1]) == ["network (2)", "email (1)", "printing (1)", "security (1)"]
    reply = await w.admin_presses("network (2)")
    assert "network: 2 entri" in said(reply)
    assert "• vpn-setup" in said(reply) and "• wifi-connect" in said(reply)
    reply = await w.admin_says("/faq list hardwar")
    assert "bukan kategori" in said(reply)

    reply = await w.admin_says("/faq search printer offline")
    assert "Bot akan menjawab" in said(reply) and "printer-offline" in said(reply)
    reply = await w.admin_says("/faq search layar berkedip")
    assert "meneruskan ini ke spesialis" in said(reply)
    reply = await w.admin_says("/faq")
    assert "/faq rollback ID VERSI" in said(reply)
    reply = await w.admin_says("/faq frobnicate")
    assert "tidak mengenal /faq frobnicate" in said(reply)


async def test_answer_inline_in_the_desk_and_usage_errors(admin_world: AdminWorld) -> None:
    w = admin_world
    out = await w.desk_says("/faq answer wifi-connect en", who="ani")
    assert "pesan yang sama" in said(out)
    out = await w.desk_says("/faq answer wifi-connect en 1. Forget the network.\n2. Join again.", who="ani")
    assert "wifi-connect tersimpan sebagai versi 2" in said(out)
    assert w.entry("wifi-connect").answer["en"] == "1. Forget the network.\n2. Join again."
    out = await w.desk_says("/faq answer wifi-connect en 1. Forget the network.\n2. Join again.", who="ani")
    assert "Tidak ada yang diubah" in said(out)
    out = await w.desk_says("/faq answer wifi-connect fr 1. Oubliez le réseau.", who="ani")
    assert "bukan bahasa" in said(out)
    out = await w.desk_says("/faq answer wifi-connect en " + "x" * (MAX_ANSWER_CHARS + 1), who="ani")
    assert f"batasnya {MAX_ANSWER_CHARS}" in said(out)
    out = await w.desk_says("/faq addq wifi-connect", who="ani")
    assert "Cara pakai: /faq addq" in said(out)
    assert w.versions("wifi-connect") == [1, 2]


# --------------------------------------------------------------------------------- drafts


async def test_specialist_proposes_a_resolved_ticket_and_an_admin_approves_it(
    admin_world: AdminWorld,
) -> None:
    w = admin_world
    thread = await escalate_and_resolve(
        w, "layar monitor berkedip terus", "Coba ganti kabel HDMI-nya ya", "kabel HDMI diganti", "budi"
    )
    out = await w.desk_says("/faq propose", thread_id=thread)
    text = said(out)
    assert "Draf D1 dari #1 sekarang menunggu admin FAQ" in text
    card = out[-1]
    assert "Pertanyaan: layar monitor berkedip terus" in card.text
    assert "Coba ganti kabel HDMI-nya ya\n\nkabel HDMI diganti" in card.text
    assert "Id: layar-monitor-berkedip-terus" in card.text
    assert [b.action + ":" + b.value for b in card.message.buttons] == ["faqd:ok:1", "faqd:ed:1", "faqd:no:1"]
    out = await w.desk_says("/faq propose 1")
    assert "sudah diusulkan sebagai draf D1" in said(out)
    assert "faq_proposed" in w.events(1)

    out = await w.desk_presses("faqd", "ok:1", who="sari")  # a specialist cannot approve
    assert "hanya admin FAQ" in said(out)
    out = await w.desk_presses("faqd", "ok:1", who="ani")
    assert "pilih kategorinya (usulan: other)" in said(out)
    assert [b.value for b in out[-1].message.buttons][:2] == ["c:1:other", "c:1:account"]
    out = await w.desk_presses("faqd", "c:1:hardware", who="ani")
    assert "layar-monitor-berkedip-terus · hardware" in said(out)
    out = await w.desk_presses("faqd", "mk:1:hardware", who="ani")
    assert "Draf D1 disetujui oleh Ani: sekarang menjadi entri FAQ layar-monitor-berkedip-terus" in said(out)
    entry = w.entry("layar-monitor-berkedip-terus")
    assert entry.category == "hardware"
    assert entry.questions == {"id": ("layar monitor berkedip terus",)}
    assert entry.answer == {"id": "Coba ganti kabel HDMI-nya ya\n\nkabel HDMI diganti"}
    out = await w.desk_presses("faqd", "mk:1:hardware", who="ani")
    assert "Draf D1 sudah disetujui" in said(out)
    with w.uow_factory() as uow:
        draft = uow.drafts.get(1)
        assert draft is not None
        assert draft.status == DraftStatus.APPROVED and draft.decided_by == "console:desk:ani"
        assert draft.decision_note == "layar-monitor-berkedip-terus v1"
        assert uow.faq.history(entry.id)[0].note == "from draft D1 (ticket #1)"
    assert "faq.propose" in w.audit_actions() and w.audit_actions()[-1] == "faq.approve"

    # The one-language entry gets its English side in a direct chat.
    reply = await w.admin_says("/faq addq layar-monitor-berkedip-terus en screen keeps flickering")
    assert "pertanyaan EN pertama" in said(reply)
    reply = await w.admin_says("1. Replace the HDMI cable.")
    assert "versi 2" in said(reply)
    entry = w.entry("layar-monitor-berkedip-terus")
    assert entry.questions["en"] == ("screen keeps flickering",)
    assert entry.answer["en"] == "1. Replace the HDMI cable."


async def test_drafts_edit_reject_and_refusals(admin_world: AdminWorld) -> None:
    w = admin_world
    thread = await escalate(w, "kursi kantor rusak", "budi")
    out = await w.desk_says("/faq propose", thread_id=thread)
    assert "#1 belum selesai" in said(out)
    out = await w.desk_says("/faq propose")
    assert "Tiket yang mana?" in said(out)
    out = await w.desk_says("/faq propose 99")
    assert "Tidak ada tiket #99" in said(out)
    await w.desk_says("/resolve", thread_id=thread)
    out = await w.desk_says("/faq propose", thread_id=thread)
    assert "tidak menemukan jawaban spesialis di #1" in said(out)

    await escalate_and_resolve(w, "kursi kantor rusak", "Sudah saya laporkan ke GA", "dilaporkan", "siti")
    assert w.ticket(2).status == TicketStatus.RESOLVED
    out = await w.desk_says("/faq propose #2 1. Laporkan ke bagian umum lewat portal GA.")
    assert "Draf D1 dari #2" in said(out)
    assert "Jawaban:\n1. Laporkan ke bagian umum lewat portal GA." in said(out)

    # Edit step by step in a direct chat, or inline anywhere.
    reply = await w.admin_says("/faq drafts")
    assert "1 draf menunggu" in said(reply)
    reply = await w.admin_presses("Ubah")
    assert labels(reply[-1]) == ["Pertanyaan", "Jawaban", "Id", "Kategori"]
    reply = await w.admin_presses("Jawaban")
    assert "Kirim Jawaban baru untuk draf D1" in said(reply)
    reply = await w.admin_says("1. Buka portal GA.\n2. Pilih Laporan kerusakan.")
    assert "Jawaban:\n1. Buka portal GA.\n2. Pilih Laporan kerusakan." in said(reply)
    assert w.conversation_state("ani") == ConversationState.IDLE
    out = await w.desk_says("/faq draft 1 id email-password", who="ani")
    assert "Sudah ada entri email-password" in said(out)
    out = await w.desk_says("/faq draft 1 id kursi-rusak", who="ani")
    assert "Id: kursi-rusak" in said(out)
    out = await w.desk_presses("faqd", "ed:1", who="ani")
    assert "/faq draft 1 question|answer|id|category" in said(out)

    out = await w.desk_says("/faq reject 1 bukan urusan IT", who="ani")
    assert "Draf D1 ditolak oleh Ani" in said(out)
    with w.uow_factory() as uow:
        draft = uow.drafts.get(1)
        assert draft is not None
        assert draft.status == DraftStatus.REJECTED and draft.decision_note == "bukan urusan IT"
        assert uow.drafts.pending() == []
        assert uow.faq.get("kursi-rusak") is None
    out = await w.desk_says("/faq approve 1", who="ani")
    assert "sudah ditolak" in said(out)
    out = await w.desk_says("/faq drafts", who="ani")
    assert "Tidak ada draf" in said(out)
    out = await w.desk_says("/faq draft 9", who="ani")
    assert "Tidak ada draf 9" in said(out)


async def test_approve_by_command_with_another_id_and_category(admin_world: AdminWorld) -> None:
    w = admin_world
    thread = await escalate_and_resolve(w, "headset tidak terdeteksi", "Colok ke port USB lain", "", "budi")
    await w.desk_says("/faq propose", thread_id=thread)
    out = await w.desk_says("/faq approve 1 vpn-setup", who="ani")
    assert "Sudah ada entri vpn-setup" in said(out)
    out = await w.desk_says("/faq approve 1 Headset! hardware", who="ani")
    assert "tidak bisa dipakai sebagai id" in said(out)
    out = await w.desk_says("/faq approve D1 headset-usb hardware", who="ani")
    assert "sekarang menjadi entri FAQ headset-usb" in said(out)
    assert w.entry("headset-usb").answer == {"id": "Colok ke port USB lain"}


# ------------------------------------------------------------------------------ pure helpers


def test_rules_match_the_faq_file_format() -> None:
    assert faq_file.validation.MAX_ID_CHARS == MAX_ID_CHARS
    assert faq_file.validation.MAX_PHRASING_CHARS == MAX_PHRASING_CHARS
    assert faq_file.validation.MAX_ANSWER_CHARS == MAX_ANSWER_CHARS
    assert faq_file.validation.MAX_PHRASINGS == MAX_PHRASINGS


def test_both_languages_have_the_same_texts() -> None:
    assert set(en.TEXTS) == set(indonesian.TEXTS)


def test_suggested_ids() -> None:
    assert slug("How do I reset my password?") == "reset-password"
    assert slug("Bagaimana cara pasang VPN di laptop?") == "pasang-vpn-laptop"
    assert slug("Ça ne marche pas: café Wi-Fi") == "ca-ne-marche-pas-cafe-wi-fi"
    taken = {"reset-password", "reset-password-2"}
    assert suggest_entry_id("reset my password", taken.__contains__) == "reset-password-3"
    assert suggest_entry_id("???", taken.__contains__, fallback="ticket-4") == "ticket-4"


def test_diff_lines() -> None:
    from tests.fakes import SAMPLE_FAQ

    old = SAMPLE_FAQ[0].to_data()
    new = {
        **old,
        "category": "account",
        "questions": {"en": ["forgot password"], "id": old["questions"]["id"]},
        "answer": {**old["answer"], "en": old["answer"]["en"].replace("Reset it.", "Reset it now.")},
    }
    changes = diff_data(old, new)
    assert Change("category", old="email", new="account") in changes
    lines = describe(changes, "en", full=True)
    assert lines[0] == "category: email -> account"
    assert "- question (EN): email-password question" in lines
    assert "+ question (EN): forgot password" in lines
    assert "answer (EN) changed:" in lines
    assert "    - 2. Reset it." in lines and "    + 2. Reset it now." in lines
    assert describe(diff_data(old, old), "en") == ["no change in content"]
    assert describe(diff_data(None, old), "en")[0] == "created"
