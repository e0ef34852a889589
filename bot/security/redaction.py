"""Keep pasted secrets and personal identifiers out of storage, logs and relays.

Three layers, each doing what it does well:

- **detect-secrets**' detectors for keys and tokens (cloud keys, Slack, GitHub, JWTs, private
  keys, basic-auth URLs, ...) and its Shannon entropy for long random-looking words;
- **python-stdnum** for numbers with a check: Luhn-checked payment card numbers, the Indonesian
  NIK (with its region and birth date) and NPWP (with its check digit);
- the ways people *say* a secret in this product's two languages, which no library knows:
  "password saya X", "X itu password saya", "passwordnya X", "kata sandi: X", "the wifi key is X",
  "my password is X", OTP codes next to "OTP" / "kode".

An ordinary question keeps its words: "lupa password email", "password expired", "ganti kata
sandi", error codes like 0x80070005, ticket numbers and printer models are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from stdnum import luhn
from stdnum.id import nik, npwp

REDACTED = "[secret removed]"
PLACEHOLDERS: dict[str, str] = {
    "secret": REDACTED,
    "card": "[card number removed]",
    "nik": "[NIK removed]",
    "npwp": "[NPWP removed]",
    "account": "[account number removed]",
}
SECRET_KINDS = frozenset({"secret"})
PERSONAL_KINDS = frozenset({"card", "nik", "npwp", "account"})

# --------------------------------------------------------------------------- language patterns
_KEY = (
    r"(?:password|passwd|passwort|pwd|pw|pass(?:code|phrase)?|sandi|kata\s*sandi|pin|otp|token|secret|"
    r"api[_ -]?key|wi-?fi\s+(?:key|password|pass)|kunci\s+wi-?fi|kode\s+(?:otp|verifikasi|akses|login)|"
    r"(?:login|verification|access)\s+code)"
)
_OWNER = r"(?:saya|sy|aku|ku|gue|gw|my|our|the|baru|lama|new|old|sementara|temporary|wifi|email|e-mail)"
_COPULA = r"(?:is|was|adalah|ialah|yaitu|yakni|itu|=|:)"
# Words that follow "password" in an ordinary question and are not the password itself.
_ORDINARY_WORDS = """
    salah lupa expired expire expires kadaluarsa kedaluwarsa kadaluwarsa habis terkunci locked lock
    wrong incorrect invalid not no tidak tdk gak ga gk nggak ngga enggak belum blm sudah udah udh sdh
    bisa bs diganti ganti reset direset berubah changed change too terlalu harus must needs need sama
    email akun saya yang untuk utk di ke apa what gimana bagaimana gmn the a an and dan atau or of for
    on in at to from with by this that ini itu nya hilang keliru ditolak rejected required diperlukan
    diminta minta muncul appears field kolom policy kebijakan manager reset-nya baru lama new old
    sementara temporary wifi outlook windows teams vpn laptop office microsoft google gmail zoom sap
    portal akunnya emailnya bener benar betul correct right same case sensitive strength lemah weak kuat
    strong terus mulu lagi again still masih gagal failed failing error problem masalah issue
    requirement requirements syarat aturan rules length panjang karakter characters kurang short
