"""End to end: `helpdesk chat` and `helpdesk desk` as two real processes on one SQLite file."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

HELPDESK = shutil.which("helpdesk", path=str(Path(sys.executable).parent)) or "helpdesk"


class Terminal:
    """A helpdesk process we type into and read from, like a person at a terminal."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.process = subprocess.Popen(
            [HELPDESK, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def expect(self, pattern: str, timeout: float = 20.0) -> str:
        """Wait for a line matching ``pattern``; returns it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if regex.search(line):
                return line
        raise AssertionError(f"no line matching {pattern!r}; saw:\n" + "\n".join(self.seen[-40:]))

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.type("/quit")
                self.process.wait(timeout=10)
            except Exception:
                self.process.kill()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "HELPDESK_"))
    }
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'helpdesk.db'}",
        HELPDESK_LANGUAGE="id",
        # A script types faster than any person; flood control has its own tests.
        HELPDESK_RATE_LIMIT="",
        HELPDESK_DESK_RATE_LIMIT="",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(
        [HELPDESK, "db", "upgrade"], env=environment, check=True, capture_output=True, cwd=tmp_path
    )
    return environment


def test_user_and_specialist_in_two_terminals(env: dict[str, str], tmp_path: Path) -> None:
    desk = Terminal(["desk", "--name", "sari"], env)
    chat = Terminal(["chat", "--user", "budi"], env)
    try:
        desk.expect("Desk commands")
        chat.expect("Halo budi")
        chat.type("lupa password email")
        chat.expect(r"^\s*\[1\] Sudah teratasi")
        chat.type("2")  # Not solved
        chat.expect("Beberapa pertanyaan singkat")
        answers = iter(
            ["budi@example.com", "laptop kantor, outlook", "sejak tadi pagi", "Password salah", "cuma saya"]
        )
        while True:  # answer each triage question (the FAQ entry may add its own) until the ticket opens
            line = chat.expect(r"\[1\] Lewati|tiket #\d+")
            if "tiket #" in line:
                break
            chat.type(next(answers, "tidak tahu"))
        number = re.search(r"tiket #(\d+)", line).group(1)  # type: ignore[union-attr]

        desk.expect(rf"Tiket #{number} \[NORMAL\]")
        desk.type(f"/claim {number}")
        chat.expect(r"(?i)sari dari tim IT sekarang menangani tiket")
        desk.type(f"#{number} Sudah saya reset, silakan coba login lagi")
        chat.expect(r"sari \(IT, #\d+\): Sudah saya reset")
        desk.expect("Terkirim ke pengguna")
        desk.type(f"#{number} !catatan internal: akun terkunci kebijakan")
        chat.type("sudah bisa, makasih")
        desk.expect(r"budi: sudah bisa, makasih")
        desk.type(f"/resolve {number} password direset")
        chat.expect(r"menandai tiket #\d+ Anda sebagai selesai")
        chat.expect(r"^\s*\[1\] 1\s+\[2\] 2")
        chat.type("5")
        chat.expect("Terima kasih atas masukan")
        assert not any("catatan internal" in line for line in chat.seen)
    finally:
        chat.close()
        desk.close()
