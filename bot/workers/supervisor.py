"""``helpdesk run --workers N``: N worker processes on one PostgreSQL database.

The supervisor does no chat work itself. It starts N copies of ``helpdesk run`` (each a whole
helpdesk: channels, engine, dispatcher, jobs), restarts one that dies (with a growing pause when
it keeps dying at once), and passes SIGTERM/SIGINT on for a clean stop. The workers share the
webhook ports (SO_REUSEPORT), keep each conversation in order with database locks, and share the
outbox, the scheduled jobs and the Telegram poller lease through the database, so any of them may
die at any moment. Their Prometheus counters go to one directory (``PROMETHEUS_MULTIPROC_DIR``)
so that any worker's ``/metrics`` shows the whole.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)

WORKER_INDEX_ENV = "HELPDESK_WORKER_INDEX"


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float = 0.0


@dataclass
class Supervisor:
    """Keeps ``workers`` copies of ``command`` running until told to stop."""

    command: Sequence[str]
    workers: int
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    stable_seconds: float = 30.0  # a worker that lived this long died of something new: restart at once
    max_pause_seconds: float = 30.0
    stop_grace_seconds: float = 20.0
    _stopping: bool = False
    _pool: list[_Worker] = field(default_factory=list)

    def run(self) -> int:
        """Run until SIGTERM or SIGINT; returns the exit status for the command line."""
        metrics_dir = tempfile.mkdtemp(prefix="helpdesk-metrics-")
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._pool = [_Worker(i) for i in range(self.workers)]
            while not self._stopping:
                now = time.monotonic()
                for worker in self._pool:
                    self._tend(worker, now, metrics_dir)
                time.sleep(0.2)
            return self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            shutil.rmtree(metrics_dir, ignore_errors=True)

    def pids(self) -> list[int]:
        """The process ids of the running workers."""
        return [w.process.pid for w in self._pool if w.process is not None and w.process.poll() is None]

    def _tend(self, worker: _Worker, now: float, metrics_dir: str) -> None:
        process = worker.process
        if process is not None:
            code = process.poll()
            if code is None:
                return
            lived = now - worker.started
            worker.quick_deaths = 0 if lived >= self.stable_seconds else worker.quick_deaths + 1
            pause = min(self.max_pause_seconds, 0.5 * 2**worker.quick_deaths) if worker.quick_deaths else 0
            log.warning(
                "worker %s (pid %s) ended with status %s after %.0f s; restarting in %.1f s",
                worker.index,
                process.pid,
                code,
                lived,
                pause,
            )
            worker.process = None
            worker.restart_at = now + pause
        if now < worker.restart_at:
            return
        env = dict(self.env)
        env.update(
            HELPDESK_WORKERS="1",
            PROMETHEUS_MULTIPROC_DIR=metrics_dir,
            **{WORKER_INDEX_ENV: str(worker.index)},
        )
        worker.process = subprocess.Popen(list(self.command), env=env)
        worker.started = now
        log.info("worker %s started (pid %s)", worker.index, worker.process.pid)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _stop_all(self) -> int:
        running = [w.process for w in self._pool if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace_seconds
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %s did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()
        return 0
