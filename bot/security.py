"""Recognise security incidents and keep pasted secrets out of storage."""

from __future__ import annotations

import re

# Word stems that signal an incident; matched on whole words after lowercasing, so "phishing",
# "phising" (a common misspelling) and "fishing email" are caught but "hackathon" is not.
_INCIDENT_PATTERNS: tuple[tuple[str, str], ...] = (
    ("phishing", r"\bph?is?hing\b|\bfishing\s+(e-?mail|email|link)|\bphish\w*|\bspoof\w*"),
    ("malware", r"\bmalware\b|\bvirus\b|\bransomware\b|\btrojan\b|\bspyware\b|\bkeylogger\b|\bterinfeksi\b"),
    (
        "compromised",
        r"\bhack(ed|er)?\b|\bdi-?hack\b|\bkena\s+hack\b|\bdibobol\b|\bcompromised\b|\bakun\s+\w*\s*diambil\s+alih\b"
        r"|\bsomeone\s+(logged|signed)\s+in(to)?\s+my\b|\bsuspicious\s+(login|sign-?in)\b|\blogin\s+mencurigakan\b",
    ),
    (
        "lost_device",
        r"\b(lost|stolen)\s+(my\s+)?(laptop|phone|hp|handphone|device|notebook|macbook|tablet|ipad)\b"
        r"|\b(laptop|hp|handphone|ponsel|perangkat|notebook|macbook|tablet)\s+(saya\s+|sy\s+)?(hilang|dicuri|kecurian|dijambret|ketinggalan)\b"
        r"|\b(kehilangan|kecurian)\s+(laptop|hp|handphone|ponsel)\b"
        r"|\b(laptop|phone|device|notebook|macbook|tablet|ipad)\s+(was|got|has\s+been|is)\s+(lost|stolen|missing)\b"
        r"|\blost\s+my\s+(work\s+)?(laptop|phone|device)\b",
    ),
)
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _INCIDENT_PATTERNS)


def incident_kind(text: str) -> str | None:
    """The kind of security incident ``text`` describes, or None."""
    for kind, pattern in _COMPILED:
        if pattern.search(text):
            return kind
    return None


_SECRET_WORDS = r"(?:password|passwd|pwd|pw|pass|sandi|kata\s+sandi|pin|otp|token|secret|api[_ -]?key)"
_SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "password: hunter2", "pw=abc123"
    re.compile(rf"(?P<key>\b{_SECRET_WORDS}\s*[:=]\s*)(?P<secret>\S{{3,}})", re.IGNORECASE),
    # "password saya Abc123!", "my password is s3cret": only a word that looks like a password
    # (has a digit or a symbol), so "lupa password email" is left alone.
    re.compile(
        rf"(?P<key>\b{_SECRET_WORDS}(?:\s+(?:saya|sy|aku|ku|my|is|adalah|nya|baru|lama|new|old))*\s+)"
        r"(?P<secret>(?=\S*[\d!@#$%^&*_+=?])(?=\S*[A-Za-z])\S{4,})",
        re.IGNORECASE,
    ),
    # Slack / GitHub / cloud tokens and private keys.
    re.compile(
        r"(?P<secret>\bxox[abposr]-[A-Za-z0-9-]{10,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b)"
    ),
    re.compile(r"(?P<secret>-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)"),
)

REDACTED = "[secret removed]"


def redact_secrets(text: str) -> tuple[str, bool]:
    """Replace passwords, tokens and keys a user pasted; returns the text and whether it changed."""
    changed = False
    for pattern in _SECRET_PATTERNS:

        def _replace(match: re.Match[str]) -> str:
            nonlocal changed
            changed = True
            start, end = match.span("secret")
            whole_start = match.start()
            return match.group(0)[: start - whole_start] + REDACTED + match.group(0)[end - whole_start :]

        text = pattern.sub(_replace, text)
    return text, changed
