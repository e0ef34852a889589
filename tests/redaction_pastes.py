"""The pastes the redaction is measured on: secrets, personal identifiers, and ordinary questions
that must stay intact. Each paste names the value that must not survive."""

from __future__ import annotations

from stdnum import luhn


def card(prefix: str, length: int = 16) -> str:
    """A Luhn-valid card number with ``prefix`` (test numbers, not anyone's card)."""
    body = prefix + "0" * (length - len(prefix) - 1)
    body = body[: length - 1]
    body = body[: len(prefix)] + "".join(str((i * 7 + 3) % 10) for i in range(length - 1 - len(prefix)))
    return body + luhn.calc_check_digit(body)


def npwp(first8: str, rest: str = "901000") -> str:
    """A valid old-style 15-digit NPWP: eight digits, the Luhn check digit, office and branch."""
    return first8 + luhn.calc_check_digit(first8) + rest


def npwp_formatted(number: str) -> str:
    return f"{number[:2]}.{number[2:5]}.{number[5:8]}.{number[8]}-{number[9:12]}.{number[12:]}"


def spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkJ1ZGkiLCJpYXQiOjE1MTYyMzkwMjJ9"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98vXhQ3Lz\nKq2e9Zr4Y8s3mP1nWc0tJ6fV\n"
    "-----END RSA PRIVATE KEY-----"
)

