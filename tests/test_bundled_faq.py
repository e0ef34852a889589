"""The starting FAQ shipped in knowledge_base/faq/: loads cleanly and meets the content rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.types import FaqEntry
from knowledge_base.faq_file import BUNDLED_FAQ_DIR, dump_faq, load_bundled_faq, load_faq_file, load_faq_text

FILES = sorted(BUNDLED_FAQ_DIR.glob("*.yaml"))

# Topics the starting FAQ must cover (entry ids).
REQUIRED_TOPICS = (
    "password-reset",
    "account-locked",
    "password-expired",
    "mfa-new-phone",
    "mfa-code-not-arriving",
    "email-password",
    "mailbox-full",
    "email-phone-sync",
    "shared-mailbox",
    "out-of-office",
    "spam-blocked",
    "wifi-cannot-connect",
    "guest-wifi",
    "slow-internet",
    "vpn-setup",
    "vpn-errors",
    "printer-offline",
    "printer-add",
    "paper-jam",
    "scan-to-email",
    "slow-laptop",
    "laptop-no-power",
    "blue-screen",
    "external-monitor",
    "keyboard-mouse",
    "disk-full",
    "software-install-request",
    "office-activation",
    "system-updates",
    "browser-issues",
    "shared-drive-access",
    "file-restore",
    "onedrive-sync",
    "meeting-mic-camera",
    "screen-sharing",
    "meeting-room-equipment",
    "new-employee-onboarding",
    "employee-offboarding",
    "app-access-request",
    "phishing-received",
    "phishing-clicked",
    "malware-virus",
    "account-compromised",
    "lost-device",
)
SECURITY_TOPICS = (
    "phishing-received",
    "phishing-clicked",
    "malware-virus",
    "account-compromised",
    "lost-device",
)
STEP = re.compile(r"^(\d+)\. \S", re.MULTILINE)
URL = re.compile(r"https?://([A-Za-z0-9.-]+)")


@pytest.fixture(scope="module")
def entries() -> list[FaqEntry]:
    return load_bundled_faq()


def test_the_folder_has_several_files() -> None:
    assert len(FILES) >= 5
    assert {path.name for path in FILES} >= {"account.yaml", "email.yaml", "network.yaml", "security.yaml"}


@pytest.mark.parametrize("path", FILES, ids=lambda path: Path(path).name)
def test_each_file_loads_and_round_trips(path: Path) -> None:
    loaded = load_faq_file(path)
    assert loaded
    assert load_faq_text(dump_faq(loaded)) == loaded


def test_at_least_45_entries_with_unique_ids(entries: list[FaqEntry]) -> None:
    assert len(entries) >= 45
    ids = [entry.id for entry in entries]
    assert len(ids) == len(set(ids))


def test_required_topics_are_covered(entries: list[FaqEntry]) -> None:
    missing = set(REQUIRED_TOPICS) - {entry.id for entry in entries}
    assert not missing


def test_every_entry_is_bilingual_with_enough_phrasings(entries: list[FaqEntry]) -> None:
    for entry in entries:
        assert set(entry.questions) == {"en", "id"}, entry.id
        assert set(entry.answer) == {"en", "id"}, entry.id
        for lang in ("en", "id"):
            assert len(entry.questions[lang]) >= 4, (entry.id, lang)


def test_every_answer_has_numbered_steps_and_a_way_forward(entries: list[FaqEntry]) -> None:
    for entry in entries:
        for lang, answer in entry.answer.items():
            numbers = [int(n) for n in STEP.findall(answer)]
            assert numbers[:2] == [1, 2], (entry.id, lang)
            assert numbers == list(range(1, len(numbers) + 1)), (entry.id, lang)
            last_line = answer.splitlines()[-1]
            assert not STEP.match(last_line), f"{entry.id}/{lang}: end with what to do if it does not help"


def test_indonesian_answers_are_polite(entries: list[FaqEntry]) -> None:
    for entry in entries:
        answer = entry.answer["id"]
        assert "Anda" in answer, entry.id
        assert not re.search(r"\b(kamu|lo|lu|gue|gw)\b", answer, re.IGNORECASE), entry.id


def test_security_entries(entries: list[FaqEntry]) -> None:
    by_id = {entry.id: entry for entry in entries}
    for topic in SECURITY_TOPICS:
        assert by_id[topic].security, topic
        assert by_id[topic].category == "security", topic
    for entry in entries:
        if entry.category == "security":
            assert entry.security, entry.id


def test_security_answers_give_first_aid(entries: list[FaqEntry]) -> None:
    by_id = {entry.id: entry for entry in entries}
    for topic in ("phishing-clicked", "malware-virus"):
        assert "disconnect" in by_id[topic].answer["en"].lower(), topic
        assert "putuskan" in by_id[topic].answer["id"].lower(), topic
    for topic in ("phishing-clicked", "account-compromised", "lost-device"):
        assert "https://password.example.com" in by_id[topic].answer["en"], topic


def test_no_phrasing_is_shared_by_two_entries(entries: list[FaqEntry]) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for entry in entries:
        for phrasings in entry.questions.values():
            for phrasing in phrasings:
                key = phrasing.lower()
                if owner.setdefault(key, entry.id) != entry.id:
                    clashes.append((phrasing, owner[key], entry.id))
    assert not clashes


def test_triage_questions_are_bilingual(entries: list[FaqEntry]) -> None:
    with_triage = [entry for entry in entries if entry.triage]
    assert len(with_triage) >= 20
    for entry in with_triage:
        assert set(entry.triage) == {"en", "id"}, entry.id
        assert len(entry.triage["en"]) == len(entry.triage["id"]), entry.id


def test_links_point_only_at_placeholder_domains(entries: list[FaqEntry]) -> None:
    for entry in entries:
        for answer in entry.answer.values():
            for host in (found.rstrip(".") for found in URL.findall(answer)):
                assert host == "example.com" or host.endswith(".example.com"), (entry.id, host)
