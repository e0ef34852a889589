"""The bot's Bot API transport (``handlers.telegram_request.AiohttpRequest``) against a local
server: python-telegram-bot's own request building and answer parsing on top of it, files as
multipart, and timeouts and refused connections as the errors python-telegram-bot expects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut

from handlers.telegram_request import AiohttpRequest
from tests.processes import free_port

TOKEN = "123:abc"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    seen: list[dict[str, object]] = []

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if name == "slow":
            await asyncio.sleep(2)
        form = await request.post()
        fields = {
            k: (v.filename, len(v.file.read())) if isinstance(v, web.FileField) else v
            for k, v in form.items()
        }
        seen.append({"method": name, "content_type": request.content_type, **fields})
        if name == "getMe":
            user = {"id": 1, "is_bot": True, "first_name": "Helpdesk", "username": "helpdesk_bot"}
            return web.json_response({"ok": True, "result": user})
        if name == "sendMessage":
            message = {
                "message_id": 7,
                "date": 0,
                "chat": {"id": int(str(fields["chat_id"])), "type": "private"},
            }
            return web.json_response({"ok": True, "result": {**message, "text": fields["text"]}})
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/bot", seen
    finally:
        await runner.cleanup()


async def test_calls_go_out_form_encoded_and_files_as_multipart(
    server: tuple[str, list[dict[str, object]]],
) -> None:
    url, seen = server
    async with Bot(TOKEN, base_url=url, request=AiohttpRequest(8)) as bot:
        sent = await bot.send_message(42, "Halo, ada yang bisa dibantu?")
        assert (sent.message_id, sent.chat.id, sent.text) == (7, 42, "Halo, ada yang bisa dibantu?")
        await bot.send_document(42, InputFile(b"%PDF-1.4 body", filename="panduan.pdf"), caption="Panduan")
    message = next(s for s in seen if s["method"] == "sendMessage")
    assert message["content_type"] == "application/x-www-form-urlencoded"
    assert (message["chat_id"], message["text"]) == ("42", "Halo, ada yang bisa dibantu?")
    document = next(s for s in seen if s["method"] == "sendDocument")
    assert document["content_type"] == "multipart/form-data"
    assert document["caption"] == "Panduan"
    assert document["document"] == ("panduan.pdf", len(b"%PDF-1.4 body"))


async def test_a_slow_answer_times_out_and_a_refused_connection_is_a_network_error(
    server: tuple[str, list[dict[str, object]]],
) -> None:
    url, _ = server
    request = AiohttpRequest(4, read_timeout=0.3, write_timeout=0.0)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{url}{TOKEN}/slow")
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):  # after shutdown
        await request.post(f"{url}{TOKEN}/getMe")
