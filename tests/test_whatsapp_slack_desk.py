"""A WhatsApp user served by a Slack desk: the WhatsApp webhook rides on the Slack HTTP server
(both listen on the same address), escalation makes a card thread in the desk channel, the
specialist's thread reply reaches WhatsApp, and files pass both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import bot.app as app_module
from bot import texts
from bot.app import build, platform_channels
from bot.core.ports import UnitOfWorkFactory
from bot.faq.importing import import_entries
from bot.settings import Settings
from handlers.slack_adapter import SlackChannel
from handlers.whatsapp_adapter import WhatsAppChannel
from handlers.whatsapp_format import escape
from tests import fake_whatsapp as wa
from tests.fake_slack import BOT_TOKEN, BOT_USER_ID, SIGNING_SECRET, FakeSlack, SlackRequests, channel_event
from tests.fakes import SAMPLE_FAQ, KeywordFinder

DESK = "CDESK"
SARI = "USARI"
WATI = "6281298765432"


def t(key: str, **fields: Any) -> str:
    return texts.text("en", key, c="/helpdesk ", **fields)


@contextlib.asynccontextmanager
async def desk_world(uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    slack = FakeSlack()
    await slack.start()
    slack.members[DESK] = [SARI, BOT_USER_ID]
    slack.users.update({SARI: "Sari"})
    graph = wa.FakeWhatsApp()
    await graph.start()
    with uow_factory() as uow:
        import_entries(uow, SAMPLE_FAQ, author="test")
        uow.commit()
    monkeypatch.setattr(app_module, "make_matcher", lambda _settings: KeywordFinder())
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        HELPDESK_LANGUAGE="en",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_DESK_CHANNEL_ID=DESK,
        SLACK_API_URL=slack.api_url,
        SLACK_HTTP_LISTEN="127.0.0.1:0",
        WHATSAPP_PHONE_NUMBER_ID=wa.PHONE_ID,
        WHATSAPP_ACCESS_TOKEN=wa.TOKEN,
        WHATSAPP_APP_SECRET=wa.APP_SECRET,
        WHATSAPP_VERIFY_TOKEN=wa.VERIFY_TOKEN,
        WHATSAPP_API_BASE_URL=graph.base_url,
        WHATSAPP_API_VERSION=wa.VERSION,
        WHATSAPP_WEBHOOK_LISTEN="127.0.0.1:0",
        WHATSAPP_TEMPLATE_LANGUAGE="en_US",
    )
    channels = platform_channels(settings)
    desk = next(c for c in channels if isinstance(c, SlackChannel))
    whatsapp = next(c for c in channels if isinstance(c, WhatsAppChannel))
    helpdesk = build(
        settings,
        uow_factory,
        {c.platform: c.sender for c in channels},
        directories={"slack": desk.desk_directory},
        channels=channels,
    )
    for c in channels:
        await c.start(helpdesk.engine)
    dispatcher = asyncio.create_task(helpdesk.dispatcher.run_forever(poll_seconds=0.05))
    try:
        yield slack, graph, desk, whatsapp, helpdesk
    finally:
        dispatcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dispatcher
        for c in channels:
            await c.stop()
        await graph.stop()
        await slack.stop()


async def test_a_whatsapp_user_escalates_to_a_slack_desk_and_gets_the_answer(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with desk_world(uow_factory, monkeypatch) as (slack, graph, desk, whatsapp, helpdesk):
        assert not whatsapp.own_server  # the Slack server carries the WhatsApp webhook
        url = f"http://127.0.0.1:{desk.http_port}/whatsapp/webhook"
        graph.open_windows.add(WATI)

        async def wati(message: dict[str, Any]) -> None:
            status, _ = await wa.post_webhook(url, wa.envelope(messages=[message], names={WATI: "Wati"}))
            assert status == 200

        await wati(wa.text(WATI, "I got a phishing email asking for my password"))
        card = await slack.wait_for(
            lambda: next((m for m in slack.in_channel(DESK) if "#1" in m.shown), None), what="the card"
        )
        assert "Wati" in card.shown
        await slack.wait_for(lambda: any("#1" in s for s in graph.texts(WATI)), what="the number for Wati")

        # A screenshot from Wati is uploaded into the card's thread.
        media = graph.add_media(b"screenshot-bytes", "image/jpeg")
        await wati(wa.media_message(WATI, "image", media, "image/jpeg", caption="this one"))
        await slack.wait_for(lambda: b"screenshot-bytes" in slack.uploads.values(), what="the upload")

        # Sari answers in the thread; Wati gets it on WhatsApp.
        requests = SlackRequests(f"http://127.0.0.1:{desk.http_port}/slack/events")
        status, _ = await requests.event(
            channel_event(SARI, "Do not click the link", requests.next_ts(), DESK, card.ts)
        )
        assert status == 200
        expected = escape(t("relay_from_specialist", name="Sari", number="#1", text="Do not click the link"))
        await slack.wait_for(lambda: expected in graph.texts(WATI), what="the relay")

        # Sari shares a guide in the thread; Wati gets the file itself on WhatsApp.
        shared = slack.share_file("F0GUIDE", b"%PDF guide", "guide.pdf", "application/pdf")
        event = channel_event(
            SARI, "the guide", requests.next_ts(), DESK, card.ts, subtype="file_share", files=[shared]
        )
        status, _ = await requests.event(event)
        assert status == 200
        await slack.wait_for(lambda: any(m["type"] == "document" for m in graph.to(WATI)), what="the file")
        document = next(m for m in graph.to(WATI) if m["type"] == "document")
        assert graph.uploads[document["document"]["id"]] == (b"%PDF guide", "guide.pdf")
