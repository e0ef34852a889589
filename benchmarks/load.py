"""Many users at once: the 9:00 burst through the real Telegram webhook, and the cost of a turn.

``python -m benchmarks.load`` (or ``make bench-load``) measures two things:

- **Burst** (real ``helpdesk run`` processes, webhook mode, the fake Bot API on 127.0.0.1 in this
  process): ``--users`` users arrive evenly within ``--seconds``; each asks one FAQ question and,
  once answered, presses "solved". Updates are posted the way Telegram does (at most
  ``TELEGRAM_WEBHOOK_MAX_CONNECTIONS`` at once, again on any answer but 200). Measured: messages/s
  (updates answered per second of the burst), time from posting an update to its reply arriving
  at the fake (p50/p95/p99), the time an event spends in the engine, p50 (from the workers'
  ``/metrics``: its turn and the wait for its batch; a turn alone is the cost table's), the workers' CPU
  (cores busy during the burst) and their peak RSS. Configurations: SQLite with one process;
  PostgreSQL (``--database-url`` or ``BENCH_DATABASE_URL``) with one and with two workers
  (``helpdesk run --workers 2``, one shared port).
- **Turn cost against history** (in this process, no network): the same question-and-press turns
  with 1,000 and with 100,000 tickets already stored; p50 and mean ms per message, and the
  statements of those turns that scan a table instead of using an index (``EXPLAIN``).

The load generator and the fake share the machine with the workers and the database: on two cores
the figures are what one small server does with everything on it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import event, insert, text

from benchmarks.delivery import database
from bot.app import build, prepare_database
from bot.core.types import ButtonPress, ChannelAddress, InboundMessage, UserRef
from bot.settings import Settings
from bot.texts import text as say
from storage.database import make_engine
from storage.tables import MessageRow, TicketRow
from storage.uow import sql_uow_factory
from tests.fake_telegram import FakeTelegram, JsonDict
from tests.fakes import RecordingSender
from tests.processes import (
    DESK,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    free_port,
    process_env,
    start,
    stop,
    webhook_settings,
)

QUESTIONS = (
    "lupa password email",
    "printer tidak bisa print",
    "wifi kantor tidak bisa konek",
    "vpn tidak bisa connect",
    "laptop lemot sekali",
    "cara reset password",
    "outlook tidak bisa kirim email",
    "akun terkunci",
)
SOLVED = say("id", "btn_solved")
GLAD = say("id", "glad_solved")
FIRST_USER = 100_000


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))]


# ---------------------------------------------------------------------------------- burst
@dataclass
class BurstFigures:
    """What one burst measured."""

    setup: str
    matcher: str
    users: int
    answered: int
    lost: int
    duplicated: int
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    turn_p50_ms: float
    cores: float
    rss_mb: float

    def line(self) -> str:
        return (
            f"| {self.setup} | {self.matcher} | {self.users} | {self.answered} | {self.lost} | "
            f"{self.duplicated} | {self.per_second:.0f} | {self.p50_ms:.0f} | {self.p95_ms:.0f} | "
            f"{self.p99_ms:.0f} | {self.turn_p50_ms:.1f} | {self.cores:.2f} | {self.rss_mb:.0f} |"
        )


BURST_HEADER = (
    "| setup | matcher | users | answered | lost | duplicated | messages/s | p50 ms | p95 ms | "
    "p99 ms | in engine p50 ms | CPU cores | RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


class ReplyWatch:
    """Futures resolved when the fake stores the reply a user waits for."""

    def __init__(self, fake: FakeTelegram):
        self.waiting: dict[tuple[int, str], asyncio.Future[float]] = {}
        self.seen: dict[tuple[int, str], int] = {}
        fake.listeners.append(self._stored)

    def expect(self, chat_id: int, kind: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[(chat_id, kind)] = future
        return future

    def _stored(self, chat_id: int, message: JsonDict) -> None:
        if not message["from"].get("is_bot"):
            return
        kind = "glad" if message.get("text") == GLAD else "answer" if _has_solved(message) else ""
        if not kind:
            return
        self.seen[(chat_id, kind)] = self.seen.get((chat_id, kind), 0) + 1
        future = self.waiting.pop((chat_id, kind), None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


def _has_solved(message: JsonDict) -> bool:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return any(button["text"] == SOLVED for row in rows for button in row)


class Poster:
    """Posts updates to the webhook as Telegram does: at most ``connections`` at once, again until 200."""

    def __init__(self, port: int, connections: int, fake: FakeTelegram):
        self.url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        self.fake = fake  # runs the Bot API call a webhook reply may carry, as Telegram does
        self.gate = asyncio.Semaphore(connections)
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections), timeout=aiohttp.ClientTimeout(total=60)
        )
        self.retries = 0

    async def post(self, update: JsonDict) -> None:
        for _ in range(100):
            async with self.gate:
                with suppress(aiohttp.ClientError, TimeoutError):
                    async with self.session.post(
                        self.url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
                    ) as response:
                        if response.status == 200:
                            await self.fake.webhook_reply(await response.read())
                            return
            self.retries += 1
            await asyncio.sleep(0.2)
        raise RuntimeError(f"update {update['update_id']} never accepted")

    async def healthy(self, port: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with suppress(aiohttp.ClientError):
                async with self.session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.5)
        raise RuntimeError("the helpdesk never became healthy")

    async def metrics(self, port: int) -> str:
        async with self.session.get(f"http://127.0.0.1:{port}/metrics") as response:
            return await response.text()


def histogram(metrics: str, name: str) -> dict[float, float]:
    """Cumulative bucket counts of histogram ``name``, summed over its label sets."""
    buckets: dict[float, float] = {}
    pattern = re.compile(rf"^{name}_bucket\{{(?P<labels>[^}}]*)\}}\s+(?P<n>[0-9.e+]+)$")
    for line in metrics.splitlines():
        match = pattern.match(line)
        if match:
            le = re.search(r'le="([^"]+)"', match.group("labels"))
            if le:
                bound = float("inf") if le.group(1) == "+Inf" else float(le.group(1))
                buckets[bound] = buckets.get(bound, 0.0) + float(match.group("n"))
    return buckets


def histogram_p50(before: dict[float, float], after: dict[float, float]) -> float:
    """The median of what was observed between two scrapes, interpolated within its bucket (ms)."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    if total <= 0:
        return float("nan")
    half = total / 2
    lower, below = 0.0, 0.0
    for bound, cumulative in zip(bounds, counts, strict=True):
        if cumulative >= half:
            if bound == float("inf"):
                return lower * 1000
            inside = cumulative - below
            share = (half - below) / inside if inside else 0.0
            return (lower + (bound - lower) * share) * 1000
        lower, below = bound, cumulative
    return float("nan")


