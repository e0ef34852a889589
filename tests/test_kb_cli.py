"""``helpdesk kb ...`` through typer's CliRunner, against a temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.core.records import Ticket, TicketStatus
from bot.core.types import MatchThresholds
from bot.faq.index import LABELLED_SETTING, THRESHOLDS_SETTING
from storage.database import make_engine
from storage.uow import SqlUnitOfWork

SMALL_FAQ = """\
- id: vpn-setup
  category: network
  questions:
    en: [how do I install the vpn, vpn client download, set up vpn on my laptop]
    id: [cara pasang vpn, download klien vpn, install vpn di laptop]
  answer:
    en: "1. Download the VPN client from the portal.\\n2. Sign in with your email."
    id: "1. Unduh klien VPN dari portal.\\n2. Masuk dengan email Anda."
- id: printer-offline
  category: printing
  questions:
    en: [printer is offline, cannot print anything, print job stuck]
    id: [printer offline, gak bisa print, print nyangkut]
  answer:
    en: "1. Check the cable.\\n2. Restart the printer."
    id: "1. Periksa kabel.\\n2. Nyalakan ulang printer."
- id: password-reset
  category: account
  questions:
    en: [forgot my password, reset my password, password expired]
    id: [lupa password, reset password, password kadaluarsa]
  answer:
    en: "1. Open the password portal.\\n2. Choose a new password."
    id: "1. Buka portal password.\\n2. Pilih password baru."
