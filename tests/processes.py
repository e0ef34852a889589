"""Real ``helpdesk run`` processes for the multi-process tests: their environment on the fake
Telegram Bot API, start, stop, and a few helpers to watch them."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_slack import BOT_TOKEN as SLACK_BOT_TOKEN
from tests.fake_slack import SIGNING_SECRET as SLACK_SIGNING_SECRET
from tests.fake_telegram import FakeTelegram

HELPDESK = shutil.which("helpdesk", path=str(Path(sys.executable).parent)) or "helpdesk"
DESK = -1001234567890
WEBHOOK_SECRET = "webhook-secret-for-tests"
WEBHOOK_PATH = "/telegram"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, with the desk group (import it into a test module to use it)."""
    server = FakeTelegram()
    await server.start()
    server.add_group(DESK)
    try:
        yield server
    finally:
        await server.stop()


def process_env(fake: FakeTelegram, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a `helpdesk run` on the fake Telegram (polling unless ``settings`` say
    otherwise), with the lexical matcher and no flood control."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SLACK_", "WHATSAPP_", "HELPDESK_", "OUTBOX_", "PROMETHEUS_"))
    }
    env.update(
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_API_FILE_URL=fake.base_file_url,
        TELEGRAM_DESK_CHAT_ID=str(DESK),
        TELEGRAM_MODE="polling",
        HELPDESK_LANGUAGE="id",
        HELPDESK_MATCHER="lexical",
        HELPDESK_RATE_LIMIT="",
        HELPDESK_DESK_RATE_LIMIT="",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def slack_env(api_url: str, database_url: str, port: int, desk: str, **settings: str) -> dict[str, str]:
    """The environment of a `helpdesk run` on a fake Slack, HTTP events on 127.0.0.1:``port``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SLACK_", "WHATSAPP_", "HELPDESK_", "OUTBOX_", "PROMETHEUS_"))
    }
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET=SLACK_SIGNING_SECRET,
        SLACK_API_URL=api_url,
        SLACK_HTTP_LISTEN=f"127.0.0.1:{port}",
        SLACK_DESK_CHANNEL_ID=desk,
        HELPDESK_LANGUAGE="id",
        HELPDESK_MATCHER="lexical",
        HELPDESK_RATE_LIMIT="",
        HELPDESK_DESK_RATE_LIMIT="",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def webhook_settings(port: int) -> dict[str, str]:
    """Settings of a webhook worker listening on 127.0.0.1:``port``."""
    return {
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_URL": f"https://helpdesk.example.com{WEBHOOK_PATH}",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
    }


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def start(env: dict[str, str], log: Path, *args: str) -> asyncio.subprocess.Process:
    """``helpdesk run *args`` with its output appended to ``log``."""
    handle = log.open("ab")
    return await asyncio.create_subprocess_exec(HELPDESK, "run", *args, env=env, stdout=handle, stderr=handle)


async def stop(process: asyncio.subprocess.Process, timeout: float = 15) -> int:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; the exit status."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            process.kill()
            await process.wait()
    return process.returncode if process.returncode is not None else -1
