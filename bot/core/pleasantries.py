"""Greetings, politeness and fillers in Indonesian and English: the part of a chat message that is
not its problem.

Users open with "halo, selamat pagi pak, mau tanya" and close with "makasih ya"; such words weigh
as much as the problem's own in a lexical score and blur a sentence embedding. The matcher asks
about :func:`topic_of` the message, and the conversation counts :data:`FILLER_WORDS` to tell a
message with nothing to act on ("halo", "pagi pak").

Every function here takes text already normalised (lower case, slang spelled out, no
punctuation: :func:`knowledge_base.normalize.normalize`).
"""

from __future__ import annotations

import re

FILLER_WORDS = frozenset(
    """
    halo hallo helo hai hi hello hey hei pagi siang sore malam selamat good morning afternoon evening
    thanks thank thx makasih terima kasih tolong please pls plz help bantu bantuan test tes testing
    pak bu ibu bapak mas mbak kak bang min admin bot ada yang bisa can you ok oke okay sip ya yes
    no tidak gak nggak iya dong deh nih sih
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
"""Words that are no part of a problem anywhere in a message (``no``, ``tidak`` and ``help`` count:
alone they say nothing to act on)."""

_OPENING = (
    "halo|hallo|helo|hai|hi|hello|hey|hei|dear|assalamualaikum|permisi|punten|"
    "selamat pagi|selamat siang|selamat sore|selamat malam|pagi|siang|sore|malam|"
    "good morning|good afternoon|good evening|morning|"
    "pak|bu|ibu|bapak|mas|mbak|mba|kak|bang|gan|sis|bro|min|team|tim|all|guys|semua|teman teman|"
    "maaf mengganggu|maaf ganggu|maaf|sorry to bother you|sorry to bother|sorry|"
    "saya mau tanya|saya ingin bertanya|mau tanya|ingin bertanya|numpang tanya|izin bertanya|"
    "i have a question|quick question|question|"
    "tolong|please|pls|plz|mohon|mohon bantuannya|ok|oke|okay|ya"
)
"""Ways to open a message, longest first where one starts another. Negations ("gak", "no") and
words that may be the topic ("admin", "test") are not among them."""

_CLOSING = (
    "terima kasih banyak|terima kasih sebelumnya|terima kasih|terimakasih|makasih banyak|makasih|"
    "thank you so much|thank you in advance|thank you|thanks a lot|thanks in advance|thanks|"
    "thx|tq|ty|mksh|"
    "please|pls|plz|ya|dong|nih|deh|sih|lol|ok|oke|"
    "pak|bu|mas|mbak|kak|gan|team|tim|all|guys"
)
"""Ways to close one ("min", for "admin", is left out: at the end it is as often "minutes")."""

_LEADING = re.compile(rf"^(?:(?:{_OPENING})\s+)+")
_TRAILING = re.compile(rf"(?:\s+(?:{_CLOSING}))+$")


def topic_of(normalized: str) -> str:
    """``normalized`` without its opening greetings and closing thanks; the message itself when
    fewer than two words would remain (a bare "halo pak" or "thank you" is left as it is)."""
    kept = _TRAILING.sub("", _LEADING.sub("", normalized.strip() + " ").strip())
    return kept if len(kept.split()) >= 2 else normalized
