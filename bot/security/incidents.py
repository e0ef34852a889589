"""Recognise security incidents (phishing, malware, compromised accounts, lost devices) in any message.

Two layers, both in English and Indonesian and in the mixed forms people type in chat:

- patterns on whole words after lowercasing ("phishing", "phising", "kena hack", "semua file
  terenkripsi", "I clicked a link in a suspicious email and entered my password");
- a tolerant comparison of each word with the incident words that are long enough to tell apart
  ("ransomwere", "malwer", "keyloger", "phisshing"), with the standard library's ``difflib``.

The knowledge base's own security entries are consulted by the conversation (through the FAQ
index) in addition to these; see :mod:`bot.conversation.escalation`.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# Word stems that signal an incident; matched on whole words after lowercasing, so "phishing",
# "phising" (a common misspelling) and "fishing email" are caught but "hackathon" is not.
_INCIDENT_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "phishing",
        r"\bph?is?h?ing\b|\bfishing\s+(e-?mail|email|link|sms|message|pesan)|\bphish\w*|\bspoof\w*"
        r"|\bclicked\s+(on\s+)?(a|the|that)\s+(suspicious\s+|strange\s+|weird\s+)?link\b"
        r"|\bsuspicious\s+(e-?mail|link|sms|message|attachment)\b"
        r"|\b(e-?mail|link|sms|pesan|lampiran)\s+(yang\s+)?(mencurigakan|aneh|palsu|penipuan)\b"
        r"|\b(ter|ke)?klik\s+(link|tautan)\s+(yang\s+)?(mencurigakan|aneh|palsu|penipuan)\b"
        r"|\b(entered|typed|gave)\s+my\s+(password|credentials|otp|pin)\s+(in|into|on|to)\b"
        r"|\b(masukin|memasukkan|masukkan|kasih|memberikan|ngasih)\s+(password|pw|kata\s+sandi|otp|pin)\s*(saya|sy|ku)?\s+(di|ke)\b"
        r"|\b(fake|spoofed)\s+(e-?mail|link|login|website|site|page)\b|\b(e-?mail|web|website|situs|link)\s+(\w+\s+)?palsu\b"
        r"|\bngaku(-ngaku)?\s+(dari\s+)?(it|helpdesk|bank|microsoft|admin)\b|\bpretending\s+to\s+be\b"
        r"|\b(asking|asked)\s+(me\s+)?for\s+my\s+(password|otp|pin|login\s+code|code)\b"
        r"|\bminta\s+kode\s+(otp|verifikasi)\b|\bminta\s+otp\b"
        r"|\b(telpon|nelpon|telepon|ditelpon|wa|sms|call|called)\b.*\bminta\s+(password|pw|kata\s+sandi|pin)\b",
    ),
    (
        "malware",
        r"\bmal-?w[ae]re?s?\b|\bvirus(nya)?\b|\bransom\w*|\btrojan\w*|\bspyware\b|\bkeylogger\b|\bworm\s+virus\b"
        r"|\b(ter|ke)?infeksi\b|\binfected\b|\bkena\s+virus\b"
        r"|\b(all|my|our|the)\s+(my\s+)?files?\s+(are\s+|got\s+|have\s+been\s+|were\s+)?encrypted\b"
        r"|\bfiles?\s+(are\s+|got\s+|were\s+)?encrypted\b"
        r"|\b(semua\s+)?file\w*\s+(saya\s+|sy\s+)?(ter|di|ke)enkripsi\b"
        r"|\b(minta|meminta|asking\s+for|demands?)\s+(tebusan|bitcoin|ransom)\b|\btebusan\b|\bbitcoin\b"
        r"|\bke-?encrypt\w*|\.locked\b",
    ),
    (
        "compromised",
        r"\bhack(ed|er|ers)?\b|\bdi-?hack\b|\bke-?hack\b|\bkena\s+hack\b|\bdibobol\b|\bdibajak\b|\bdiretas\b"
        r"|\bcompromised\b|\bakun\s+\w*\s*diambil\s+alih\b|\baccount\s+(was\s+|got\s+|has\s+been\s+)?taken\s+over\b"
        r"|\bsomeone\s+(logged|signed)\s+in(to)?\s+(to\s+)?my\b|\bsuspicious\s+(login|sign-?in|activity)\b"
        r"|\blogin\s+(yang\s+)?mencurigakan\b|\bada\s+yang\s+login\s+(ke\s+)?akun\b"
        r"|\bsent\s+(e-?mails?|spam)\s+from\s+my\s+(account|e-?mail)\b"
        r"|\bada\s+(yg|yang|orang)\s+login\s+(pakai|pake|ke|di)\s+akun\b|\bdiganti\s+orang\s+lain\b",
    ),
    (
        "lost_device",
        r"\b(lost|stolen)\s+(my\s+)?(work\s+)?(laptop|phone|hp|handphone|device|notebook|macbook|tablet|ipad)\b"
        r"|\b(laptop|hp|handphone|ponsel|perangkat|notebook|macbook|tablet)\s+(kantor\s+)?(saya\s+|sy\s+)?"
        r"(hilang|ilang|dicuri|dicolong|kecurian|dijambret|ketinggalan|dirampok)\b"
        r"|\b(kehilangan|kecurian)\s+(laptop|hp|handphone|ponsel)\b"
        r"|\b(laptop|phone|device|notebook|macbook|tablet|ipad)\s+(was|got|has\s+been|is)\s+(lost|stolen|missing)\b"
        r"|\blost\s+my\s+(work\s+|company\s+|office\s+)?(laptop|phone|device)\b",
    ),
)
_COMPILED = tuple((kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _INCIDENT_PATTERNS)

# Incident words long enough to tell a misspelling from an ordinary word; a chat word this close
# to one of them (difflib ratio) counts. Short words ("virus", "hack") are left to the patterns,
# where a loose comparison would catch "hacks" for "hacked" in "lifehacks".
_FUZZY_WORDS: dict[str, str] = {
    "ransomware": "malware",
    "malware": "malware",
    "keylogger": "malware",
    "spyware": "malware",
    "phishing": "phishing",
    "terinfeksi": "malware",
    "terenkripsi": "malware",
    "compromised": "compromised",
    "diretas": "compromised",
}
_FUZZY_RATIO = 0.84
# Ordinary words that sit close to an incident word and must not be taken for one.
_NOT_INCIDENTS = frozenset(
    {"hardware", "software", "firmware", "middleware", "fishing", "polishing", "publishing"}
)
_WORD = re.compile(r"[a-z][a-z-]{5,}")


def _fuzzy_kind(text: str) -> str | None:
    for word in _WORD.findall(text.lower()):
        if word in _NOT_INCIDENTS:
            continue
        for target, kind in _FUZZY_WORDS.items():
            if abs(len(word) - len(target)) > 2:
                continue
            if SequenceMatcher(None, word, target).ratio() >= _FUZZY_RATIO:
                return kind
    return None


def incident_kind(text: str) -> str | None:
    """The kind of security incident ``text`` describes, or None."""
    for kind, pattern in _COMPILED:
        if pattern.search(text):
            return kind
    return _fuzzy_kind(text)
