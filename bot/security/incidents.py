"""Recognise security incidents (phishing, malware, compromised accounts, lost devices) in any message."""

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
