"""Keep pasted secrets out of storage, logs and relays."""

from __future__ import annotations

import re

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
