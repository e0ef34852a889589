"""Delivery under outages and crashes: messages lost, duplicated, the longest wait, the drain time.

``python -m benchmarks.delivery`` (or ``make bench-delivery``) runs three scenarios against the fake
Telegram Bot API on 127.0.0.1, through the real python-telegram-bot adapter:

- **outage 75 s / outage 10 min** (one process, a fake clock, so ten minutes take seconds): 30 users
  write during the outage while ``sendMessage`` answers HTTP 502; the platform then comes back. The
  wait of a message is from the moment it was decided to the moment it was sent (fake clock); the
  drain is from the platform answering again to the last backlog message sent.
- **SIGKILL during a burst** (real ``helpdesk run`` processes, wall clock): 200 users send ``/start``
  within about a second; the process is killed with SIGKILL three times while it answers, and
  restarted at once each time. The wait is from the update being offered to the user's answer
  arriving at the fake.

A duplicate is a message the fake received more often than the outbox decided it; a lost one was
decided but never arrived (or arrived for no decision: a user with no answer at all).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.app import build, prepare_database
from bot.core.ports import UnitOfWorkFactory
from bot.core.records import OutboxStatus
from bot.delivery.dispatcher import FAR_FUTURE, OutboxDispatcher
from bot.settings import Settings
from handlers.telegram_adapter import TelegramChannel
from storage.database import make_engine, upgrade
from storage.tables import OutboxRow
from storage.uow import sql_uow_factory
from tests.fake_telegram import FakeTelegram
from tests.fakes import FixedClock
from tests.processes import process_env, start, stop

DESK = -1001234567890
FIRST_USER = 5000


@dataclass
class Figures:
    """What one scenario measured."""

    scenario: str
    decided: int
    lost: int
    duplicated: int
    longest_wait_s: float
    p50_wait_s: float
    drain_s: float | None
    note: str

    def line(self) -> str:
        drain = "-" if self.drain_s is None else f"{self.drain_s:.1f}"
        return (
            f"| {self.scenario} | {self.decided} | {self.lost} | {self.duplicated} | "
            f"{self.p50_wait_s:.1f} | {self.longest_wait_s:.1f} | {drain} | {self.note} |"
        )


HEADER = (
    "| scenario | messages decided | lost | duplicated | median wait s | longest wait s | "
    "drain s | notes |\n|---|---|---|---|---|---|---|---|"
)


@contextmanager
def database(url: str) -> Iterator[str]:
    """A fresh, migrated database: a temporary SQLite file, or a private schema on PostgreSQL."""
    if not url:
        with tempfile.TemporaryDirectory() as folder:
            sqlite = f"sqlite:///{Path(folder) / 'bench.db'}"
            upgrade(sqlite)
            yield sqlite
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    joiner = "&" if "?" in url else "?"
    private = f"{url}{joiner}options=-csearch_path%3D{schema}"
    try:
        upgrade(private)
        yield private
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def outbox_rows(uow_factory: UnitOfWorkFactory) -> list[OutboxRow]:
    """Every outbox row, oldest first."""
    with uow_factory() as uow:
        session = uow.session  # type: ignore[attr-defined]
        rows: list[OutboxRow] = session.query(OutboxRow).order_by(OutboxRow.id).all()
        session.expunge_all()
        return rows


def count_duplicates(fake: FakeTelegram, rows: list[OutboxRow]) -> tuple[int, int]:
    """(lost, duplicated): decided texts per chat against what the fake received."""
    decided: Counter[tuple[str, str]] = Counter()
    for row in rows:
        decided[(row.chat_id, str(row.payload.get("text", "")).split("\n")[0])] += 1
    delivered: Counter[tuple[str, str]] = Counter()
    for (chat_id, _), message in fake.messages.items():
        if message["from"].get("is_bot") and "text" in message:
            delivered[(str(chat_id), message["text"].split("\n")[0])] += 1
    lost = sum(max(0, n - delivered[key]) for key, n in decided.items())
    duplicated = sum(max(0, n - decided[key]) for key, n in delivered.items())
    return lost, duplicated


async def outage(seconds: int, database_url: str, users: int = 30) -> Figures:
    """``users`` write during a ``seconds`` long outage of sendMessage; the platform comes back."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_group(DESK)
    people = {FIRST_USER + i: fake.add_user(FIRST_USER + i, f"User {i}") for i in range(users)}
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_DESK_CHAT_ID=str(DESK),
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_API_FILE_URL=fake.base_file_url,
        TELEGRAM_MODE="polling",
        HELPDESK_LANGUAGE="id",
        HELPDESK_MATCHER="lexical",
        HELPDESK_RATE_LIMIT="",
        HELPDESK_DESK_RATE_LIMIT="",
    )
    uow_factory = prepare_database(settings)
    channel = TelegramChannel.from_settings(settings)
    channel.poll_timeout = 1
    channel.retry_seconds = 0.01
    clock = FixedClock()
    helpdesk = build(
        settings,
        uow_factory,
        {"telegram": channel.sender},
        directories={"telegram": channel.directory} if channel.directory else {},
        clock=clock,  # type: ignore[arg-type]
        channels=[channel],
    )
    await channel.start(helpdesk.engine)
    dispatcher = helpdesk.dispatcher
    try:
        fake.down["sendMessage"] = 502
        writers = list(people.items())
        spacing = max(1, int(seconds * 0.6) // len(writers))
        elapsed = 0
        while elapsed < seconds:
            if writers and elapsed % spacing == 0:
                user_id, user = writers.pop(0)
                for words in ("/start", "lupa password email"):
                    await fake.wait_processed(fake.message(user_id, user, words), timeout=30)
            await tick(dispatcher, clock, 1)
            elapsed += 1
        calls_in_outage = len(fake.calls_to("sendMessage"))
        del fake.down["sendMessage"]
        recovered_at = clock.now()
        started = time.perf_counter()
        for _ in range(600):
            await tick(dispatcher, clock, 1)
            with uow_factory() as uow:
                if not uow.outbox.due(FAR_FUTURE, ["telegram"], limit=1):
                    break
        wall = time.perf_counter() - started
        rows = outbox_rows(uow_factory)
        lost, duplicated = count_duplicates(fake, rows)
        lost += sum(1 for row in rows if row.status != OutboxStatus.SENT)
        waits = [
            (row.sent_at - row.created_at).total_seconds()
            for row in rows
            if row.sent_at is not None and row.created_at is not None
        ]
        drained = max((row.sent_at for row in rows if row.sent_at is not None), default=recovered_at)
        attempts = sum(row.attempts for row in rows)
        return Figures(
            scenario=f"outage {seconds} s (fake clock)",
            decided=len(rows),
            lost=lost,
            duplicated=duplicated,
            longest_wait_s=max(waits, default=0.0),
            p50_wait_s=statistics.median(waits) if waits else 0.0,
            drain_s=_seconds(drained - recovered_at),
            note=(
                f"{users} users wrote during it; {calls_in_outage} sendMessage calls in the outage, "
                f"{attempts} attempts recorded; backlog sent in {wall:.1f} s wall time"
            ),
        )
    finally:
        await channel.stop()
        await fake.stop()
        helpdesk_engine = getattr(uow_factory, "engine", None)
        if helpdesk_engine is not None:
            helpdesk_engine.dispose()


def _seconds(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds())


async def tick(dispatcher: OutboxDispatcher, clock: FixedClock, seconds: float) -> None:
    """One second of fake time and the dispatcher passes it allows."""
    clock.advance(seconds=seconds)
    for _ in range(50):
        if not await dispatcher.run_once():
            break


async def sigkill_burst(database_url: str, users: int = 200, kills: int = 3) -> Figures:
    """``users`` send /start at once; ``helpdesk run`` is SIGKILLed ``kills`` times while answering."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_group(DESK)
    people = {FIRST_USER + i: fake.add_user(FIRST_USER + i, f"User {i}") for i in range(users)}
    env = process_env(fake, database_url, OUTBOX_LEASE_SECONDS="2")
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "helpdesk.log"
        process = await start(env, log)
        offered: dict[int, float] = {}
        answered: dict[int, float] = {}

        def watch() -> int:
            now = time.monotonic()
            for user_id in people:
                if user_id not in answered and fake.bot_messages(user_id):
                    answered[user_id] = now
            return len(answered)

        try:
            await fake.wait_for(lambda: bool(fake.calls_to("getUpdates")), timeout=60)
            for user_id, user in people.items():
                fake.message(user_id, user, "/start")
                offered[user_id] = time.monotonic()
                await asyncio.sleep(0.005)
            marks = [users * (k + 1) // (kills + 1) for k in range(kills)]
            for mark in marks:
                deadline = time.monotonic() + 120
                while watch() < mark and time.monotonic() < deadline:
                    await asyncio.sleep(0.01)
                process.kill()
                await process.wait()
                process = await start(env, log)
            deadline = time.monotonic() + 120
            while watch() < users and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(3)  # let anything late (a resend) arrive
            watch()
        finally:
            await stop(process)
    engine = make_engine(database_url)
    try:
        rows = outbox_rows(sql_uow_factory(engine))
        with sql_uow_factory(engine)() as uow:
            uncertain = sum(
                1
                for row in rows
                for attempt in uow.outbox.attempts(row.id or 0)
                if attempt.outcome == "uncertain"
            )
    finally:
        engine.dispose()
        await fake.stop()
    lost, duplicated = count_duplicates(fake, rows)
    lost += users - len(answered)
    waits = [answered[u] - offered[u] for u in answered]
    return Figures(
        scenario=f"SIGKILL x{kills} during a burst of {users} users (real processes)",
        decided=len(rows),
        lost=lost,
        duplicated=duplicated,
        longest_wait_s=max(waits, default=0.0),
        p50_wait_s=statistics.median(waits) if waits else 0.0,
        drain_s=None,
        note=(
            f"{uncertain} sends left uncertain by a kill (taken over after the lease); "
            "restart of the process included in the waits"
        ),
    )


async def run(database_url: str) -> list[Figures]:
    """All scenarios, one fresh database each."""
    figures = []
    for seconds in (75, 600):
        with database(database_url) as url:
            figures.append(await outage(seconds, url))
            print(figures[-1].line(), flush=True)
    with database(database_url) as url:
        figures.append(await sigkill_burst(url))
        print(figures[-1].line(), flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the delivery figures as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="PostgreSQL server to run on (a private schema is made); default: a temporary SQLite file",
    )
    args = parser.parse_args(argv)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"Delivery benchmark on {backend}, {datetime.now().date()}, {os.cpu_count()} cores\n")
    print(HEADER, flush=True)
    asyncio.run(run(args.database_url))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