"""

Run = Callable[..., Result]


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    faq = tmp_path / "faq.yaml"
    faq.write_text(SMALL_FAQ, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HELPDESK_FAQ_PATH", str(faq))
    monkeypatch.setenv("HELPDESK_LANGUAGE", "id")
    return url


@pytest.fixture
def kb(db_url: str) -> Run:
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, ["kb", *args], input=input)

    return run


def stored(url: str, what: Callable[[SqlUnitOfWork], object]) -> object:
    engine = make_engine(url)
    try:
        with SqlUnitOfWork(engine) as uow:
            return what(uow)
    finally:
        engine.dispose()


def revision(url: str) -> object:
    return stored(url, lambda uow: uow.faq.revision())


def one_line_error(result: Result, text: str) -> None:
    assert result.exit_code == 1, result.output
    assert text in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------- show and history


def test_show_history_rollback_and_delete(kb: Run, db_url: str, tmp_path: Path) -> None:
    result = kb("show", "vpn-setup")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# vpn-setup v1, 1 version(s)\n# last change ")
    assert "by system:bootstrap: import" in result.stdout
    assert "- id: vpn-setup\n  category: network\n" in result.stdout

    changed = SMALL_FAQ.replace("2. Restart the printer.", "2. Turn the printer off and on.").replace(
        "print job stuck]", "print job stuck, printer says offline]"
    )
    (tmp_path / "changed.yaml").write_text(changed, encoding="utf-8")
    result = kb("import", "changed.yaml")
    assert result.exit_code == 0 and "1 updated" in result.stdout

    result = kb("history", "printer-offline")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("printer-offline: 2 version(s)")
    assert "(import)" in out and "system:bootstrap" in out
    assert "  created" in out
    assert "  + question (EN): printer says offline" in out
    assert "  answer (EN) changed:" in out
    assert "      - 2. Restart the printer." in out and "      + 2. Turn the printer off and on." in out

    before = revision(db_url)
    one_line_error(kb("rollback", "printer-offline", "7"), "has no version 7; it has versions 1-2.")
    one_line_error(kb("rollback", "printer-offline", "latest"), "Bad version 'latest'")
    one_line_error(kb("rollback", "no-such-entry", "1"), "Unknown FAQ entry 'no-such-entry'.")
    one_line_error(kb("show", "no-such-entry"), "Unknown FAQ entry 'no-such-entry'.")
    one_line_error(kb("history", "no-such-entry"), "Unknown FAQ entry 'no-such-entry'.")
    assert revision(db_url) == before

    result = kb("rollback", "printer-offline", "v1")
    assert result.exit_code == 0, result.output
    assert "Rolled printer-offline back to v1: saved as v3." in result.stdout
    assert "- question (EN): printer says offline" in result.stdout
    result = kb("rollback", "printer-offline", "1")
    assert result.exit_code == 0 and "Nothing to do" in result.stdout

    result = kb("delete", "printer-offline", input="n\n")
    assert result.exit_code == 1 and "Nothing was changed." in result.stdout
    assert stored(db_url, lambda uow: uow.faq.get("printer-offline")) is not None
    result = kb("delete", "printer-offline", "--yes")
    assert result.exit_code == 0, result.output
    assert "helpdesk kb rollback printer-offline 3" in result.stdout
    assert stored(db_url, lambda uow: uow.faq.get("printer-offline")) is None
    one_line_error(kb("show", "printer-offline"), "was deleted in v4")
    one_line_error(kb("delete", "printer-offline", "--yes"), "Unknown FAQ entry 'printer-offline'.")
    one_line_error(kb("rollback", "printer-offline", "4"), "is the deletion itself")
    result = kb("rollback", "printer-offline", "3")
    assert result.exit_code == 0 and "saved as v5" in result.stdout and "restored" in result.stdout
    result = kb("history", "printer-offline")
    assert "v4" in result.stdout and "  deleted" in result.stdout and "(rollback to v3)" in result.stdout


# ------------------------------------------------------------------------------ import/export


def test_csv_import_export_round_trip_with_one_or_two_languages(kb: Run, db_url: str, tmp_path: Path) -> None:
    csv_text = (
        "id,category,lang,questions,answer,tags,security,triage\n"
        'guest-wifi,network,en,"guest wifi password\nwifi for visitors","1. Ask reception for the code.",,,\n'
        'printer-offline,printing,en,"printer is offline\ncannot print anything","1. Check the cable.",,,\n'
        'printer-offline,printing,id,"printer offline\ngak bisa print","1. Periksa kabel.",,,\n'
    )
    (tmp_path / "faq.csv").write_text(csv_text, encoding="utf-8")
    result = kb("import", "faq.csv")
    assert result.exit_code == 0, result.output
    assert "1 added, 1 updated, 0 unchanged, 0 removed" in result.stdout
    guest = stored(db_url, lambda uow: uow.faq.get("guest-wifi"))
    assert guest.questions == {"en": ("guest wifi password", "wifi for visitors")}  # type: ignore[attr-defined]

    result = kb("export", "out.csv")
    assert result.exit_code == 0 and "Exported 4 entries to out.csv." in result.stdout
    exported = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert exported.count("\nguest-wifi,") == 1 and exported.count("\nvpn-setup,") == 2
    result = kb("import", "out.csv")
    assert result.exit_code == 0 and "0 added, 0 updated, 4 unchanged" in result.stdout

    result = kb("export", "-")
    assert result.exit_code == 0 and "- id: guest-wifi" in result.stdout

    before = revision(db_url)
    bad = "id,category,lang,questions,answer\nBad Id,nowhere,xx,,\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    result = kb("import", "bad.csv")
    assert result.exit_code == 1 and "Refused, nothing was changed" in result.stderr
    result = kb("import", "missing.csv")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert revision(db_url) == before


# --------------------------------------------------------------------------------- calibrate


LABELLED = """\
- {text: "how can I install vpn on my laptop", expect: vpn-setup}
- {text: "vpn client where to download", expect: vpn-setup}
- {text: "cara install vpn", expect: vpn-setup}
- {text: "printer offline terus", expect: printer-offline}
- {text: "my printer is offline", expect: printer-offline}
- {text: "tidak bisa print sama sekali", expect: printer-offline}
- {text: "I forgot my password", expect: password-reset}
- {text: "lupa password akun", expect: password-reset}
- {text: "password sudah kadaluarsa", expect: password-reset}
- {text: "the coffee machine is broken", expect: escalate}
- {text: "ac di ruang rapat panas", expect: escalate}
- {text: "can I get a bigger monitor", expect: escalate}
"""


def test_calibrate_from_a_file_stores_the_thresholds(kb: Run, db_url: str, tmp_path: Path) -> None:
    (tmp_path / "labelled.yaml").write_text(LABELLED, encoding="utf-8")
    result = kb("calibrate", "labelled.yaml", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "12 labelled questions against 3 entries." in result.stdout
    assert "With the current thresholds:" in result.stdout and "Calibrated:" in result.stdout
    assert "Dry run: nothing was stored." in result.stdout
    assert stored(db_url, lambda uow: uow.faq.get_setting(THRESHOLDS_SETTING)) is None

    result = kb("calibrate", "labelled.yaml", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["stored"] is True
    saved = stored(db_url, lambda uow: uow.faq.get_setting(THRESHOLDS_SETTING))
    assert isinstance(saved, dict)
    assert {k: v for k, v in saved.items() if k in MatchThresholds.__dataclass_fields__} == figures["after"][
        "thresholds"
    ]
    # fitted for this matcher kind and this FAQ content, from labelled questions kept for later
    assert saved["matcher"] == "lexical" and saved["source"] == "labelled" and len(saved["faq"]) == 24
    kept = stored(db_url, lambda uow: uow.faq.get_setting(LABELLED_SETTING))
    assert len(kept) == 12 and ["the coffee machine is broken", "escalate"] in kept

    before = revision(db_url)
    one_line_error(kb("calibrate", "missing.yaml"), "Cannot use missing.yaml")
    (tmp_path / "broken.yaml").write_text("- {text: hi}\n", encoding="utf-8")
    one_line_error(kb("calibrate", "broken.yaml"), "'expect' must be an entry id or 'escalate'")
    (tmp_path / "unknown.yaml").write_text("- {text: hi, expect: no-such-entry}\n", encoding="utf-8")
    one_line_error(kb("calibrate", "unknown.yaml"), "entries the FAQ does not have: no-such-entry")
    one_line_error(kb("calibrate"), "Give a labelled questions file, --from-history, or both.")
    one_line_error(kb("calibrate", "--from-history"), "history has no usable tickets")
    assert revision(db_url) == before


def test_calibrate_from_the_desk_history(kb: Run, db_url: str) -> None:
    kb("list")  # creates and fills the database
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def add_tickets(uow: SqlUnitOfWork) -> None:
        def ticket(subject: str, status: str, entry: str | None, escalated: bool) -> Ticket:
            return Ticket(
                "console",
                "u",
                "U",
                "user-u",
                subject,
                status=status,
                faq_entry_id=entry,
                escalated=escalated,
                created_at=now,
            )

        solved = (
            ("vpn how to install", "vpn-setup"),
            ("printer offline lagi", "printer-offline"),
            ("lupa password", "password-reset"),
            ("old entry", "gone-entry"),
        )
        for subject, entry in solved:
            uow.tickets.add(ticket(subject, TicketStatus.SELF_SERVICE, entry, False))
        for subject in ("monitor flickers", "kursi rusak", "need a new mouse"):
            uow.tickets.add(ticket(subject, TicketStatus.RESOLVED, None, True))
        uow.tickets.add(ticket("still open", TicketStatus.OPEN, None, True))
        uow.commit()

    stored(db_url, add_tickets)
    from bot.cli.kb import labelled_from_history

    known = {"vpn-setup", "printer-offline", "password-reset"}
    items = stored(db_url, lambda uow: labelled_from_history(uow, known))
    assert items == [
        ("vpn how to install", "vpn-setup"),
        ("printer offline lagi", "printer-offline"),
        ("lupa password", "password-reset"),
        ("monitor flickers", "escalate"),
        ("kursi rusak", "escalate"),
        ("need a new mouse", "escalate"),
    ]
    result = kb("calibrate", "--from-history")
    assert result.exit_code == 0, result.output
    assert "6 labelled questions against 3 entries." in result.stdout and "Stored." in result.stdout
    assert stored(db_url, lambda uow: uow.faq.get_setting(THRESHOLDS_SETTING)) is not None
