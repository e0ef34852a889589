"""Guess whether a chat message is Bahasa Indonesia or English.

Chat messages are short and often mixed ("email ga bisa login"), so this counts marker words of
each language (slang included) and keeps the fallback when the evidence is thin.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zA-Z]+")

_INDONESIAN = frozenset(
    """
    saya sy aku aq gue gw kami kita anda kamu tidak tdk gak ga gk nggak ngga enggak engga bisa bs
    tolong tlg mohon minta bagaimana gimana gmn bgmn kenapa knp kok apa apakah yang yg dan dgn dengan
    untuk utk buat dari ke di pada ini itu ada sudah udah udh sdh belum blm lagi lg mau mo ingin
    lupa kata sandi sandi masuk keluar akun surel printernya laptopnya komputer lemot lambat rusak
    mati nyala hilang dicuri kena terkena virus tertipu bantu bantuan dong nih sih deh ya kah gmana
    caranya cara pakai pake ganti ubah baru lama sejak kemarin tadi pagi siang sore malam terima kasih
    makasih thx selamat halo hai permisi masalah tiba tiba error mulu terus kantor jaringan internet
    sambung tersambung koneksi layar suara kamera rapat file berkas folder akses izin kirim terkirim
    dapat dapet nggk gabisa gbs ngak tak bukan juga atau tapi tetapi karena krn jadi jd harus hrs
    """.split()
)

# English function words and everyday verbs only: technical nouns (password, email, wifi, printer)
# are used as-is in Indonesian chat, so they say nothing about the language.
_ENGLISH = frozenset(
    """
    i my me mine we our you your the a an is are was were be been being not cant can't cannot can could
    would should will how what why when where which who whom do does did dont don't doesnt doesn't didnt
    didn't isnt isn't wont won't please help need want forgot forget reset keeps keep stopped stop broken
    lost stolen hacked working works work connect slow again still any anyone just have has had get got
    getting new old since yesterday today morning thanks thank hello hi hey problem issue it its it's this
    that there here with for from to of on at in into and or but because after before when my all every
    """.split()
)


def detect_language(text: str, fallback: str = "id") -> str:
    """Return ``"id"`` or ``"en"`` for ``text``; ``fallback`` when it cannot tell."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return fallback
    indonesian = sum(1 for w in words if w in _INDONESIAN)
    english = sum(1 for w in words if w in _ENGLISH and w not in _INDONESIAN)
    if indonesian > english:
        return "id"
    if english > indonesian:
        return "en"
    return fallback