"""
_ORDINARY = frozenset(_ORDINARY_WORDS.split())
_WORD_CHARS = r"[^\s,;]"


def _looks_secret(word: str) -> bool:
    """A value told as a password: anything that is not an ordinary word of the question."""
    bare = word.strip(".,;:!?\"'()[]")
    if len(bare) < 3 or "'" in bare:
        return False
    return bare.lower() not in _ORDINARY


def _has_mixed(word: str) -> bool:
    """Digits or symbols with letters, or mixed case: a password rather than a word."""
    bare = word.strip(".,;:!?\"'()[]")
    if len(bare) < 4:
        return False
    has_alpha = any(c.isalpha() for c in bare)
    has_digit_or_symbol = any(c.isdigit() or (not c.isalnum() and c not in "'-") for c in bare)
    mixed_case = any(c.isupper() for c in bare[1:]) and any(c.islower() for c in bare)
    return (has_alpha and has_digit_or_symbol) or mixed_case or (bare.isdigit() and len(bare) >= 4)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    accept: Callable[[str], bool]
    # Words that, right before the match, make it something else ("error code 1603").
    not_after: frozenset[str] = frozenset()


# "error code 1603", "status code 500", "promo code 2026": codes, not one-time passwords.
_NOT_OTP_AFTER = frozenset(
    {
        "error",
        "status",
        "stop",
        "exit",
        "promo",
        "voucher",
        "http",
        "response",
        "return",
        "kesalahan",
        "galat",
    }
)


_RULES: tuple[_Rule, ...] = (
    # "password: hunter2", "pw=abc123", "kata sandi: rahasia", "the wifi key is Kopi2026", "my
    # password is s3cret", "password saya adalah X", "passwordnya X" (told with a copula or "nya").
    _Rule(
        re.compile(
            rf"\b{_KEY}(?:\s*nya|ny)?(?:\s+{_OWNER}){{0,3}}\s*{_COPULA}\s*[\"']?(?P<secret>{_WORD_CHARS}+)",
            re.IGNORECASE,
        ),
        _looks_secret,
    ),
    _Rule(
        re.compile(rf"\b{_KEY}(?:\s*nya|ny)\s+[\"']?(?P<secret>{_WORD_CHARS}+)", re.IGNORECASE),
        _looks_secret,
    ),
    # "password saya Abc123!", "pw baru Kopi2026": without a copula only a word that looks like one.
    _Rule(
        re.compile(rf"\b{_KEY}(?:\s+{_OWNER}){{1,3}}\s+[\"']?(?P<secret>{_WORD_CHARS}+)", re.IGNORECASE),
        _has_mixed,
    ),
    _Rule(re.compile(rf"\b{_KEY}\s+[\"']?(?P<secret>{_WORD_CHARS}+)", re.IGNORECASE), _has_mixed),
    # "Kopi2026 itu password saya", "s3cret is my password", "hunter2 adalah kata sandi saya".
    _Rule(
        re.compile(
            # Tried only where a word starts, and for words up to 256 characters: a long text
            # without spaces must not cost quadratic time (it did, for every start position).
            rf"(?<![^\s,;])[\"']?(?P<secret>{_WORD_CHARS}{{1,256}}?)[\"']?\s+(?:itu|adalah|ialah|is|was|=)\s+"
            rf"(?:{_OWNER}\s+){{0,3}}{_KEY}\b",
            re.IGNORECASE,
        ),
        _looks_secret,
    ),
    # OTP and verification codes: "OTP 123456", "kode 482913", "123456 kode OTP saya".
    _Rule(
        re.compile(
            r"\b(?:otp|kode|code|token|pin)(?:\s+(?:otp|saya|sy|my|verifikasi|verification|nya|is|adalah|:)){0,4}"
            r"\s*[:=]?\s*(?P<secret>\d{4,8})\b",
            re.IGNORECASE,
        ),
        lambda _: True,
        _NOT_OTP_AFTER,
    ),
    _Rule(
        re.compile(
            r"\b(?P<secret>\d{4,8})\s+(?:itu\s+|adalah\s+|is\s+)?(?:(?:kode|code)\s+)?otp\b", re.IGNORECASE
        ),
        lambda _: True,
    ),
)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)")

# ------------------------------------------------------------------------------ numbers
_DIGIT_RUN = re.compile(r"(?<![\w.+/#-])(?:\d[ .-]?){12,18}\d(?![\w/-]|\.\d)")
_NPWP_FORMATTED = re.compile(r"\b\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}\b")
_ID_KEYWORD = re.compile(
    r"\b(?:nik|ktp|no\.?\s*ktp|nomor\s+ktp|npwp|e-?ktp|kk|no\.?\s*kk)(?:\s+(?:saya|sy|ku|nya|my|is|adalah|:))*"
    r"\s*[:=]?\s*(?P<number>\d[\d .-]{13,22}\d)",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(
    r"\b(?:no\.?\s*)?(?:rek(?:ening)?|rekening\s+bank|bank\s+account|account\s+number|acct)"
    r"(?:\s+(?:saya|sy|ku|nya|my|is|adalah|bca|bni|bri|mandiri|:))*\s*[:=]?\s*(?P<number>\d[\d .-]{6,20}\d)",
    re.IGNORECASE,
)


def _number_kind(digits: str) -> str | None:
    if len(digits) == 16 and nik.is_valid(digits):
        return "nik"
    if (len(digits) == 15 or (len(digits) == 16 and digits[0] == "0")) and npwp.is_valid(digits):
        return "npwp"
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn.is_valid(digits):
        return "card"
    return None


# ------------------------------------------------------------------------------ detect-secrets
# Detectors that find things which are not secrets in a chat (public IP addresses), or that are
# written for source code (keyword assignments, quoted high-entropy strings) are left out; long
# random-looking words are judged below with detect-secrets' own entropy measure.
_SKIPPED_DETECTORS = frozenset(
    {"IPPublicDetector", "KeywordDetector", "Base64HighEntropyString", "HexHighEntropyString"}
)


@cache
def _detectors() -> tuple[BasePlugin, ...]:
    plugins = []
    detector_classes: list[type[BasePlugin]] = list(get_mapping_from_secret_type_to_class().values())
    for cls in detector_classes:
        if cls.__name__ not in _SKIPPED_DETECTORS:
            plugins.append(cls())
    return tuple(plugins)


@cache
def _entropy() -> tuple[Base64HighEntropyString, HexHighEntropyString]:
    return Base64HighEntropyString(), HexHighEntropyString()


_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_IDENTIFIER_PART = re.compile(r"[A-Za-z]+|\d+|[A-Za-z0-9]{1,3}")


def _random_looking(token: str) -> bool:
    """A long word of letters and digits whose entropy says it was generated, not written."""
    if not (any(c.isdigit() for c in token) and any(c.isalpha() for c in token)):
        return False
    parts = [p for p in re.split(r"[_\-./=+]", token) if p]
    if all(_IDENTIFIER_PART.fullmatch(p) for p in parts):
        return False  # Laporan_Q3_2026_final, KB5034441-x64-2026: words and numbers joined
    b64, hexa = _entropy()
    if re.fullmatch(r"[0-9a-fA-F]+", token):
        return len(token) >= 32 and hexa.calculate_shannon_entropy(token) >= 3.0
    return b64.calculate_shannon_entropy(token) >= 4.0


def _token_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to the whole whitespace-separated word (a detector may return part)."""
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "\"'(<[":
        start -= 1
    while end < len(text) and not text[end].isspace() and text[end] not in "\"')>],;":
        end += 1
    while end > start and text[end - 1] in ".!?,:":
        end -= 1
    return start, end


