"""Several `helpdesk run` processes on one PostgreSQL database (issue: many users at once).

Real processes against the fake Telegram Bot API on 127.0.0.1:

- webhook mode: three workers; users ask, press buttons and ask again, with every update posted to
  a different worker than the one before and many updates redelivered (to yet another worker, at
  the same moment): every update is answered once, each chat in order, no ticket twice;
- the same burst with one worker killed (SIGKILL) in the middle and restarted;
- polling mode with two processes: one polls at a time (the fake answers overlapping getUpdates
  with 409 Conflict, as Telegram does), the other takes over when the poller is killed;
- ``helpdesk run --workers 2``: the supervisor keeps two workers on one port, restarts one that
  dies, and ``/metrics`` adds up both.

PostgreSQL only: SQLite is for one process (``--workers`` refuses it, a test below checks that).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest

from bot.texts import text
from storage.database import make_engine
from storage.repositories.jobs import LEASE_JOB
from storage.tables import DeliveryAttemptRow, MessageRow, TicketRow
from storage.tables_jobs import JobRunRow
from storage.uow import sql_uow_factory
from tests.fake_slack import BOT_USER_ID, FakeSlack, SlackRequests, block_actions, dm_event
from tests.fake_telegram import FakeTelegram, JsonDict
from tests.processes import (
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    fake,
    free_port,
    process_env,
    slack_env,
    start,
    stop,
    webhook_settings,
)

__all__ = ["fake"]  # the fixture

SOLVED = text("id", "btn_solved")
QUESTIONS = [
    "lupa password email",
    "printer tidak bisa print",
    "wifi kantor tidak bisa konek",
    "vpn tidak bisa connect",
    "laptop lemot sekali",
]


def postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several worker processes need PostgreSQL")


class Workers:
    """Webhook workers on their own ports; posts updates the way Telegram does (again, to
    another worker, until one answers 200)."""

    def __init__(self, ports: Sequence[int], fake: FakeTelegram | None = None):
        self.ports = list(ports)
        self.fake = fake  # runs the Bot API call a webhook reply may carry, as Telegram does
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.redeliveries = 0

    async def post(self, update: JsonDict, first: int) -> None:
        """Deliver ``update``, starting with worker ``first``; give up after 60 s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        attempt = 0
        while True:
            port = self.ports[(first + attempt) % len(self.ports)]
            try:
                async with self.session.post(
                    f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
                ) as response:
                    if response.status == 200:
                        if self.fake is not None:
                            await self.fake.webhook_reply(await response.read())
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass  # that worker is gone or busy: Telegram tries again
            attempt += 1
            self.redeliveries += 1
            if loop.time() > deadline:
                raise AssertionError(f"update {update['update_id']} was never accepted")
            await asyncio.sleep(0.2)

    async def healthy(self, timeout: float = 90) -> None:
        """Wait until every worker's /healthz answers 200."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for port in self.ports:
            while True:
                try:
                    async with self.session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if loop.time() > deadline:
                    raise AssertionError(f"the worker on port {port} never became healthy")
                await asyncio.sleep(0.3)

    async def close(self) -> None:
        await self.session.close()


def answers_with_solved(fake: FakeTelegram, chat_id: int) -> list[JsonDict]:
    """The bot's messages in ``chat_id`` that still show the "solved" button."""
    return [
        m
        for m in fake.bot_messages(chat_id)
        if any(
            b["text"] == SOLVED
            for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row
        )
    ]


# The text of each user's first answer: the one "solved" is pressed on. When its worker is killed
# between sending and recording it, Telegram gets it twice, and the copy keeps its buttons.
FIRST_ANSWER: dict[int, str] = {}


def later_answers(fake: FakeTelegram, chat_id: int) -> set[str]:
    """The distinct answers with a "solved" button in ``chat_id``, but for the first answer."""
    first = FIRST_ANSWER.get(chat_id)
    return {m.get("text") or "" for m in answers_with_solved(fake, chat_id)} - {first or ""}


