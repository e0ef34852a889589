"""Teks Bahasa Indonesia. Kuncinya harus sama dengan ``en.py`` (diperiksa oleh tes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime


def _duration(hours: int, minutes: int, due: str = "", **_: object) -> str:
    parts = []
    days, hours = divmod(hours, 24) if hours >= 24 else (0, hours)
    if days:
        parts.append(f"{days} hari")
    if hours:
        parts.append(f"{hours} jam")
    if (minutes or not (days or hours)) and not days:
        parts.append(f"{minutes} menit")
    return "sekitar " + " ".join(parts) + (f" (paling lambat {due})" if due else "")


_WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def _date_short(day: date, **_: object) -> str:
    return f"{_WEEKDAYS[day.weekday()][:3]} {day.day} {_MONTHS_SHORT[day.month - 1]}"


def _date_long(day: date, **_: object) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _month_year(day: date, **_: object) -> str:
    return f"{_MONTHS[day.month - 1]} {day.year}"


def _due_time(at: datetime, today: date, **_: object) -> str:
    clock = at.strftime("%H.%M")
    days = (at.date() - today).days
    if days == 0:
        return f"hari ini pukul {clock}"
    if days == 1:
        return f"besok pukul {clock}"
    if 1 < days < 7:
        return f"hari {_WEEKDAYS[at.weekday()]} pukul {clock}"
    return f"{_date_short(at.date())} pukul {clock}"


def _minutes(minutes: float, **_: object) -> str:
    total = round(minutes)
    if total < 60:
        return f"{total} mnt"
    hours, mins = divmod(total, 60)
    return f"{hours} j {mins} mnt" if mins and hours < 10 else f"{hours} jam"


TEXTS: dict[str, str | Callable[..., str]] = {
    "greeting": (
        "Halo {name}! Saya asisten helpdesk IT. Ceritakan masalah Anda dengan kata-kata sendiri "
        "(Bahasa Indonesia atau English), saya carikan langkahnya atau saya hubungkan dengan spesialis.\n"
        "Perintah: {c}help, {c}ticket (bicara dengan petugas), {c}status (tiket Anda), {c}cancel, {c}lang id|en"
    ),
    "greeting_short": "Halo {name}, saya asisten helpdesk IT. Saya bantu cek ya.",
    "help": (
        'Cukup jelaskan masalahnya, misalnya "lupa password email" atau "wifi sering putus".\n'
        "{c}ticket - langsung bicara dengan petugas\n"
        "{c}status - lihat tiket Anda yang masih terbuka\n"
        "{c}cancel - batalkan proses yang sedang berjalan\n"
        "{c}lang id atau {c}lang en - ganti bahasa\n"
        "{c}mydata - lihat data apa saja yang tersimpan tentang Anda\n"
        "{c}forget - hapus data Anda (dengan konfirmasi)"
    ),
    "unknown_command": "Maaf, saya tidak mengenal perintah {c}{command}. Ketik {c}help untuk melihat yang bisa saya bantu.",
    "lang_usage": "Silakan pilih bahasa: {c}lang id atau {c}lang en",
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
    "mydata_header": "Data yang disimpan helpdesk ini tentang Anda:",
    "mydata_profile": "Profil: nama {name}, id {platform} {user_id}, bahasa {language}, kontak pertama {since}",
    "mydata_tickets": "Tiket: {count}",
    "mydata_ticket_line": "- {number} {subject} ({status}, dibuat {created}, nilai Anda {rating})",
    "mydata_messages": "Pesan Anda: {count} tersimpan (password dan nomor identitas sudah dihapus); {shown} terakhir:",
    "mydata_footer": "Untuk menghapus semuanya, gunakan {c}forget. Administrator dapat memberikan ekspor lengkap sebagai file.",
    "forget_confirm": (
        "Ini akan menghapus nama Anda, pesan Anda, dan isi tiket Anda; tiket yang masih ditangani spesialis "
        "akan ditutup. Jumlah anonim (berapa tiket, jenis apa) tetap disimpan untuk laporan. "
        "Tindakan ini tidak bisa dibatalkan. Hapus data Anda?"
    ),
    "btn_forget_yes": "Ya, hapus data saya",
    "btn_forget_no": "Tidak, simpan saja",
    "forget_done": "Selesai: data Anda sudah dihapus ({messages} pesan, {tickets} tiket dianonimkan).",
    "forget_kept": "Baik, tidak ada yang dihapus.",
    "nothing_to_cancel": "Tidak ada yang perlu dibatalkan. Ada yang bisa saya bantu?",
    "cancelled": "Baik, sudah dibatalkan. Silakan hubungi saya lagi kapan saja.",
    "cancelled_ticket": "Baik, tiket {number} sudah saya tutup. Kalau masalahnya muncul lagi, kabari saya saja.",
    "secret_removed": (
        "Demi keamanan, saya menghapus sesuatu yang tampak seperti password atau data rahasia dari pesan Anda. "
        "Mohon jangan pernah mengirim password lewat chat; tim IT tidak akan memintanya."
    ),
    "personal_data_removed": (
        "Demi privasi Anda, saya menghapus sesuatu yang tampak seperti nomor kartu, NIK, NPWP, atau rekening: "
        "spesialis hanya melihat penggantinya. Mohon jangan mengirim nomor seperti itu lewat chat."
    ),
    "flood_notice": (
        "Anda mengirim banyak pesan sekaligus, jadi saya jeda beberapa detik. Tidak ada yang hilang: "
        "semuanya sudah saya simpan, dan tercatat di riwayat tiket Anda jika ada tiket yang terbuka."
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
    "describe_problem": (
        "Saya siap membantu! Boleh ceritakan masalahnya dalam satu kalimat, misalnya "
        '"Outlook di laptop saya tidak bisa dibuka sejak pagi"?'
    ),
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
        "yang Anda tulis di sini akan saya teruskan. Gunakan {c}status untuk cek, {c}cancel untuk membatalkan."
    ),
    "ticket_opened_urgent": (
        "Saya sudah membuat tiket {number} sebagai URGENT dan spesialis sedang diberi tahu sekarang. "
        "Perkiraan respons pertama: {expected}, siang maupun malam. Pesan dari mereka akan saya sampaikan "
        "di sini, dan apa pun yang Anda tulis di sini akan saya teruskan. Gunakan {c}status untuk cek."
    ),
    "duration": _duration,
    "security_intro": (
        "Ini terdengar seperti insiden keamanan, jadi saya langsung memberi tahu spesialis kami sebagai URGENT. "
        "Mohon lakukan ini sekarang:"
    ),
    "incident_raised": (
        "Ini terdengar seperti insiden keamanan, jadi tiket {number} saya tandai URGENT dan spesialis "
        "sedang diberi tahu sekarang (perkiraan respons pertama: {expected}). Mohon lakukan ini sekarang:"
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
        'tekan "Masih bermasalah".'
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
    "triage_label_incident": "Insiden yang dilaporkan",
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
    "desk_incident_raised": "🚨 {number} sekarang URGENT: pengguna melaporkan insiden keamanan ({kind}). Mohon segera ditangani.",
    "desk_forgotten": "{number} ditutup: pengguna meminta datanya dihapus (teks dan nama sudah dihapus).",
    "desk_flood_notice": (
        "{name}, pesannya banyak sekali sekaligus: yang melewati batas tersimpan di riwayat tiket "
        "tetapi tidak diteruskan. Mohon tunggu beberapa detik."
    ),
    "desk_held_messages": "({count} pesan sebelumnya tertahan saat pesan beruntun:)\n{lines}",
    "desk_cancelled": "Pengguna membatalkan {number}.",
    "desk_reopened": "Pengguna menyatakan {number} masih bermasalah: dibuka kembali.",
    "desk_rated": "Pengguna memberi nilai {number}: {score}/5.",
    "desk_from_user": "{name}: {text}",
    "desk_delivered": "Terkirim ke pengguna ({number}).",
    "desk_delivery_outage": (
        "⚠️ Pesan ke {platform} belum terkirim selama {minutes} menit ({reason}). "
        "{waiting} pesan menunggu; pesan dicoba ulang otomatis dan dikirim berurutan begitu "
        "{platform} dapat dihubungi lagi. Tidak ada yang hilang."
    ),
    "desk_delivery_recovered": (
        "✅ {platform} dapat dihubungi lagi setelah {minutes} menit. {waiting} pesan yang menunggu sedang dikirim sekarang, berurutan."
    ),
    "desk_relay_as_template": "Tiket {number}: pengguna belum menulis di {platform} selama 24 jam, jadi balasan ini tidak dapat dikirim apa adanya. Pengguna menerima pesan templat resmi “{template}” sebagai gantinya; jawaban mereka akan masuk ke sini.",
    "desk_relay_read": "Sudah dibaca pengguna ({number}).",
    "desk_user_message_failed": "Sebuah pesan ke pengguna tidak dapat dikirim ({number}): {reason}",
    "wa_list_button": "Pilih · Choose",
    "desk_relay_failed": "Balasan ini tidak dapat dikirim ke pengguna ({number}): {reason}",
    "desk_no_open": "Tidak ada tiket terbuka.",
    "desk_open_header": "{count} tiket terbuka:",
    "desk_open_line": "{number} [{priority}] {status} - {owner} - {subject}",
    # menu perintah Telegram (deskripsi singkat yang ditampilkan aplikasi di samping perintah)
    "cmd_start": "Mulai dan lihat apa yang bisa saya bantu",
    "cmd_help": "Cara meminta bantuan",
    "cmd_ticket": "Bicara dengan petugas",
    "cmd_status": "Tiket Anda yang masih terbuka",
    "cmd_cancel": "Batalkan proses yang sedang berjalan",
    "cmd_lang": "Ganti bahasa: /lang id atau /lang en",
    "cmd_mydata": "Lihat data yang tersimpan tentang Anda",
    "cmd_forget": "Hapus data Anda (dengan konfirmasi)",
    "cmd_desk_claim": "Ambil tiket di utas ini",
    "cmd_desk_resolve": "Selesaikan: /resolve ringkasan",
    "cmd_desk_priority": "Atur prioritas: low, normal, high, urgent",
    "cmd_desk_note": "Catatan internal (tidak dikirim ke pengguna)",
    "cmd_desk_reply": "Jawab tiket dengan nomor: /reply 12 teks",
    "cmd_desk_tickets": "Daftar tiket terbuka",
    "cmd_desk_help": "Perintah desk",
    # --- laporan, pengingat SLA, dan tindak lanjut ---------------------------------------------
    "date_short": _date_short,
    "category_account": "Akun",
    "category_network": "Jaringan",
    "category_email": "Email",
    "category_hardware": "Perangkat keras",
    "category_software": "Perangkat lunak",
    "category_printing": "Printer",
    "category_security": "Keamanan",
    "category_access": "Akses",
    "category_other": "Lainnya",
    "date_long": _date_long,
    "month_year": _month_year,
    "due_time": _due_time,
    "minutes": _minutes,
    "report_title_day": "Rekap helpdesk {day}",
    "report_title_week": "Rekap helpdesk mingguan, {first} - {last}",
    "report_title_month": "Rekap helpdesk, {month}",
    "report_title_range": "Rekap helpdesk, {first} - {last}",
    "report_empty": "Tidak ada tiket yang dibuka pada periode ini.",
    "report_tickets": "Tiket: {total} ({channels})",
    "report_faq_line": (
        "Selesai lewat FAQ (dikonfirmasi): {count} ({rate}); tanpa tanggapan: {silent}; batal: {abandoned}"
    ),
    "report_pending_line": "Sudah dijawab, masih menunggu tanggapan: {count}",
    "report_escalated_line": (
        "Diteruskan ke spesialis: {count} ({rate}): selesai {resolved}, masih terbuka {open}, ditutup {closed}"
    ),
    "report_reopened_line": "Dibuka kembali dalam {days} hari: {count}",
    "report_first_response_line": "Respons pertama: median {median}, 90% dalam {p90} (jam kerja)",
    "report_resolution_line": "Penyelesaian: median {median}, 90% dalam {p90} (jam kerja)",
    "report_sla_line": "Pelanggaran SLA: {count} (respons pertama {first}, penyelesaian {resolution})",
    "report_csat_line": "Kepuasan: {average}/5 dari {count} penilaian",
    "report_csat_none": "Kepuasan: belum ada penilaian",
    "report_top_faq_line": "Jawaban FAQ teratas: {items}",
    "report_gaps_line": "Tidak terjawab oleh bot: {items}",
    "report_workload_line": "Spesialis: {items}",
    "report_workload_item": "{name} {resolved} selesai",
    "report_open_now_line": "Masih terbuka saat ini (semua periode): {count}",
    "report_chart_caption": "Grafik: {title}",
    "report_none": "-",
    "report_generated": "Dibuat {when} ({timezone}); tiket yang dibuka pada periode ini, hasil per saat ini.",
    "outcome_self_service": "Selesai lewat FAQ",
    "outcome_silent": "Tanpa tanggapan",
    "outcome_pending_feedback": "Menunggu tanggapan",
    "outcome_abandoned": "Batal",
    "outcome_resolved": "Diselesaikan spesialis",
    "outcome_open": "Masih terbuka",
    "outcome_closed": "Ditutup tanpa solusi",
    "report_chart_daily": "Tiket per hari menurut hasil",
    "report_chart_weekly": "Tiket per minggu menurut hasil",
    "report_chart_categories": "Tiket menurut kategori",
    "report_axis_tickets": "Tiket",
    "report_axis_day": "Hari dibuka",
    "report_axis_week": "Minggu mulai",
    "report_section_volume": "Tiket yang dibuka",
    "report_section_outcomes": "Hasil akhir",
    "report_section_times": "Waktu respons dan penyelesaian (jam kerja)",
    "report_section_sla": "SLA",
    "report_section_csat": "Kepuasan",
    "report_section_faq": "Jawaban FAQ yang diberikan",
    "report_section_versions": "Jawaban FAQ per versi",
    "report_section_gaps": "Pertanyaan yang tidak bisa dijawab bot (celah FAQ)",
    "report_section_workload": "Spesialis",
    "report_by_channel": "Menurut kanal",
    "report_by_category": "Menurut kategori",
    "report_by_priority": "Yang diteruskan, menurut prioritas",
    "report_col_name": "Nama",
    "report_col_count": "Jumlah",
    "report_col_share": "Porsi",
    "report_col_measure": "Ukuran",
    "report_col_median": "Median",
    "report_col_p90": "90%",
    "report_col_entry": "Entri FAQ",
    "report_col_version": "Versi",
    "report_col_served": "Diberikan",
    "report_col_helpful": "Membantu",
    "report_col_not_helpful": "Tidak membantu",
    "report_col_asked_human": "Minta petugas",
    "report_col_silent": "Tanpa tanggapan",
    "report_col_ratio": "Rasio membantu",
    "report_col_question": "Pertanyaan (contoh)",
    "report_col_asked": "Ditanyakan",
    "report_col_tickets": "Tiket",
    "report_col_specialist": "Spesialis",
    "report_col_claimed": "Diambil",
    "report_col_resolved": "Diselesaikan",
    "report_col_first_response": "Median respons pertama",
    "report_col_score": "Nilai",
    "report_first_response": "Respons pertama",
    "report_resolution": "Penyelesaian",
    "report_escalation_rate": "Tingkat eskalasi",
    "report_self_service_rate": "Tingkat swalayan",
    "report_reopened": "Dibuka kembali dalam {days} hari",
    "report_breaches_first": "Target respons pertama terlewat",
    "report_breaches_resolution": "Target penyelesaian terlewat",
    "report_breaches_total": "Tiket dengan pelanggaran",
    "report_csat_average": "Rata-rata {average}/5 dari {count} penilaian",
    "report_usage": (
        "Cara pakai: /report day, /report week atau /report month (periode lengkap terakhir); "
        'tambahkan "now" untuk periode yang sedang berjalan, mis. /report week now.'
    ),
    "report_refused": "Maaf, hanya admin helpdesk yang dapat melihat laporan. Tidak ada yang diubah.",
    "sla_reminder_unclaimed": (
        "Pengingat: {number} [{priority}] belum diambil; respons pertama jatuh tempo {due}.\n{subject}"
    ),
    "sla_urgent_ping": (
        "URGENT {number} belum diambil, sudah menunggu {waited}. Mohon segera diambil.\n{subject}"
    ),
    "sla_breached_first_response": "SLA terlewat: {number} belum mendapat respons pertama sampai {due}.",
    "sla_breached_resolution": "SLA terlewat: {number} belum selesai sampai {due}.",
    "followup_user_reminder": (
        "Halo! Spesialis kami menunggu balasan Anda untuk tiket {number} ({subject}). Cukup balas di sini. "
        "Jika tidak ada kabar, tiket akan ditutup dalam {days} hari kerja."
    ),
    "followup_desk_reminder": "Pengguna sudah diingatkan: {number} menunggu balasan mereka.",
    "followup_user_closed": (
        "Tiket {number} ({subject}) saya tutup karena kami belum menerima balasan. Jika masalahnya masih ada, "
        "cukup balas di sini dan akan saya buka kembali."
    ),
    "followup_desk_closed": "{number} ditutup otomatis: tidak ada balasan dari pengguna.",
    "reopened_by_reply": "Tiket {number} saya buka kembali dan pesan Anda sudah saya teruskan ke spesialis.",
    "desk_reopened_by_reply": "Pengguna membalas {number} yang ditutup otomatis: dibuka kembali.",
    "rating_reminder": (
        "Bagaimana bantuan kami untuk tiket {number} ({subject})? Mohon beri nilai dari 1 (buruk) "
        "sampai 5 (sangat baik)."
    ),
    # --- FAQ editing from chat and drafts from specialists (bot/faq_admin/commands.py, bot/faq_admin/diff.py) ---
    "faq_help": (
        "Mengedit FAQ (admin). LANG adalah id atau en.\n"
        "/faq show ID - lihat satu entri\n"
        "/faq list [kategori] - entri per kategori\n"
        "/faq search TEKS - apa yang akan dijawab bot\n"
        "/faq add [ID] - entri baru, langkah demi langkah (chat pribadi)\n"
        "/faq addq ID LANG pertanyaan - tambah pertanyaan\n"
        "/faq delq ID LANG pertanyaan-atau-nomor - hapus pertanyaan\n"
        "/faq answer ID LANG [jawaban baru] - ganti jawaban\n"
        "/faq delete ID - hapus (dengan konfirmasi)\n"
        "/faq history ID - versi dan perubahannya\n"
        "/faq rollback ID VERSI - kembalikan versi lama\n"
        "/faq drafts - entri usulan spesialis\n"
        "/faq draft N [kolom nilai], /faq approve N [ID] [kategori], /faq reject N [alasan]\n"
        "/faq cancel - hentikan pengeditan langkah demi langkah\n"
        "Spesialis: /faq propose [tiket] pada tiket yang sudah selesai."
    ),
    "faq_unknown_subcommand": "Saya tidak mengenal /faq {sub}.",
    "faq_usage": "Cara pakai: {usage}",
    "faq_usage_show": "/faq show ID, mis. /faq show vpn-setup",
    "faq_usage_search": "/faq search TEKS, mis. /faq search vpn putus terus",
    "faq_usage_addq": "/faq addq ID LANG pertanyaan, mis. /faq addq vpn-setup id vpn tidak bisa konek",
    "faq_usage_delq": "/faq delq ID LANG pertanyaan-atau-nomor, mis. /faq delq vpn-setup id 3",
    "faq_usage_answer": "/faq answer ID LANG [jawaban baru], mis. /faq answer vpn-setup id",
    "faq_usage_delete": "/faq delete ID",
    "faq_usage_history": "/faq history ID",
    "faq_usage_rollback": "/faq rollback ID VERSI, mis. /faq rollback vpn-setup 2",
    "faq_usage_draft": "/faq draft N, atau /faq draft N question|answer|id|category|lang NILAI BARU",
    "faq_usage_approve": "/faq approve N [ID atau -] [kategori], mis. /faq approve 3 vpn-putus network",
    "faq_usage_reject": "/faq reject N [alasan]",
    "faq_not_admin": (
        "Maaf, hanya admin FAQ yang dapat mengubah FAQ. Tidak ada yang diubah. "
        "Spesialis dapat mengusulkan tiket yang sudah selesai dengan /faq propose."
    ),
    "faq_not_specialist": "Maaf, hanya spesialis IT yang dapat mengusulkan entri FAQ. Tidak ada yang diubah.",
    "faq_unknown_entry": 'Tidak ada entri FAQ "{id}".{hint}',
    "faq_did_you_mean": " Maksud Anda {id}?",
    "faq_bad_id": (
        '"{value}" tidak bisa dipakai sebagai id: gunakan huruf kecil dan angka yang disambung '
        "tanda hubung, "
        "mis. vpn-setup (paling banyak {limit} karakter)."
    ),
    "faq_id_taken": "Sudah ada entri {id}. Pilih id lain (lihat entrinya dengan /faq show {id}).",
    "faq_bad_lang": '"{value}" bukan bahasa yang saya kenal. Gunakan salah satu: {langs}.',
    "faq_bad_category": '"{value}" bukan kategori. Pilih salah satu: {categories}.',
    "faq_empty_phrasing": "Pertanyaan tidak boleh kosong.",
    "faq_phrasing_too_long": "Pertanyaan itu {length} karakter; batasnya {limit}.",
    "faq_too_many_phrasings": "Terlalu banyak pertanyaan untuk satu bahasa; batasnya {limit}.",
    "faq_empty_answer": "Jawaban tidak boleh kosong.",
    "faq_answer_too_long": "Jawaban itu {length} karakter; batasnya {limit}.",
    "faq_warn_clash": (
        'Catatan: "{text}" juga pertanyaan di {other}; pengguna bisa mendapat salah satunya. '
        "Periksa dengan /faq search."
    ),
    "faq_saved": "{id} tersimpan sebagai versi {version}. Pengguna langsung mendapatkannya.",
    "faq_unchanged": "Tidak ada yang diubah: {id} v{version} sudah berisi itu.",
    "faq_rolled_back": "{id} kembali ke isi versi {target} (disimpan sebagai versi {version}).",
    "faq_show_head": "{id} · {category} · v{version}",
    "faq_show_questions": "Pertanyaan ({code}):",
    "faq_show_answer": "Jawaban ({code}):",
    "faq_show_triage": "Pertanyaan tambahan sebelum eskalasi ({code}):",
    "faq_show_tags": "Tag: {tags}",
    "faq_show_security": "Entri keamanan: pengguna langsung diteruskan ke spesialis.",
    "faq_show_changed": "Perubahan terakhir: {when}, {author}",
    "faq_list_counts": "{count} entri FAQ. Pilih kategori:",
    "faq_list_head": "{category}: {count} entri",
    "faq_list_more": "... dan {count} lagi.",
    "faq_list_footer": "Lihat satu entri dengan /faq show ID.",
    "faq_list_empty": "Tidak ada entri di {category}.",
    "faq_search_answer": "Bot akan menjawab dengan entri pertama:",
    "faq_search_clarify": "Bot akan meminta pengguna memilih di antara:",
    "faq_search_escalate": "Bot akan meneruskan ini ke spesialis.",
    "faq_search_none": "Tidak ada entri yang cukup dekat.",
    "faq_addq_exists": "{id} sudah punya pertanyaan itu dalam {code}.",
    "faq_delq_not_found": "{id} tidak punya pertanyaan itu dalam {code}. Pertanyaan {code}-nya:\n{questions}",
    "faq_delq_last": (
        "Itu pertanyaan {code} terakhir dari {id}; jawaban perlu minimal satu pertanyaan. "
        "Tambahkan pertanyaan lain dulu, atau hapus entrinya."
    ),
    "faq_answer_current": "Jawaban {code} {id} saat ini:",
    "faq_answer_ask": (
        "Kirim jawaban {code} yang baru dalam satu pesan (langkah bernomor paling jelas), atau /faq cancel."
    ),
    "faq_answer_inline_hint": (
        "Di sini, tulis jawaban baru dalam pesan yang sama: /faq answer {id} {code} 1. Langkah pertama ... "
        "Cara langkah demi langkah tersedia di chat pribadi dengan saya."
    ),
    "faq_new_lang_private": (
        "{id} belum punya teks {code}. Tambahkan terjemahannya langkah demi langkah di chat pribadi "
        "dengan saya: "
        "/faq answer {id} {code}"
    ),
    "faq_new_lang_ask_answer": "Itu pertanyaan {code} pertama untuk {id}. Sekarang kirim jawaban {code}-nya.",
    "faq_new_lang_ask_questions": (
        "Sekarang kirim pertanyaan yang biasa ditanyakan dalam {code}, satu per pesan (atau satu per baris). "
        "Tekan Selesai jika sudah."
    ),
    "faq_new_lang_need_question": "Kirim minimal satu pertanyaan {code} dulu.",
    "faq_delete_confirm": (
        'Hapus {id} ("{title}", v{version})? Pengguna tidak akan mendapat jawaban ini lagi. '
        "Riwayatnya tetap disimpan: /faq rollback mengembalikannya."
    ),
    "faq_deleted": "{id} dihapus. Untuk mengembalikannya: /faq rollback {id} {version}",
    "faq_history_head": "Riwayat {id} ({count} versi, terbaru dulu):",
    "faq_history_line": "v{version} · {when} · {author} · {note}",
    "faq_history_more": "... dan {count} versi lebih lama (riwayat lengkap: helpdesk kb history di server).",
    "faq_history_footer": "Kembalikan salah satunya dengan /faq rollback {id} VERSI.",
    "faq_no_version": "{id} tidak punya versi {version}; versinya {first} sampai {last}.",
    "faq_rollback_deleted": "Versi {version} dari {id} adalah penghapusannya; pilih versi sebelumnya.",
    "faq_cancelled": "Dibatalkan. Tidak ada yang disimpan.",
    "faq_nothing_to_cancel": "Tidak ada pengeditan FAQ yang bisa dibatalkan.",
    "faq_nothing_changed": "Baik, tidak ada yang diubah.",
    "faq_button_expired": "Tombol itu sudah tidak berlaku. Mulai lagi dengan /faq.",
    "faq_dialogue_private": (
        "Saya menanyakan detailnya langkah demi langkah, jadi mari lakukan ini di chat pribadi dengan saya: "
        "kirim perintah yang sama di sana."
    ),
    "faq_busy": "Anda sedang dalam percakapan tiket. Selesaikan (atau /cancel) dulu, lalu coba lagi.",
    "faq_dialogue_expired": (
        "Pengeditan FAQ Anda kedaluwarsa; tidak ada yang disimpan. Berikut jawaban untuk pesan Anda:"
    ),
    "faq_send_text": "Mohon kirim teks (atau /faq cancel).",
    "faq_category_chosen": "Kategori: {category}",
    "faq_step_chosen": "{choice}",
    "faq_lang_id": "Bahasa Indonesia",
    "faq_lang_en": "Bahasa Inggris",
    "faq_btn_done": "Selesai",
    "faq_btn_skip": "Lewati bahasa ini",
    "faq_btn_save": "Simpan",
    "faq_btn_cancel": "Batal",
    "faq_btn_delete": "Hapus",
    "faq_btn_keep": "Jangan hapus",
    "faq_btn_approve": "Setujui",
    "faq_btn_edit": "Ubah",
    "faq_btn_reject": "Tolak",
    "faq_btn_create": "Buat entri",
    "faq_add_ask_id": (
        "Entri FAQ baru. Langkah 1/4: kirim id-nya, kata huruf kecil yang disambung tanda hubung, "
        "mis. vpn-lambat. (/faq cancel untuk berhenti kapan saja.)"
    ),
    "faq_add_ask_category": "Langkah 2/4: pilih kategori untuk {id}.",
    "faq_add_ask_questions": (
        "Langkah 3/4: kirim pertanyaan yang biasa ditanyakan dalam {lang_name} ({code}), satu per pesan "
        "atau satu per baris. Tekan Selesai jika sudah, atau lewati bahasa ini."
    ),
    "faq_add_ask_questions_more": (
        "Sekarang pertanyaan dalam {lang_name} ({code}), satu per pesan atau satu per baris. "
        "Tekan Selesai jika sudah, atau lewati: satu bahasa sudah cukup."
    ),
    "faq_add_got_questions": "Oke: {count} pertanyaan {code}. Kirim lagi, atau tekan Selesai.",
    "faq_add_ask_answer": (
        "Sekarang kirim jawaban {code} dalam satu pesan. Langkah bernomor (1. 2. 3.) paling jelas."
    ),
    "faq_add_need_language": "Sebuah entri perlu pertanyaan dan jawaban dalam minimal satu bahasa.",
    "faq_add_preview": "Langkah 4/4: periksa entrinya, lalu tekan Simpan.",
    "faq_add_press_save": "Tekan Simpan untuk menyimpan entri, atau Batal.",
    "faq_add_saved": "{id} tersimpan (versi {version}). Pengguna langsung mendapatkannya.",
    "faq_propose_which": (
        "Tiket yang mana? Gunakan /faq propose di thread tiketnya, atau sertakan nomornya: /faq propose 12. "
        "Anda boleh menambahkan jawaban yang dipakai setelah nomornya."
    ),
    "faq_propose_no_ticket": "Tidak ada tiket #{number}.",
    "faq_propose_not_resolved": "{number} belum selesai. Usulkan setelah tiketnya selesai.",
    "faq_propose_exists": "{ticket} sudah diusulkan sebagai draf {number}:",
    "faq_propose_no_answer": (
        "Saya tidak menemukan jawaban spesialis di {number}. "
        "Tambahkan sendiri: /faq propose #{id} jawaban Anda"
    ),
    "faq_proposed": "Terima kasih! Draf {number} dari {ticket} sekarang menunggu admin FAQ.",
    "faq_draft_card": (
        "Draf FAQ {number} dari tiket {ticket} (diusulkan oleh {name})\n"
        "Id: {id} · kategori: {category} · bahasa: {code}\n"
        "Pertanyaan: {question}\n"
        "Jawaban:\n{answer}"
    ),
    "faq_draft_card_approved": "Draf FAQ {number} dari tiket {ticket}: disetujui, sekarang {note}.",
    "faq_draft_card_rejected": "Draf FAQ {number} dari tiket {ticket}: ditolak ({note}).",
    "faq_drafts_head": "{count} draf menunggu:",
    "faq_no_drafts": "Tidak ada draf yang menunggu.",
    "faq_no_such_draft": "Tidak ada draf {number}.",
    "faq_draft_status_pending": "menunggu",
    "faq_draft_status_approved": "disetujui",
    "faq_draft_status_rejected": "ditolak",
    "faq_draft_decided": "Draf {number} sudah {status}.",
    "faq_draft_pick_category": "Setujui draf {number}: pilih kategorinya (usulan: {category}).",
    "faq_draft_create_question": "Buat entri {id}? Id lain: /faq approve {number} id-lain",
    "faq_draft_id_taken": (
        "Sudah ada entri {id}. Setujui dengan id lain: /faq approve {number} id-baru, "
        "atau tambahkan pertanyaannya ke {id} dengan /faq addq."
    ),
    "faq_draft_approved": "Draf {number} disetujui oleh {name}: sekarang menjadi entri FAQ {id}.",
    "faq_draft_rejected": "Draf {number} ditolak oleh {name}.",
    "faq_draft_edit_inline": (
        "Ubah di sini dengan /faq draft {number} question|answer|id|category NILAI BARU, "
        "atau tekan Ubah di chat pribadi dengan saya."
    ),
    "faq_draft_edit_which": "Apa yang ingin Anda ubah di draf {number}?",
    "faq_draft_ask_field": "Kirim {field} baru untuk draf {number}.",
    "faq_draft_ask_category": "Pilih kategori untuk draf {number}.",
    "faq_field_question": "Pertanyaan",
    "faq_field_answer": "Jawaban",
    "faq_field_id": "Id",
    "faq_field_category": "Kategori",
    "faqdiff_created": "dibuat",
    "faqdiff_deleted": "dihapus",
    "faqdiff_restored": "dikembalikan",
    "faqdiff_category": "kategori: {old} -> {new}",
    "faqdiff_tags": "tag: {old} -> {new}",
    "faqdiff_security": "entri keamanan: {old} -> {new}",
    "faqdiff_question_added": "+ pertanyaan ({code}): {text}",
    "faqdiff_question_removed": "- pertanyaan ({code}): {text}",
    "faqdiff_triage_added": "+ pertanyaan tambahan ({code}): {text}",
    "faqdiff_triage_removed": "- pertanyaan tambahan ({code}): {text}",
    "faqdiff_answer_added": "+ jawaban ({code}):",
    "faqdiff_answer_removed": "- jawaban ({code}):",
    "faqdiff_answer_changed": "jawaban ({code}) berubah:",
    "faqdiff_none": "tidak ada perubahan isi",
    # --- end of FAQ editing texts ---
}
