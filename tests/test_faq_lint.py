"""FAQ lint: findings on a small crafted FAQ, and ``helpdesk kb lint`` exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.types import FaqEntry, MatchThresholds
from knowledge_base.faq_file import dump_faq, load_faq_text
from knowledge_base.lint import ERROR, WARNING, lint_entries

CRAFTED = """\
- id: password-reset
  category: account
  questions:
    en: [reset my password, forgot my password, change my password]
    id: [lupa password, reset password, ganti password]
  answer:
    en: "1. Open the password portal.\\n2. Choose a new password."
    id: "1. Buka portal password.\\n2. Pilih password baru."
- id: email-password
  category: email
  questions:
    en: [Reset my password!, email password not working, outlook keeps asking for my password]
    id: [password email salah, outlook minta password terus, password email tidak bisa]
  answer:
    en: "1. Sign out of Outlook.\\n2. Sign in again."
    id: "1. Keluar dari Outlook.\\n2. Masuk lagi."
- id: printer-offline
  category: printing
  questions:
    en: [printer is offline, cannot print anything, print job stuck in queue]
    id: [printer offline, gak bisa print, print nyangkut]
  answer:
    en: "1. Check the cable.\\n2. Restart the printer."
    id: "1. Periksa kabel.\\n2. Nyalakan ulang printer."
- id: printer-jam
  category: printing
  questions:
    en: [paper jam in the printer, printer says paper jam, printer is ofline]
  answer:
    en: "Open the front door and pull the paper out gently."
"""


def crafted() -> list[FaqEntry]:
    return load_faq_text(CRAFTED, "crafted.yaml")


def test_findings_on_a_crafted_faq() -> None:
    findings = lint_entries(crafted())
    found = {(f.level, f.code, f.entry_id) for f in findings}
    assert found == {
        (ERROR, "duplicate-question", "email-password"),
        (ERROR, "stolen-question", "email-password"),
        (WARNING, "similar-question", "printer-jam"),
        (WARNING, "missing-translation", "printer-jam"),
        (WARNING, "no-steps", "printer-jam"),
    }
    assert [f.level for f in findings] == sorted((f.level for f in findings), key=[ERROR, WARNING].index)
    text = "\n".join(str(f) for f in findings)
    assert "'Reset my password!' (en) is also a question of password-reset" in text
    assert "is answered with password-reset" in text
    assert "'printer is ofline' (en) is nearly the same as 'printer is offline' of printer-offline" in text
    assert "no questions and answer in id" in text
    assert "the en answer has no numbered steps" in text


def test_a_clean_faq_has_no_findings() -> None:
    clean = [e for e in crafted() if e.id in ("password-reset", "printer-offline")]
    assert lint_entries(clean) == []
    assert lint_entries([]) == []


def test_entries_too_close_to_answer_at_once_are_warned_about() -> None:
    def entry(entry_id: str, *questions: str) -> FaqEntry:
        answers = {"en": "1. A.", "id": "1. B."}
        return FaqEntry(entry_id, "network", {"en": questions, "id": questions}, answers)

    twins = [
        entry("vpn-slow", "vpn is slow", "slow vpn"),
        entry("vpn-slow-home", "vpn is slow at home", "slow vpn home"),
    ]
    assert lint_entries(twins) == []  # with the default margin the matcher tells them apart
    strict = MatchThresholds(answer=50.0, margin=40.0, clarify=30.0)
    findings = lint_entries(twins, thresholds=strict)
    assert {(f.level, f.code) for f in findings} == {(WARNING, "ambiguous-question")}
    text = "\n".join(map(str, findings))
    assert "'vpn is slow' (en) is too close to vpn-slow-home to answer at once" in text


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clean = [e for e in crafted() if e.id in ("password-reset", "printer-offline")]
    (tmp_path / "clean.yaml").write_text(dump_faq(clean), encoding="utf-8")
    (tmp_path / "crafted.yaml").write_text(CRAFTED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'helpdesk.db'}")
    monkeypatch.setenv("HELPDESK_FAQ_PATH", str(tmp_path / "crafted.yaml"))
    return tmp_path


def test_kb_lint_exit_codes(env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "lint", "crafted.yaml"])
    assert result.exit_code == 1
    assert "error   duplicate-question  email-password" in result.stdout
    assert "crafted.yaml: 4 entries, 2 error(s), 3 warning(s)." in result.stdout

    result = runner.invoke(app, ["kb", "lint", "crafted.yaml", "--errors-only"])
    assert result.exit_code == 1 and "no-steps" not in result.stdout

    result = runner.invoke(app, ["kb", "lint", "clean.yaml"])
    assert result.exit_code == 0, result.output
    assert "clean.yaml: 2 entries, 0 error(s), 0 warning(s)." in result.stdout

    result = runner.invoke(app, ["kb", "lint"])  # the stored FAQ (loaded from crafted.yaml on first start)
    assert result.exit_code == 1 and "the stored FAQ: 4 entries, 2 error(s)" in result.stdout
    result = runner.invoke(app, ["kb", "delete", "email-password", "--yes"])
    assert result.exit_code == 0
    result = runner.invoke(app, ["kb", "lint"])
    assert result.exit_code == 0 and "0 error(s), 3 warning(s)" in result.stdout

    result = runner.invoke(app, ["kb", "lint", "missing.yaml"])
    assert result.exit_code == 1 and "Cannot lint missing.yaml" in result.stderr