class ProcessWatch:
    """CPU seconds and peak RSS of a process and its children, from ``/proc``."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_rss = 0
        self.tick = os.sysconf("SC_CLK_TCK")

    def pids(self) -> list[int]:
        found = [self.pid]
        with suppress(OSError):
            for child in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split():
                found.append(int(child))
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            with suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / self.tick
        return total

    def sample_rss(self) -> None:
        total = 0
        for pid in self.pids():
            with suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        self.peak_rss = max(self.peak_rss, total)


async def burst(
    database_url: str,
    *,
    workers: int,
    users: int,
    seconds: float,
    matcher: str,
    connections: int,
    turn_threads: str | None = None,
) -> BurstFigures:
    """One burst against fresh ``helpdesk run`` workers on ``database_url``."""
    fake = FakeTelegram()
    await fake.start()
    fake.add_group(DESK)
    people = {FIRST_USER + i: fake.add_user(FIRST_USER + i, f"User {i}") for i in range(users + 20)}
    port = free_port()
    env = process_env(
        fake,
        database_url,
        HELPDESK_MATCHER=matcher,
        TELEGRAM_WEBHOOK_MAX_CONNECTIONS=str(connections),
        **({} if turn_threads is None else {"HELPDESK_TURN_THREADS": turn_threads}),
        **webhook_settings(port),
    )
    watch = ReplyWatch(fake)
    poster = Poster(port, connections, fake)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "helpdesk.log"
        args = ("--workers", str(workers)) if workers > 1 else ()
        process = await start(env, log, *args)
        proc = ProcessWatch(process.pid)
        try:
            await poster.healthy(port)
            await asyncio.sleep(1.0 if workers == 1 else 3.0)  # every worker listening
            ids = list(people)
            warm, measured = ids[:20], ids[20:]
            await asyncio.gather(*(one_user(fake, poster, watch, u, k) for k, u in enumerate(warm)))
            before = histogram(await poster.metrics(port), "helpdesk_turn_seconds")
            cpu_before = proc.cpu_seconds()
            started = time.perf_counter()

            async def sample() -> None:
                while True:
                    proc.sample_rss()
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            results = await asyncio.gather(
                *(
                    arrive(fake, poster, watch, user_id, k, started + seconds * k / len(measured))
                    for k, user_id in enumerate(measured)
                ),
                return_exceptions=True,
            )
            finished = time.perf_counter()
            cpu = proc.cpu_seconds() - cpu_before
            sampler.cancel()
            after = histogram(await poster.metrics(port), "helpdesk_turn_seconds")
            await asyncio.sleep(2.0)  # anything sent twice arrives now
        finally:
            await poster.session.close()
            await stop(process, timeout=30)
            await fake.stop()
        if "Traceback" in log.read_text():
            print(log.read_text()[-4000:], file=sys.stderr)
    latencies = [x for r in results if isinstance(r, list) for x in r]
    answered = sum(1 for r in results if isinstance(r, list))
    duplicated = sum(max(0, n - 1) for key, n in watch.seen.items() if key[0] in set(measured))
    window = finished - started
    backend = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    return BurstFigures(
        setup=f"{backend}, {workers} {'worker' if workers == 1 else 'workers'}",
        matcher=matcher,
        users=len(measured),
        answered=answered,
        lost=len(measured) - answered,
        duplicated=duplicated,
        per_second=len(latencies) / window if window else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        turn_p50_ms=histogram_p50(before, after),
        cores=cpu / window if window else 0.0,
        rss_mb=proc.peak_rss / 2**20,
    )


async def arrive(
    fake: FakeTelegram, poster: Poster, watch: ReplyWatch, user_id: int, k: int, at: float
) -> list[float]:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    return await one_user(fake, poster, watch, user_id, k)


async def one_user(
    fake: FakeTelegram, poster: Poster, watch: ReplyWatch, user_id: int, k: int
) -> list[float]:
    """Ask, wait for the answer, press "solved", wait for the thanks: the two latencies (s)."""
    user = fake.users[user_id]
    answer = watch.expect(user_id, "answer")
    asked = time.perf_counter()
    await poster.post(fake.message(user_id, user, QUESTIONS[k % len(QUESTIONS)], push=False))
    answered = await asyncio.wait_for(answer, 120)
    message = next(m for m in reversed(fake.bot_messages(user_id)) if _has_solved(m))
    data = next(
        b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == SOLVED
    )
    glad = watch.expect(user_id, "glad")
    pressed = time.perf_counter()
    await poster.post(fake.press(user, message, data, push=False))
    thanked = await asyncio.wait_for(glad, 120)
    return [answered - asked, thanked - pressed]


# ---------------------------------------------------------------------------- turn cost
@dataclass
class CostFigures:
    """Engine turns with ``tickets`` already stored."""

    backend: str
    matcher: str
    tickets: int
    turns: int
    p50_ms: float
    mean_ms: float
    scans: list[str]
    explained: int

    def line(self) -> str:
        scans = "; ".join(self.scans) if self.scans else f"none (of {self.explained} statements)"
        return (
            f"| {self.backend} | {self.matcher} | {self.tickets:,} | {self.turns} | {self.p50_ms:.2f} | "
            f"{self.mean_ms:.2f} | {scans} |"
        )


COST_HEADER = (
    "| database | matcher | stored tickets | turns | turn p50 ms | turn mean ms "
    "| table scans on the hot path |\n|---|---|---|---|---|---|---|"
)


def seed_tickets(database_url: str, count: int) -> None:
    """``count`` resolved tickets of 10,000 earlier users, two messages each, in bulk."""
    engine = make_engine(database_url)
    now = datetime.now(UTC) - timedelta(days=30)
    try:
        with engine.begin() as connection:
            for start_at in range(0, count, 5000):
                chunk = range(start_at, min(count, start_at + 5000))
                tickets = [
                    {
                        "requester_platform": "telegram",
                        "requester_id": str(500_000 + i % 10_000),
                        "requester_name": f"Earlier {i % 10_000}",
                        "user_chat_id": str(500_000 + i % 10_000),
                        "subject": QUESTIONS[i % len(QUESTIONS)],
                        "status": "resolved",
                        "context": {},
                        "created_at": now + timedelta(seconds=i),
                        "resolved_at": now + timedelta(seconds=i + 60),
                        "updated_at": now + timedelta(seconds=i + 60),
                    }
                    for i in chunk
                ]
                connection.execute(insert(TicketRow), tickets)
                messages = [
                    {
                        "direction": direction,
                        "platform": "telegram",
                        "chat_id": str(500_000 + i % 10_000),
                        "user_id": str(500_000 + i % 10_000),
                        "text": QUESTIONS[i % len(QUESTIONS)],
                        "event_id": f"seed-{direction}-{i}" if direction == "in" else None,
                        "at": now + timedelta(seconds=i),
                    }
                    for i in chunk
                    for direction in ("in", "out")
                ]
                connection.execute(insert(MessageRow), messages)
    finally:
        engine.dispose()


class StatementLog:
    """The distinct statements run on ``engine`` while active, with parameters of the first use."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.active = False
        self.statements: dict[str, Any] = {}
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if self.active and statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            self.statements.setdefault(statement, parameters)

    def scans(self, big_tables: set[str]) -> tuple[list[str], int]:
        """Statements whose plan reads the whole of a big table, and how many statements were
        explained. SQLite: ``SCAN <table>`` (with or without an index: both read it all);
        PostgreSQL: ``Seq Scan on <table>``."""
        found: list[str] = []
        explained = 0
        postgres = self.engine.dialect.name == "postgresql"
        with self.engine.connect() as connection:
            raw = connection.connection.driver_connection
            for statement, parameters in self.statements.items():
                if "pg_advisory" in statement:
                    continue
                cursor = raw.cursor()
                try:
                    cursor.execute(
                        ("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters
                    )
                    plan = " ".join(str(part) for row in cursor.fetchall() for part in row)
                except Exception as error:
                    print(f"  (could not explain: {type(error).__name__}: {statement[:80]})", file=sys.stderr)
                    raw.rollback()
                    continue
                explained += 1
                for table in big_tables:
                    if (f"Seq Scan on {table} " if postgres else f"SCAN {table}") in plan + " ":
                        where = " ".join(statement.split())
                        found.append(f"{table}: {where[:50]}... {where[where.find(' WHERE ') :][:70]}")
        return sorted(set(found)), explained


async def turn_cost(database_url: str, tickets: int, matcher: str, users: int = 300) -> CostFigures:
    """Question-and-press turns of ``users`` new users with ``tickets`` stored before."""
    if tickets:
        seed_tickets(database_url, tickets)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DATABASE_URL=database_url,
        TELEGRAM_DESK_CHAT_ID=str(DESK),
        HELPDESK_LANGUAGE="id",
        HELPDESK_MATCHER=matcher,
        HELPDESK_RATE_LIMIT="",
        HELPDESK_DESK_RATE_LIMIT="",
    )
    prepare_database(settings)
    engine = make_engine(database_url)
    uow_factory = sql_uow_factory(engine)
    sender = RecordingSender("telegram")
    helpdesk = build(settings, uow_factory, {"telegram": sender})
    log = StatementLog(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    times: list[float] = []
    for k in range(users):
        who = UserRef("telegram", str(FIRST_USER + k), f"User {k}")
        where = ChannelAddress("telegram", str(FIRST_USER + k))
        question = InboundMessage(
            where, who, QUESTIONS[k % len(QUESTIONS)], str(k), event_id=uuid.uuid4().hex
        )
        log.active = k >= 20
        began = time.perf_counter()
        await helpdesk.engine.handle(question)
        if k >= 20:
            times.append(time.perf_counter() - began)
        before = len(sender.sent)
        await helpdesk.dispatcher.run_once()
        button = next(
            (
                (b, s.message_id)
                for s in sender.sent[before:]
                for b in s.message.buttons or ()
                if b.label == SOLVED
            ),
            None,
        )
        if button is None:
            continue
        press = ButtonPress(where, who, button[0].action, button[0].value, button[1], uuid.uuid4().hex)
        began = time.perf_counter()
        await helpdesk.engine.handle(press)
        if k >= 20:
            times.append(time.perf_counter() - began)
        await helpdesk.dispatcher.run_once()
    log.active = False
    scans, explained = log.scans({"tickets", "messages"})
    engine.dispose()
    return CostFigures(
        backend="SQLite" if database_url.startswith("sqlite") else "PostgreSQL",
        matcher=matcher,
        tickets=tickets,
        turns=len(times),
        p50_ms=statistics.median(times) * 1000,
        mean_ms=statistics.mean(times) * 1000,
        scans=scans,
        explained=explained,
    )


def burst_setups(spec: str, database_url: str) -> list[tuple[str, int]]:
    """The burst's (database URL, workers) pairs named by ``--setups``, e.g. ``sqlite:1,pg:2``.

    PostgreSQL setups are skipped without a database URL.
    """
    setups: list[tuple[str, int]] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        backend, _, workers = item.partition(":")
        if backend not in ("sqlite", "pg"):
            raise SystemExit(f"--setups: {item!r} is not sqlite:N or pg:N")
        if backend == "pg" and not database_url:
            continue
        setups.append(("" if backend == "sqlite" else database_url, int(workers or 1)))
    return setups


async def run(args: argparse.Namespace) -> None:
    matchers = [m.strip() for m in args.matchers.split(",") if m.strip()]
    if not args.skip_cost:
        print(COST_HEADER, flush=True)
        for backend_url in [""] + ([args.database_url] if args.database_url else []):
            for matcher in matchers:
                for tickets in (1000, 100_000):
                    with database(backend_url) as url:
                        print((await turn_cost(url, tickets, matcher)).line(), flush=True)
        print(flush=True)
    if not args.skip_burst:
        print(BURST_HEADER, flush=True)
        setups = burst_setups(args.setups, args.database_url)
        for matcher in matchers:
            for backend_url, workers in setups:
                with database(backend_url) as url:
                    figures = await burst(
                        url,
                        workers=workers,
                        users=args.users,
                        seconds=args.seconds,
                        matcher=matcher,
                        connections=args.connections,
                        turn_threads=args.turn_threads,
                    )
                    print(figures.line(), flush=True)


def main(argv: list[str] | None = None) -> int:
    """Print the load figures as Markdown tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="PostgreSQL server (a private schema is made); without it only SQLite runs",
    )
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--connections", type=int, default=40, help="webhook connections at once (Telegram's default)"
    )
    parser.add_argument("--matchers", default="lexical,semantic")
    parser.add_argument(
        "--turn-threads", default=None, help="HELPDESK_TURN_THREADS of the workers (default: auto)"
    )
    parser.add_argument(
        "--setups", default="sqlite:1,pg:1,pg:2", help="burst setups: sqlite:1, pg:N (workers)"
    )
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-burst", action="store_true")
    args = parser.parse_args(argv)
    print(f"Load benchmark, {datetime.now().date()}, {os.cpu_count()} cores\n", flush=True)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
