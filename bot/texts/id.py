"""Teks Bahasa Indonesia. Kuncinya harus sama dengan ``en.py`` (diperiksa oleh tes)."""

from __future__ import annotations

from collections.abc import Callable


def _duration(hours: int, minutes: int) -> str:
    parts = []
    if hours:
        parts.append(f"{hours} jam")
    if minutes or not hours:
        parts.append(f"{minutes} menit")
    return "sekitar " + " ".join(parts)


TEXTS: dict[str, str | Callable[..., str]] = {
    "greeting": (
        "Halo {name}! Saya asisten helpdesk IT. Ceritakan masalah Anda dengan kata-kata sendiri "
        "(Bahasa Indonesia atau English), saya carikan langkahnya atau saya hubungkan dengan spesialis.\n"
        "Perintah: /help, /ticket (bicara dengan petugas), /status (tiket Anda), /cancel, /lang id|en"
    ),
    "greeting_short": "Halo {name}, saya asisten helpdesk IT. Saya bantu cek ya.",
    "help": (
        "Cukup jelaskan masalahnya, misalnya \"lupa password email\" atau \"wifi sering putus\".\n"
        "/ticket - langsung bicara dengan petugas\n"
        "/status - lihat tiket Anda yang masih terbuka\n"
        "/cancel - batalkan proses yang sedang berjalan\n"
        "/lang id atau /lang en - ganti bahasa"
    ),
    "unknown_command": "Maaf, saya tidak mengenal perintah /{command}. Ketik /help untuk melihat yang bisa saya bantu.",
    "lang_usage": "Silakan pilih bahasa: /lang id atau /lang en",
    "lang_set": "Baik, mulai sekarang saya memakai Bahasa Indonesia.",
    "status_none": "Saat ini Anda tidak punya tiket yang masih terbuka.",
    "status_header": "Tiket Anda yang masih terbuka:",
    "status_line": "{number} - {subject} - {status} ({owner})",
    "status_waiting_owner": "menunggu spesialis",
    "status_answered": "dijawab oleh asisten",
    "status_open": "menunggu spesialis",
    "status_claimed": "sedang ditangani spesialis",
    "status_waiting_user": "menunggu balasan Anda",
    "status_resolved": "selesai",
    "status_self_service": "selesai lewat FAQ",
    "status_closed": "ditutup",
    "nothing_to_cancel": "Tidak ada yang perlu dibatalkan. Ada yang bisa saya bantu?",
    "cancelled": "Baik, sudah dibatalkan. Silakan hubungi saya lagi kapan saja.",
    "cancelled_ticket": "Baik, tiket {number} sudah saya tutup. Kalau masalahnya muncul lagi, kabari saya saja.",
    "secret_removed": (
        "Demi keamanan, saya menghapus sesuatu yang tampak seperti password atau data rahasia dari pesan Anda. "
        "Mohon jangan pernah mengirim password lewat chat; tim IT tidak akan memintanya."
    ),
    "empty_message": "Pesan yang saya terima kosong. Bisa jelaskan masalahnya dalam beberapa kata?",
    "attachment_not_now": (
        "Terima kasih atas filenya. Saya baru bisa meneruskan file ke spesialis setelah tiket dibuka; "
        "mohon jelaskan masalahnya dengan kata-kata dulu."
    ),
    "media_not_supported": "Maaf, saya tidak bisa memproses jenis pesan itu. Silakan kirim teks, foto, atau dokumen.",
    "too_long": "Pesannya sangat panjang. Bisa dijelaskan dalam kurang dari {limit} karakter?",
    "answer_intro": "Berikut langkah yang biasanya menyelesaikan masalah ini:",
    "did_it_help": "Apakah masalahnya sudah teratasi?",
    "btn_solved": "Sudah teratasi",
    "btn_not_solved": "Belum teratasi",
    "btn_human": "Bicara dengan petugas",
    "did_you_mean": "Saya menemukan beberapa kemungkinan. Mana yang paling sesuai?",
    "btn_none_of_these": "Tidak ada yang sesuai",
    "button_expired": "Tombol itu sudah tidak berlaku. Sampaikan saja kebutuhan Anda, saya bantu.",
    "chosen_not_solved": "Anda memilih: belum teratasi.",
    "chosen_human": "Anda meminta bicara dengan petugas.",
    "chosen_entry": "Anda memilih: {title}",
    "chosen_none": "Anda memilih: tidak ada yang sesuai.",
    "chosen_solved": "Anda memilih: sudah teratasi.",
    "glad_solved": "Syukurlah, senang bisa membantu! Kalau berkenan, beri nilai bantuan ini (1-5)?",
    "already_rated": "Anda sudah memberi nilai untuk ini. Terima kasih!",
    "chosen_rating": "Nilai Anda: {stars}",
    "thanks_rating": "Terima kasih atas masukan Anda!",
    "no_answer": "Mohon maaf, saya belum punya jawaban yang pasti untuk itu, jadi saya akan melibatkan spesialis.",
    "triage_intro": "Mohon maaf atas kendalanya. Beberapa pertanyaan singkat agar spesialis bisa membantu lebih cepat:",
    "triage_problem": "Mohon jelaskan masalahnya dalam satu atau dua kalimat.",
    "triage_device": "Perangkat atau aplikasi apa yang bermasalah (mis. laptop, HP, Outlook, VPN)?",
    "triage_since": "Sejak kapan masalah ini terjadi?",
    "triage_error": "Apakah ada pesan error? Mohon ketik teksnya persis (atau tekan Lewati).",
    "triage_affected": "Apakah hanya Anda, atau rekan lain juga mengalaminya?",
    "btn_skip": "Lewati",
    "no_subject": "(tanpa keterangan)",
    "ticket_opened": (
        "Terima kasih. Saya sudah membuat tiket {number} dan meneruskannya ke spesialis IT kami. "
        "Perkiraan respons pertama: {expected}. Pesan dari mereka akan saya sampaikan di sini, dan apa pun "
        "yang Anda tulis di sini akan saya teruskan. Gunakan /status untuk cek, /cancel untuk membatalkan."
    ),
    "duration": _duration,
    "security_intro": (
        "Ini terdengar seperti insiden keamanan, jadi saya langsung memberi tahu spesialis kami sebagai URGENT. "
        "Mohon lakukan ini sekarang:"
    ),
    "first_aid_phishing": (
        "1. Jangan klik tautan atau membuka lampiran di pesan itu.\n"
        "2. Jangan membalas atau memasukkan password apa pun.\n"
        "3. Jika Anda sudah memasukkan password, segera ganti dari perangkat lain.\n"
        "4. Simpan pesannya; spesialis mungkin meminta Anda meneruskannya."
    ),
    "first_aid_malware": (
        "1. Putuskan perangkat dari jaringan (matikan Wi-Fi, cabut kabel).\n"
        "2. Jangan matikan perangkat dan jangan mencoba membersihkannya sendiri.\n"
        "3. Jangan colokkan flashdisk atau membuka file lain.\n"
        "4. Tunggu arahan dari spesialis."
    ),
    "first_aid_compromised": (
        "1. Segera ganti password dari perangkat yang Anda percaya.\n"
        "2. Keluar (sign out) dari semua sesi jika bisa.\n"
        "3. Periksa aturan penerusan e-mail dan e-mail terkirim terakhir.\n"
        "4. Ceritakan ke spesialis apa yang Anda lihat dan kapan."
    ),
    "first_aid_lost_device": (
        "1. Beri tahu kami di mana dan kapan terakhir perangkat ada pada Anda.\n"
        "2. Ganti password akun yang login di perangkat itu.\n"
        "3. Jika dicuri, laporkan ke bagian keamanan atau polisi.\n"
        "4. Spesialis dapat mengunci atau menghapus data perangkat dari jarak jauh."
    ),
    "first_aid_security": "1. Berhenti memakai akun atau perangkat yang terdampak.\n2. Tunggu arahan dari spesialis.",
    "relay_from_specialist": "{name} (IT, {number}): {text}",
    "user_claimed": "{name} dari tim IT sekarang menangani tiket {number} Anda.",
    "resolved_summary": "\nRingkasan: {summary}",
    "user_resolved": (
        "{name} menandai tiket {number} Anda sebagai selesai.{summary}\n"
        "Seberapa puas Anda dengan bantuannya (1 = buruk, 5 = sangat baik)? Jika masalahnya belum beres, "
        "tekan \"Masih bermasalah\"."
    ),
    "btn_reopen": "Masih bermasalah",
    "chosen_reopen": "Anda memilih: masih bermasalah.",
    "reopened": "Tiket {number} saya buka kembali dan spesialis sudah diberi tahu. Mohon jelaskan apa yang masih bermasalah.",
    "card_title": "Tiket {number} [{priority}] {category}",
    "card_from": "Dari: {name} ({who})",
    "card_status": "Status: {status} - penanggung jawab: {owner}",
    "card_nobody": "belum ada",
    "card_sla_breached": "SLA TERLEWATI",
    "card_question": "Masalah: {question}",
    "card_triage": "Triase:",
    "triage_label_device": "Perangkat/aplikasi",
    "triage_label_since": "Sejak",
    "triage_label_error": "Error",
    "triage_label_affected": "Terdampak",
    "triage_label_problem": "Masalah",
    "card_candidates": "Entri FAQ yang dipertimbangkan: {candidates}",
    "card_bot_answered": "Asisten sudah menjawab dengan FAQ {entry} v{version}; pengguna masih butuh bantuan.",
    "card_transcript": "Percakapan sejauh ini:",
    "card_attachments": "Lampiran: {count}",
    "btn_claim": "Ambil",
    "btn_resolve": "Selesaikan",
    "btn_priority": "Prioritas",
    "priority_low": "Rendah",
    "priority_normal": "Normal",
    "priority_high": "Tinggi",
    "priority_urgent": "Mendesak",
    "desk_help": (
        "Balas di thread tiket untuk menjawab pengguna. Awali dengan {prefix} (atau /note) untuk catatan internal.\n"
        "/claim, /resolve [ringkasan], /priority low|normal|high|urgent, /tickets. "
        "Di luar thread, sertakan nomornya: /claim 12, /reply 12 teks."
    ),
    "desk_not_specialist": "Maaf, hanya spesialis IT yang dapat melakukan itu di sini. Tidak ada yang diubah.",
    "desk_which_ticket": "Tiket yang mana? Balas di thread-nya, atau sertakan nomornya, mis. /claim 12.",
    "desk_unknown_command": "Perintah desk /{command} tidak dikenal. Coba /help.",
    "desk_no_such_ticket": "Tiket itu tidak ada.",
    "desk_pick_priority": "Atur prioritas {number}:",
    "desk_priority_set": "Prioritas {number} diubah menjadi {priority}.",
    "desk_priority_usage": "Cara pakai: /priority {levels}",
    "desk_ticket_closed": "Tiket {number} sudah ditutup.",
    "desk_already_yours": "{number} sudah Anda pegang.",
    "desk_claimed": "{name} mengambil {number}.",
    "desk_resolved": "{number} diselesaikan oleh {name}. Pengguna diminta memberi nilai.",
    "desk_cancelled": "Pengguna membatalkan {number}.",
    "desk_reopened": "Pengguna menyatakan {number} masih bermasalah: dibuka kembali.",
    "desk_rated": "Pengguna memberi nilai {number}: {score}/5.",
    "desk_from_user": "{name}: {text}",
    "desk_delivered": "Terkirim ke pengguna ({number}).",
    "desk_relay_failed": "Balasan ini tidak dapat dikirim ke pengguna ({number}): {reason}",
    "desk_no_open": "Tidak ada tiket terbuka.",
    "desk_open_header": "{count} tiket terbuka:",
    "desk_open_line": "{number} [{priority}] {status} - {owner} - {subject}",
}
