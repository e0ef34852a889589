"""Text normalisation for matching chat questions (Bahasa Indonesia, English, slang, typos).

``normalize`` lower-cases, strips accents, turns punctuation into spaces, squeezes stretched
letters ("tolongggg" -> "tolong") and expands common chat abbreviations token by token using
:data:`SLANG` (one table, easy to extend). ``stem`` is a light, conservative affix stripper for
Indonesian and English used for word features only; the normalised text itself keeps whole words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Abbreviation / slang -> canonical form. Keys are single normalised tokens; values may be
# several words. Keep entries lower-case and accent-free.
SLANG: dict[str, str] = {
    # negation
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "g": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "nggk": "tidak",
    "ngak": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "gabisa": "tidak bisa",
    "gbs": "tidak bisa",
    "gbisa": "tidak bisa",
    "gakbisa": "tidak bisa",
    # pronouns
    "sy": "saya",
    "aku": "saya",
    "aq": "saya",
    "gw": "saya",
    "gue": "saya",
    "gua": "saya",
    "km": "kamu",
    "lu": "kamu",
    "lo": "kamu",
    # question words
    "gmn": "bagaimana",
    "gimana": "bagaimana",
    "gmana": "bagaimana",
    "bgmn": "bagaimana",
    "bgmana": "bagaimana",
    "knp": "kenapa",
    "napa": "kenapa",
    "kok": "kenapa",
    # function words
    "yg": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "utk": "untuk",
    "tuk": "untuk",
    "dr": "dari",
    "krn": "karena",
    "karna": "karena",
    "jd": "jadi",
    "sm": "sama",
    "aja": "saja",
    "aj": "saja",
    "lg": "lagi",
    "tp": "tapi",
    "trs": "terus",
    "klo": "kalau",
    "kalo": "kalau",
    "kl": "kalau",
    "sdg": "sedang",
    "lagi2": "lagi",
    "hrs": "harus",
    "dl": "dulu",
    "dlu": "dulu",
    # aspect
    "blm": "belum",
    "blom": "belum",
    "udh": "sudah",
    "udah": "sudah",
    "sdh": "sudah",
    "dah": "sudah",
    # verbs / adjectives
    "tlg": "tolong",
    "tolongin": "tolong",
    "bs": "bisa",
    "bsa": "bisa",
    "lemot": "lambat",
    "lelet": "lambat",
    "pake": "pakai",
    "dapet": "dapat",
    "dpt": "dapat",
    "konek": "connect",
    "nyambung": "connect",
    "ilang": "hilang",
    "bikin": "buat",
    "mo": "mau",
    "pengen": "ingin",
    "pingin": "ingin",
    "ganti": "ubah",
    "gimanaa": "bagaimana",
    "makasih": "terima kasih",
    "thx": "thanks",
    "tq": "thanks",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "ur": "your",
    "cant": "cannot",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "wont": "will not",
    "im": "i am",
    "ive": "i have",
    "isnt": "is not",
    # IT nouns
    "pw": "password",
    "pwd": "password",
    "passwd": "password",
    "sandi": "password",
    "passwort": "password",
    "pasword": "password",
    "paswd": "password",
    "imel": "email",
    "surel": "email",
    "emel": "email",
    "mail": "email",
    "leptop": "laptop",
    "laptob": "laptop",
    "lappy": "laptop",
    "pc": "komputer",
    "kompi": "komputer",
    "wify": "wifi",
    "printr": "printer",
    "priner": "printer",
    "printe": "printer",
    "app": "aplikasi",
    "apps": "aplikasi",
    "apk": "aplikasi",
    "aplikasinya": "aplikasi",
    "acc": "akun",
    "akunnya": "akun",
    "usr": "user",
    "vpnnya": "vpn",
}

# Multi-word forms folded before the token table ("kata sandi" -> "password").
PHRASES: dict[str, str] = {
    "kata sandi": "password",
    "e mail": "email",
    "wi fi": "wifi",
    "log in": "login",
    "sign in": "login",
    "log on": "login",
}

_NON_WORD = re.compile(r"[^a-z0-9]+")
_TRAILING_RUN = re.compile(r"([a-z])\1{2,}\b")
_INNER_RUN = re.compile(r"([a-z])\1{2,}")
_SPACES = re.compile(r"\s+")


def strip_accents(text: str) -> str:
    """Remove combining marks: "café" -> "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def squeeze_repeats(text: str) -> str:
    """Shorten stretched letters: runs of 3+ become 1 at a word end, 2 inside a word."""
    text = _TRAILING_RUN.sub(r"\1", text)
    return _INNER_RUN.sub(r"\1\1", text)


def _expand(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        repl = SLANG.get(tok)
        if repl is None:
            out.append(tok)
        else:
            out.extend(repl.split())
    return out


def normalize(text: str) -> str:
    """Canonical matching form of ``text``: lower-case ASCII words separated by single spaces."""
    if not text:
        return ""
    text = strip_accents(text.lower())
    text = text.replace("'", "").replace("\u2019", "")
    text = _NON_WORD.sub(" ", text)
    text = squeeze_repeats(text)
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return ""
    for phrase, repl in PHRASES.items():
        if phrase in text:
            text = re.sub(rf"\b{phrase}\b", repl, text)
    return " ".join(_expand(text.split()))


# --- light stemming -------------------------------------------------------------------------------

_ID_PARTICLES = ("nya", "lah", "kah", "pun")
_ID_SUFFIXES = ("kan", "an", "i")
_ID_PREFIXES = (
    "meng",
    "meny",
    "mem",
    "men",
    "me",
    "peng",
    "peny",
    "pem",
    "pen",
    "pe",
    "ber",
    "be",
    "ter",
    "te",
    "di",
    "ke",
    "se",
)
_EN_SUFFIXES = ("ing", "ed", "es", "s")
_KEEP = frozenset(
    [
        "is",
        "was",
        "has",
        "does",
        "this",
        "his",
        "its",
        "yes",
        "us",
        "bus",
        "news",
        "less",
        "process",
        "access",
        "address",
        "class",
        "pass",
        "status",
        "windows",
        "iphones",
        "kes",
    ]
)


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str = "id") -> str:
    """Conservative stem of one normalised word: Indonesian affixes (``lang="id"``) or English
    -s/-es/-ed/-ing (any other ``lang``). Only strips when at least four letters remain.
    """
    if len(word) <= 4 or word in _KEEP or not word.isalpha():
        return word
    if lang != "id":
        for s in _EN_SUFFIXES:
            if word.endswith(s) and len(word) - len(s) >= 4:
                if s == "s" and word.endswith(("ss", "us", "is")):
                    continue
                return word[: -len(s)]
        return word
    w = word
    for p in _ID_PARTICLES:
        if w.endswith(p) and len(w) - len(p) >= 4:
            w = w[: -len(p)]
            break
    for p in _ID_PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= 4:
            w = w[len(p) :]
            break
    for s in _ID_SUFFIXES:
        if w.endswith(s) and len(w) - len(s) >= 4:
            w = w[: -len(s)]
            break
    return w