# ------------------------------------------------------------------------------------ redact
@dataclass(frozen=True)
class Redaction:
    """A text with secrets and identifiers replaced by placeholders, and what was removed."""

    text: str
    kinds: frozenset[str]

    @property
    def changed(self) -> bool:
        """Whether anything was removed."""
        return bool(self.kinds)

    @property
    def had_secret(self) -> bool:
        """A password, code, key or token was removed."""
        return bool(self.kinds & SECRET_KINDS)

    @property
    def had_personal_data(self) -> bool:
        """A card, identity, tax or bank account number was removed."""
        return bool(self.kinds & PERSONAL_KINDS)


def _spans(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _PRIVATE_KEY.finditer(text):
        yield match.start(), match.end(), "secret"
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            value = match.group("secret")
            before = text[max(0, match.start() - 64) : match.start()].split()  # the word before only
            if rule.not_after and before and before[-1].lower().strip(".,:;") in rule.not_after:
                continue
            if rule.accept(value):
                start, end = match.span("secret")
                while end > start and text[end - 1] in ",\"'":
                    end -= 1
                if end > start:
                    yield start, end, "secret"
    for plugin in _detectors():
        try:
            found = plugin.analyze_line(filename="chat.txt", line=text, line_number=1)
        except Exception:  # one detector's trouble must not let the rest of the text through
            continue
        for secret in found:
            value = secret.secret_value or ""
            position = text.find(value) if value else -1
            while position >= 0:
                yield (*_token_span(text, position, position + len(value)), "secret")
                position = text.find(value, position + len(value))
    for match in _TOKEN.finditer(text):
        if _random_looking(match.group(0)):
            yield match.start(), match.end(), "secret"
    for match in _NPWP_FORMATTED.finditer(text):
        yield match.start(), match.end(), "npwp"
    for match in _ID_KEYWORD.finditer(text):
        digits = re.sub(r"\D", "", match.group("number"))
        if len(digits) in (15, 16):
            yield *match.span("number"), "npwp" if len(digits) == 15 else "nik"
    for match in _ACCOUNT.finditer(text):
        yield *match.span("number"), "account"
    for match in _DIGIT_RUN.finditer(text):
        kind = _number_kind(re.sub(r"\D", "", match.group(0)))
        if kind is not None:
            yield match.start(), match.end(), kind


def redact(text: str) -> Redaction:
    """``text`` with pasted secrets and personal identifiers replaced by placeholders."""
    if not text:
        return Redaction(text, frozenset())
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(_spans(text), key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
            continue
        merged.append((start, end, kind))
    if not merged:
        return Redaction(text, frozenset())
    pieces: list[str] = []
    cursor = 0
    for start, end, kind in merged:
        pieces.append(text[cursor:start])
        pieces.append(PLACEHOLDERS[kind])
        cursor = end
    pieces.append(text[cursor:])
    return Redaction("".join(pieces), frozenset(kind for _, _, kind in merged))


def redact_secrets(text: str) -> tuple[str, bool]:
    """Replace passwords, tokens, keys and personal identifiers; returns the text and whether it changed."""
    result = redact(text)
    return result.text, result.changed
