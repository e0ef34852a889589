"""A `helpdesk run` process killed (SIGKILL) between sending a message and recording it: a second
process takes its lease over within seconds, records the uncertain attempt, and nothing is lost.

Real processes against the fake Telegram Bot API on 127.0.0.1 and the test database.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.core.records import AttemptOutcome, OutboxStatus
from bot.delivery.dispatcher import FAR_FUTURE
from storage.database import make_engine
from storage.tables import MessageRow
from storage.uow import sql_uow_factory
from tests.fake_telegram import FakeTelegram
from tests.processes import fake, process_env, start, stop

__all__ = ["fake"]  # the fixture

BUDI = 1001
LEASE_SECONDS = 2


async def test_a_worker_killed_between_send_and_record_is_taken_over_in_seconds(
    fake: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    user = fake.add_user(BUDI, "Budi")
    env = process_env(fake, database_url, OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS))
    log = tmp_path / "helpdesk.log"
    first = await start(env, log)
    second: asyncio.subprocess.Process | None = None
    try:
        fake.holds.append(("sendMessage", BUDI))
        fake.message(BUDI, user, "/start")
        await fake.wait_for(lambda: bool(fake.held), timeout=60)
        first.kill()  # SIGKILL: the greeting went out, the process never recorded it
        await first.wait()
        killed_at = time.monotonic()
        fake.release()
        second = await start(env, log)
        await fake.wait_for(lambda: len(fake.bot_messages(BUDI)) >= 2, timeout=60)
        takeover = time.monotonic() - killed_at
        # A new process starts in a few seconds; the dead one's lease ran out after LEASE_SECONDS.
        assert takeover < 20, log.read_text()
        await asyncio.sleep(1.5)  # nothing more arrives
        texts = [m["text"] for m in fake.bot_messages(BUDI)]
        # Telegram cannot tell whether a message was delivered: the one in flight is sent again,
        # once, and the uncertain attempt is on record.
        assert len(texts) == 2 and texts[0] == texts[1]
        engine = make_engine(database_url)
        try:
            with sql_uow_factory(engine)() as uow:
                assert uow.outbox.due(FAR_FUTURE, ["telegram"], limit=10) == []  # nothing left pending
                session = uow.session  # type: ignore[attr-defined]
                inbound = session.query(MessageRow).filter(MessageRow.direction == "in").count()
                greeting = next(
                    item
                    for item in (uow.outbox.get(i) for i in range(1, 20))
                    if item is not None and item.chat_id == str(BUDI)
                )
                assert greeting.status == OutboxStatus.SENT
                attempts = uow.outbox.attempts(greeting.id or 0)
                assert [a.outcome for a in attempts] == [AttemptOutcome.UNCERTAIN, AttemptOutcome.SENT]
                assert attempts[0].worker != attempts[1].worker
                assert inbound == 1  # the update the dead process took is not handled twice
        finally:
            engine.dispose()
    finally:
        fake.release()
        await stop(first)
        if second is not None:
            await stop(second)