# (paste, value that must not be kept)
SECRETS: list[tuple[str, str]] = [
    ("my password is Hunter2!", "Hunter2"),
    ("My password is sunflower77 and it stopped working", "sunflower77"),
    ("password saya Abc123! tapi tidak bisa login", "Abc123"),
    ("password saya adalah melati2020", "melati2020"),
    ("Kopi2026 itu password saya", "Kopi2026"),
    ("BudiGanteng99 itu password saya, kenapa ditolak?", "BudiGanteng99"),
    ("passwordnya Sur4baya#1", "Sur4baya#1"),
    ("passwordnya rahasiaku", "rahasiaku"),
    ("pw nya Jakarta2025", "Jakarta2025"),
    ("kata sandi: melati", "melati"),
    ("kata sandi saya: Anggrek!77", "Anggrek!77"),
    ("kata sandinya bintang88", "bintang88"),
    ("the wifi key is KantorJaya88", "KantorJaya88"),
    ("the wifi password is guestaccess2026", "guestaccess2026"),
    ("kunci wifi: lantai3aman", "lantai3aman"),
    ("OTP 482913", "482913"),
    ("kode otp saya 739201, kok gagal", "739201"),
    ("kode 551204 tidak masuk", "551204"),
    ("845120 kode OTP saya", "845120"),
    ("kode verifikasi: 30917", "30917"),
    ("my verification code is 660142", "660142"),
    ("pw: Rahasia123!", "Rahasia123"),
    ("pwd=Qwerty!2345", "Qwerty!2345"),
    ("password=Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("lupa password email sy, pw: Rahasia123!", "Rahasia123"),
    ("pin saya 4821", "4821"),
    ("PIN: 908172", "908172"),
    ("s3cretPass is my password", "s3cretPass"),
    ("hunter22 adalah kata sandi saya", "hunter22"),
    ("password baru Mangga#2026 tidak diterima", "Mangga#2026"),
    ("new password Winter2026! rejected", "Winter2026"),
    (f"token saya {JWT}", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    (f"Authorization: Bearer {JWT}", "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkJ1ZGkiLCJpYXQiOjE1MTYyMzkwMjJ9"),
    ("aws key AKIAIOSFODNN7EXAMPLE bocor", "AKIAIOSFODNN7EXAMPLE"),
    ("slack token xoxb-2048-1111-abcdefABCDEF12345678 kok error", "xoxb-2048-1111-abcdefABCDEF12345678"),
    (
        "github ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ kena revoke?",
        "ghp_1a2B3c4D5e6F7g8H9i0JkLmNoPqRsTuVwXyZ",
    ),
    ("api key sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
    ("koneksi https://budi:Sup3rS3cret@intranet.example.com gagal", "Sup3rS3cret"),
    (f"ini private key saya\n{PRIVATE_KEY}", "MIIEowIBAAKCAQEA7bq98vXhQ3Lz"),
    ("secret: x9Kp2LmQ7vRt4ZsW8nYb3Qa", "x9Kp2LmQ7vRt4ZsW8nYb3Qa"),
    ("client secret 8f7Ah2Kq9LmZ3xR5tV1wY6bN4cD0eG2h gak jalan", "8f7Ah2Kq9LmZ3xR5tV1wY6bN4cD0eG2h"),
    ("telegram bot 110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
    ("passcode 7781", "7781"),
]

PERSONAL: list[tuple[str, str]] = [
    (f"kartu kredit {spaced(card('4111'))}", card("4111")[-4:]),
    (f"card number {card('4532')}", card("4532")),
    (f"no kartu {card('5500')} ditolak", card("5500")),
    (f"visa saya {spaced(card('4916'))} kena blokir", spaced(card("4916"))),
    (f"mastercard {card('5105')}", card("5105")),
    (f"amex {card('3782', 15)}", card("3782", 15)),
    (f"kartu debit {'-'.join(spaced(card('6011')).split())}", card("6011")[4:8]),
    (f"JCB {card('3530')} untuk bayar lisensi", card("3530")),
    (f"please charge {card('2221')}", card("2221")),
    (f"{card('4000')} itu kartu kantor", card("4000")),
    (f"kartu corporate {spaced(card('5425'))} expired", spaced(card("5425"))),
    (f"unionpay {card('6221', 19)}", card("6221", 19)),
    (f"cc {card('4485')}", card("4485")),
    (f"nomor kartu {card('5399')}", card("5399")),
    ("NIK saya 3201012501900001", "3201012501900001"),
    ("nik 3174056408920003 untuk verifikasi akun", "3174056408920003"),
    ("no KTP 3578011203850004", "3578011203850004"),
    ("KTP: 3273016107900005", "3273016107900005"),
    ("ini NIK ku 5171042811880006", "5171042811880006"),
    ("3201012501900001 itu NIK saya", "3201012501900001"),
    ("nomor KTP saya 1271035009950007", "1271035009950007"),
    ("e-KTP 3515184404930008", "3515184404930008"),
    ("data saya: nama Budi, NIK 3173022002870009", "3173022002870009"),
    ("tolong update NIK 6471051510910010 di HRIS", "6471051510910010"),
    ("NIK istri 3204134107940011", "3204134107940011"),
    ("nik: 7371116002960012", "7371116002960012"),
    ("KTP 3374 0125 0190 0013", "3374 0125 0190 0013"),
    ("NIK 3201-0125-0190-0014", "3201-0125-0190-0014"),
    (f"npwp {npwp_formatted(npwp('01234567'))}", npwp_formatted(npwp("01234567"))),
    (f"NPWP saya {npwp('09876543')}", npwp("09876543")),
    (f"npwp: {npwp_formatted(npwp('21345678', '407000'))}", npwp_formatted(npwp("21345678", "407000"))),
    (f"no npwp {npwp('31415926')} untuk faktur", npwp("31415926")),
    (f"{npwp_formatted(npwp('77123456'))} itu npwp kantor", npwp_formatted(npwp("77123456"))),
    (f"NPWP perusahaan {npwp('80234567', '011000')}", npwp("80234567", "011000")),
    ("npwp 16 digit 3201012501900015", "3201012501900015"),
    (f"NPWP baru 0{npwp('01234567')}", "0" + npwp("01234567")),
    ("no rekening 1234567890 untuk reimburse", "1234567890"),
    ("rekening BCA saya 0987654321", "0987654321"),
    ("bank account 123-456-7890", "123-456-7890"),
    ("no. rek: 7001234567", "7001234567"),
    ("acct 5550001112223", "5550001112223"),
    ("tolong transfer ke rek mandiri 1370012345678", "1370012345678"),
]

ORDINARY: list[str] = [
    "lupa password email",
    "password expired",
    "ganti kata sandi",
    "password saya salah terus",
    "my password is expired",
    "my password doesn't work on the new laptop",
    "why does it say my new password doesn't meet the requirements",
    "how do I change my password",
    "passwordnya harus berapa karakter?",
    "kata sandi saya terkunci",
    "reset password outlook gimana",
    "password wifi tamu apa ya",
    "kode error 0x80070005 saat update",
    "error 0x800CCC0E di outlook",
    "windows update KB5034441 gagal",
    "tiket #1234 belum dibalas",
    "ticket 20261206-0042 masih open",
    "printer HP LaserJet M404dn offline",
    "printer Epson L3210 tidak bisa print",
    "Canon imageRUNNER 2625i paper jam",
    "laptop Lenovo ThinkPad T14 Gen 3 mati",
    "Dell Latitude 5420 layar kedip",
    "Laporan_Keuangan_Q3_2026_final_revisi.xlsx tidak bisa dibuka",
    "ip saya 192.168.1.25 tidak dapat internet",
    "vpn server vpn.example.com port 443",
    "hp saya 081234567890, tolong telpon",
    "ext 2231 di lantai 3",
    "meeting room 12B proyektor mati",
    "akses folder \\\\fileserver01\\finance ditolak",
    "OTP tidak masuk ke HP",
    "kode OTP tidak dikirim",
    "PIN printer lupa",
    "token VPN habis",
    "nomor tiket saya berapa?",
    "sudah 3 hari email tidak masuk",
    "sejak 2 Desember 2026 teams error",
    "serial number laptop 5CD1234XYZ",
    "asset tag IT-2026-00451",
    "MFA authenticator pindah HP baru",
    "invoice INV/2026/11/00123 tidak terkirim",
    "office 365 license expired",
    "excel 2019 crash terus",
    "password policy berapa hari sekali ganti?",
    "bagaimana cara membuat password yang kuat",
    "kapan password saya kadaluarsa",
    "error code 1603 saat install",
    "TPM error code 80090016",
    "HTTP status code 5003 dari server",
    "kode error 1603",
    "telpon saya +62 812 3456 7890",
    "windows build 22631.2861 lambat",
]