async def one_user(fake: FakeTelegram, workers: Workers, user_id: int, index: int) -> None:
    """Ask, press "solved" (redelivered at once to another worker), ask again (also redelivered),
    then three questions at once, each to another worker."""
    user = fake.users[user_id]
    first = fake.message(user_id, user, QUESTIONS[0], push=False)
    await workers.post(first, index)
    await fake.wait_for(lambda: len(answers_with_solved(fake, user_id)) >= 1, timeout=60)
    FIRST_ANSWER[user_id] = answers_with_solved(fake, user_id)[-1].get("text") or ""
    press = fake.press_button(user, user_id, SOLVED)
    fake.queue.remove(press)  # webhook mode: it is posted, not polled
    await asyncio.gather(workers.post(press, index + 1), workers.post(press, index + 2))
    glad = text("id", "glad_solved")
    await fake.wait_for(lambda: glad in fake.texts(user_id), timeout=60)
    second = fake.message(user_id, user, QUESTIONS[1], push=False)
    await asyncio.gather(workers.post(second, index + 2), workers.post(second, index))
    await fake.wait_for(lambda: len(later_answers(fake, user_id)) >= 1, timeout=60)
    burst = [fake.message(user_id, user, q, push=False) for q in QUESTIONS[2:]]
    await asyncio.gather(*(workers.post(u, index + k) for k, u in enumerate(burst)))
    await workers.post(first, index + 1)  # a late redelivery of the very first update


def database_state(database_url: str) -> dict[str, object]:
    engine = make_engine(database_url)
    try:
        with sql_uow_factory(engine)() as uow:
            session = uow.session  # type: ignore[attr-defined]
            inbound = Counter(
                row.chat_id for row in session.query(MessageRow).filter(MessageRow.direction == "in")
            )
            tickets = session.query(TicketRow).all()
            uncertain = (
                session.query(DeliveryAttemptRow).filter(DeliveryAttemptRow.outcome == "uncertain").count()
            )
            leases = session.query(JobRunRow).filter(JobRunRow.job == LEASE_JOB).all()
            return {
                "inbound": inbound,
                "tickets": Counter(t.requester_id for t in tickets),
                "subjects": Counter((t.requester_id, t.subject) for t in tickets),
                "uncertain": uncertain,
                "lease_holders": [row.claimed_by for row in leases],
            }
    finally:
        engine.dispose()


def check_conversations(
    fake: FakeTelegram, users: Sequence[int], state: dict[str, object], *, duplicates_allowed: int
) -> None:
    """Every question answered once and in order; no update handled twice; no ticket twice."""
    duplicates = 0
    for user_id in users:
        messages = fake.bot_messages(user_id)
        texts = [m.get("text") or "" for m in messages]
        duplicates += len(texts) - len(set(texts))
        if FIRST_ANSWER.get(user_id) in texts:  # a second copy of the first answer, unedited
            duplicates += texts.count(FIRST_ANSWER[user_id])
            texts = [t for t in texts if t != FIRST_ANSWER[user_id]]
        # q1's answer, opened by the greeting (first contact), its buttons replaced by the choice;
        # the thanks with the rating question, then one answer per later question, each still
        # asking "solved?"; all of them different.
        distinct = list(dict.fromkeys(texts))  # a message sent twice counts once here
        assert FIRST_ANSWER[user_id].startswith("Halo "), FIRST_ANSWER[user_id]
        assert distinct[0].startswith(text("id", "chosen_solved")), texts
        assert distinct[1] == text("id", "glad_solved"), texts
        assert len(distinct) == 2 + len(QUESTIONS) - 1, texts
        assert len(later_answers(fake, user_id)) == len(QUESTIONS) - 1
    assert duplicates <= duplicates_allowed
    inbound = state["inbound"]
    assert isinstance(inbound, Counter)
    for user_id in users:
        assert inbound[str(user_id)] == len(QUESTIONS) + 1  # five questions and one press, once each
    subjects = state["subjects"]
    assert isinstance(subjects, Counter) and set(subjects.values()) == {1}  # no question ticketed twice
    tickets = state["tickets"]
    assert isinstance(tickets, Counter)
    assert all(tickets[key] == len(QUESTIONS) for key in tickets) and len(tickets) == len(users)


async def start_workers(
    fake: FakeTelegram, database_url: str, log: Path, count: int
) -> tuple[list[int], list[asyncio.subprocess.Process]]:
    ports = [free_port() for _ in range(count)]
    processes = [
        await start(process_env(fake, database_url, **webhook_settings(port)), log) for port in ports
    ]
    return ports, processes


async def test_three_webhook_workers_answer_every_update_once_and_in_order(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    postgres_only(database_url)
    users = [2000 + i for i in range(16)]
    for user_id in users:
        fake.add_user(user_id, f"User {user_id}")
    log = tmp_path / "workers.log"
    ports, processes = await start_workers(fake, database_url, log, 3)
    workers = Workers(ports, fake)
    try:
        await workers.healthy()
        await asyncio.gather(*(one_user(fake, workers, u, i) for i, u in enumerate(users)))
        await fake.wait_for(
            lambda: all(len(later_answers(fake, u)) >= len(QUESTIONS) - 1 for u in users), timeout=60
        )
        await asyncio.sleep(1.0)  # nothing more arrives
        state = database_state(database_url)
        check_conversations(fake, users, state, duplicates_allowed=0)
    finally:
        await workers.close()
        for process in processes:
            await stop(process)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


async def test_a_webhook_worker_killed_mid_burst_loses_nothing(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    postgres_only(database_url)
    users = [3000 + i for i in range(20)]
    for user_id in users:
        fake.add_user(user_id, f"User {user_id}")
    log = tmp_path / "workers.log"
    ports, processes = await start_workers(fake, database_url, log, 3)
    workers = Workers(ports, fake)
    try:
        await workers.healthy()

        async def kill_and_restart() -> None:
            await fake.wait_for(lambda: sum(len(fake.bot_messages(u)) for u in users) >= 15, timeout=60)
            processes[0].kill()  # SIGKILL, in the middle of the burst
            await processes[0].wait()
            await asyncio.sleep(1.0)
            env = process_env(fake, database_url, **webhook_settings(ports[0]))
            processes[0] = await start(env, log, "--verbose")

        await asyncio.gather(
            kill_and_restart(), *(one_user(fake, workers, u, i) for i, u in enumerate(users))
        )
        await fake.wait_for(
            lambda: all(len(later_answers(fake, u)) >= len(QUESTIONS) - 1 for u in users), timeout=90
        )
        await asyncio.sleep(1.5)
        state = database_state(database_url)
        # Telegram cannot be asked whether a message arrived: a message in flight when its worker
        # died is sent again, once; those attempts are on record as uncertain.
        uncertain = state["uncertain"]
        assert isinstance(uncertain, int)
        check_conversations(fake, users, state, duplicates_allowed=uncertain)
    finally:
        await workers.close()
        for process in processes:
            await stop(process)


async def test_polling_with_two_processes_one_poller_at_a_time_and_takeover(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    postgres_only(database_url)
    users = [4000 + i for i in range(12)]
    for user_id in users:
        fake.add_user(user_id, f"User {user_id}")
    env = process_env(fake, database_url, TELEGRAM_POLL_LEASE_SECONDS="3")
    log = tmp_path / "pollers.log"
    processes = [await start(env, log), await start(env, log)]
    try:
        for user_id in users[:6]:
            fake.message(user_id, fake.users[user_id], QUESTIONS[0])
        await fake.wait_for(lambda: all(answers_with_solved(fake, u) for u in users[:6]), timeout=90)
        holders = database_state(database_url)["lease_holders"]
        assert isinstance(holders, list) and len(holders) == 1
        poller_pid = int(str(holders[0]).split(":")[1])
        poller = next(p for p in processes if p.pid == poller_pid)
        for user_id in users[6:]:
            fake.message(user_id, fake.users[user_id], QUESTIONS[0])
        poller.kill()  # SIGKILL: updates it may have fetched are not confirmed
        await poller.wait()
        await fake.wait_for(lambda: all(answers_with_solved(fake, u) for u in users), timeout=60)
        await asyncio.sleep(1.0)
        state = database_state(database_url)
        assert fake.conflicts == 0  # never two getUpdates at once
        inbound = state["inbound"]
        assert isinstance(inbound, Counter)
        duplicates = 0
        for user_id in users:
            assert inbound[str(user_id)] == 1  # fetched by both pollers perhaps, handled once
            texts = fake.texts(user_id)
            assert len(set(texts)) == 1, texts  # the answer, opened by the greeting
            assert texts[0].startswith("Halo "), texts
            duplicates += len(texts) - 1
        uncertain = state["uncertain"]
        assert isinstance(uncertain, int) and duplicates <= uncertain
        survivor_holders = state["lease_holders"]
        assert isinstance(survivor_holders, list) and survivor_holders != holders
    finally:
        for process in processes:
            await stop(process)


async def test_run_with_workers_supervises_them_on_one_port(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    postgres_only(database_url)
    port = free_port()
    env = process_env(fake, database_url, **webhook_settings(port))
    log = tmp_path / "supervisor.log"
    supervisor = await start(env, log, "--workers", "2")
    workers = Workers([port], fake)
    users = [5000 + i for i in range(10)]
    try:
        await workers.healthy()
        children = await child_pids(supervisor.pid, expected=2)
        for i, user_id in enumerate(users):
            user = fake.add_user(user_id, f"User {user_id}")
            await workers.post(fake.message(user_id, user, QUESTIONS[i % len(QUESTIONS)], push=False), 0)
        await fake.wait_for(lambda: all(answers_with_solved(fake, u) for u in users), timeout=60)
        metrics = await scrape(workers, port)
        # Either worker answers the scrape; the counters are the sum over both.
        assert events_counted(metrics) == len(users), metrics
        assert "helpdesk_turn_seconds_bucket" in metrics and "helpdesk_outbox_pending" in metrics
        subprocess.run(["kill", "-9", str(children[0])], check=True)
        restarted = await child_pids(supervisor.pid, expected=2, without=children[0])
        assert children[0] not in restarted
        await workers.healthy()
    finally:
        await workers.close()
        status = await stop(supervisor, timeout=30)
    assert status == 0, log.read_text()[-3000:]


async def child_pids(
    parent: int, expected: int, without: int | None = None, timeout: float = 60
) -> list[int]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
        pids = [int(p) for p in found if int(p) != without]
        if len(pids) >= expected:
            return pids
        if loop.time() > deadline:
            raise AssertionError(f"expected {expected} workers, found {pids}")
        await asyncio.sleep(0.3)


async def scrape(workers: Workers, port: int) -> str:
    async with workers.session.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        return await response.text()


def events_counted(metrics: str) -> int:
    total = 0.0
    for line in metrics.splitlines():
        match = re.match(r"^helpdesk_events_total\{[^}]*\}\s+([0-9.e+]+)$", line)
        if match:
            total += float(match.group(1))
    return int(total)


async def test_two_slack_http_workers_take_redeliveries_and_presses_once(
    database_url: str, tmp_path: Path
) -> None:
    postgres_only(database_url)
    fake_slack = FakeSlack()
    await fake_slack.start()
    desk = "CDESK"
    fake_slack.members[desk] = ["USARI", BOT_USER_ID]
    users = [f"UUSER{i:02d}" for i in range(12)]
    fake_slack.users.update({u: f"User {u[-2:]}" for u in users})
    ports = [free_port(), free_port()]
    log = tmp_path / "slack.log"
    processes = [await start(slack_env(fake_slack.api_url, database_url, port, desk), log) for port in ports]
    workers = Workers(ports)
    senders = [SlackRequests(f"http://127.0.0.1:{port}/slack/events") for port in ports]

    def answers(user: str) -> list[object]:
        return [m for m in fake_slack.in_channel("D" + user.removeprefix("U")) if SOLVED in m.labels]

    async def one(user: str, k: int) -> None:
        ts = senders[0].next_ts()
        event = dm_event(user, QUESTIONS[k % len(QUESTIONS)], ts)
        event_id = f"Ev{user}"
        first, again = await asyncio.gather(  # Slack resends when the first ack is slow
            senders[k % 2].event(event, event_id),
            senders[(k + 1) % 2].event(event, event_id, retry_num=1),
        )
        assert first[0] == 200 and again[0] == 200
        await fake_slack.wait_for(lambda: answers(user), timeout=60)
        message = answers(user)[0]
        button = next(b for b in message.buttons if b["text"]["text"] == SOLVED)  # type: ignore[attr-defined]
        status, _ = await senders[(k + 1) % 2].interaction(block_actions(user, user, message, button))  # type: ignore[arg-type]
        assert status == 200

    try:
        await workers.healthy()  # the Slack HTTP servers answer /healthz too
        await asyncio.gather(*(one(u, k) for k, u in enumerate(users)))
        glad = text("id", "glad_solved")
        await fake_slack.wait_for(
            lambda: all(
                any(m.shown == glad for m in fake_slack.in_channel("D" + u.removeprefix("U"))) for u in users
            ),
            timeout=60,
        )
        await asyncio.sleep(1.0)
        state = database_state(database_url)
        inbound = state["inbound"]
        assert isinstance(inbound, Counter)
        for user in users:
            channel = "D" + user.removeprefix("U")
            shown = [m.shown for m in fake_slack.in_channel(channel)]
            assert len(shown) == len(set(shown)), shown  # nothing posted twice
            assert inbound[channel] == 2, inbound  # the question (sent twice) and the press, once each
        tickets = state["tickets"]
        assert isinstance(tickets, Counter) and all(tickets[u] == 1 for u in users)
    finally:
        await workers.close()
        for process in processes:
            await stop(process)
        await fake_slack.stop()


def test_several_workers_refuse_sqlite(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "PATH": "/usr/bin:/bin",
    }
    from tests.processes import HELPDESK

    done = subprocess.run(
        [HELPDESK, "run", "--workers", "3"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "PostgreSQL" in done.stderr
    assert not (tmp_path / "h.db").exists()  # refused before touching anything


async def test_two_whatsapp_workers_on_one_port_take_redeliveries_and_presses_once(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    postgres_only(database_url)
    from tests import fake_whatsapp as wa

    graph = wa.FakeWhatsApp()
    await graph.start()
    port = free_port()
    env = process_env(
        fake,
        database_url,
        WHATSAPP_PHONE_NUMBER_ID=wa.PHONE_ID,
        WHATSAPP_ACCESS_TOKEN=wa.TOKEN,
        WHATSAPP_APP_SECRET=wa.APP_SECRET,
        WHATSAPP_VERIFY_TOKEN=wa.VERIFY_TOKEN,
        WHATSAPP_API_BASE_URL=graph.base_url,
        WHATSAPP_API_VERSION=wa.VERSION,
        WHATSAPP_WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )
    log = tmp_path / "whatsapp.log"
    supervisor = await start(env, log, "--workers", "2")
    workers = Workers([port])
    url = f"http://127.0.0.1:{port}/whatsapp/webhook"
    users = [f"62812000000{i:02d}" for i in range(12)]
    graph.open_windows.update(users)

    def answers(user: str) -> list[JsonDict]:
        return [m for m in graph.to(user) if m["type"] == "interactive"]

    async def one(user: str, k: int) -> None:
        body = wa.envelope(messages=[wa.text(user, QUESTIONS[k % len(QUESTIONS)])], names={user: f"User {k}"})
        first, again = await asyncio.gather(wa.post_webhook(url, body), wa.post_webhook(url, body))
        assert first[0] == 200 and again[0] == 200
        await fake.wait_for(lambda: answers(user), timeout=60)
        buttons = answers(user)[0]["interactive"]["action"]["buttons"]
        solved = next(b for b in buttons if b["reply"]["title"] == SOLVED)
        press = wa.envelope(
            messages=[wa.reply(user, solved["reply"]["id"], SOLVED)], names={user: f"User {k}"}
        )
        pressed = await asyncio.gather(wa.post_webhook(url, press), wa.post_webhook(url, press))
        assert [p[0] for p in pressed] == [200, 200]

    try:
        await workers.healthy()
        await child_pids(supervisor.pid, expected=2)
        await asyncio.gather(*(one(u, k) for k, u in enumerate(users)))
        glad = text("id", "glad_solved")
        await fake.wait_for(lambda: all(glad in graph.texts(u) for u in users), timeout=60)
        await asyncio.sleep(1.0)
        state = database_state(database_url)
        inbound = state["inbound"]
        assert isinstance(inbound, Counter)
        for user in users:
            shown = graph.texts(user)
            assert len(shown) == len(set(shown)), shown  # nothing sent twice
            assert inbound[user] == 2, inbound  # the question and the press, once each
    finally:
        await workers.close()
        status = await stop(supervisor, timeout=30)
        await graph.stop()
    assert status == 0, log.read_text()[-3000:]
