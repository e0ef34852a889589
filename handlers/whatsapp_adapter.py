"""WhatsApp channel (Cloud API): users in private chats; the desk stays on Telegram, Slack or the
console.

Inbound, Meta posts webhooks to ``WHATSAPP_WEBHOOK_PATH``:

- ``GET`` is the subscription handshake: ``hub.challenge`` is echoed when ``hub.verify_token``
  matches ``WHATSAPP_VERIFY_TOKEN``.
- ``POST`` carries messages and delivery statuses, signed with the app secret
  (``X-Hub-Signature-256``; a missing or wrong signature is refused with 401/403 and changes
  nothing). The request is answered 200 only after every message in it was handled (and so
  stored) by the engine; a failure answers 500 and Meta delivers it again. A redelivered message
  carries the same message id, the engine's ``event_id``, and is dropped.
- Texts, reply-button and list choices, quick replies of templates, and files (image, document,
  audio, video, voice notes: relayed to the desk, whose adapter fetches them through
  :class:`~handlers.whatsapp_adapter_sender.WhatsAppMedia`) become engine events; statuses
  (``sent``, ``delivered``, ``read``, ``failed``) go to the engine's ``delivery_status``.
- A user's message is marked read with a typing indicator while the answer is prepared (in the
  background: the webhook's answer never waits on it).

The webhook runs on its own aiohttp server (``WHATSAPP_WEBHOOK_LISTEN``, shared by the workers of
one host through SO_REUSEPORT), or on the Telegram or Slack webhook server when they listen on the
same address (the composition root hands :meth:`WhatsAppChannel.routes` over).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pywa_async import WhatsApp
from pywa_async.utils import webhook_updates_validator

from bot.core.ports import DeliveryStatusSink, DeskDirectory, EventSink, Sender, StatusPages
from bot.core.types import (
    Attachment,
    Button,
    ButtonPress,
    ChannelAddress,
    DeliveryStatus,
    Event,
    InboundMessage,
    UserRef,
)
from handlers.status_routes import Route, add_routes, add_status_routes, bound_port, split_listen
from handlers.whatsapp_adapter_sender import (
    PLATFORM,
    TemplateSpec,
    WhatsAppMedia,
    WhatsAppSender,
    make_client,
    template_language,
)

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_WEBHOOK_BYTES = 4 * 1024 * 1024

_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:\s+(.*))?$", re.DOTALL)

# Message types that carry a file the desk can see, with the kind the core knows them by.
_FILE_TYPES = {"image": "photo", "document": "document", "audio": "document", "video": "document"}
_FILE_NAMES = {"audio": "voice-note", "video": "video", "image": "photo"}


# ------------------------------------------------------------------------------ translation
def events_from(payload: dict[str, Any], phone_number_id: str) -> Iterator[Event | DeliveryStatus]:
    """The engine events and delivery statuses in one webhook body, for our phone number only."""
    if payload.get("object") != "whatsapp_business_account":
        return
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            if change.get("field") != "messages":
                continue
            value = change.get("value") or {}
            number = str((value.get("metadata") or {}).get("phone_number_id", ""))
            if phone_number_id and number and number != phone_number_id:
                continue  # another number of the same app
            names = {
                str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                for c in value.get("contacts") or []
            }
            for message in value.get("messages") or []:
                event = message_event(message, names)
                if event is not None:
                    yield event
            for status in value.get("statuses") or []:
                yield status_report(status)


def message_event(message: dict[str, Any], names: dict[str, str]) -> Event | None:
    """One webhook message as an engine event (None for what is not a person writing: reactions,
    system notices)."""
    kind = str(message.get("type") or "")
    sender_id = str(message.get("from") or "")
    message_id = str(message.get("id") or "")
    if not sender_id or not message_id or kind in ("reaction", "system", "ephemeral"):
        return None
    address = ChannelAddress(PLATFORM, sender_id)
    user = UserRef(PLATFORM, sender_id, names.get(sender_id, ""))
    reply_to = (message.get("context") or {}).get("id")
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        chosen = interactive.get("button_reply") or interactive.get("list_reply") or {}
        action, value = Button.parse_callback(str(chosen.get("id") or ""))
        if not action:
            return None
        return ButtonPress(address, user, action, value, message_id=str(reply_to or ""), event_id=message_id)
    if kind == "button":  # a quick reply of a template: the user writes back
        text = str((message.get("button") or {}).get("text") or "")
        return InboundMessage(address, user, text, message_id, reply_to_id=reply_to, event_id=message_id)
    if kind == "text":
        text = str((message.get("text") or {}).get("body") or "")
        command, arguments = parse_command(text)
        return InboundMessage(
            address, user, arguments, message_id, reply_to_id=reply_to, command=command, event_id=message_id
        )
    if kind in _FILE_TYPES:
        media = message.get(kind) or {}
        name = str(media.get("filename") or "")
        if not name and kind != "document":
            name = _FILE_NAMES[kind] + _extension(str(media.get("mime_type") or ""))
        attachment = Attachment(_FILE_TYPES[kind], str(media.get("id") or ""), name, PLATFORM)
        caption = str(media.get("caption") or "")
        return InboundMessage(
            address, user, caption, message_id, reply_to_id=reply_to, event_id=message_id,
            attachments=(attachment,),
        )  # fmt: skip
    # Stickers, locations, contacts, unsupported types: the user is asked to write instead.
    return InboundMessage(
        address, user, "", message_id, event_id=message_id, attachments=(Attachment("unsupported", "", kind),)
    )


def status_report(status: dict[str, Any]) -> DeliveryStatus:
    """One webhook status as a :class:`DeliveryStatus` (``reason`` from its first error)."""
    errors = status.get("errors") or []
    reason = ""
    if errors:
        first = errors[0]
        details = (first.get("error_data") or {}).get("details") or first.get("message") or ""
        reason = f"WhatsApp error {first.get('code')}: {first.get('title') or ''}".strip()
        if details:
            reason += f" ({details})"
    message_id = str(status.get("id") or "")
    state = str(status.get("status") or "")
    return DeliveryStatus(
        ChannelAddress(PLATFORM, str(status.get("recipient_id") or "")),
        message_id,
        state,
        reason,
        event_id=f"{message_id}:{state}",
    )


def parse_command(text: str) -> tuple[str | None, str]:
    """``(command, arguments)`` for ``/word arguments``; ``(None, text)`` for plain text."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None, text
    return match.group(1).lower(), (match.group(2) or "").strip()


def _extension(mime: str) -> str:
    subtype = mime.split(";")[0].partition("/")[2].strip()
    return f".{subtype}" if subtype.isalnum() else ""


# --------------------------------------------------------------------------------- channel
class WhatsAppChannel:
    """Implements ``Channel`` for WhatsApp: the webhook, the sender and the media source."""

    platform = PLATFORM

    def __init__(
        self,
        client: WhatsApp,
        *,
        phone_number_id: str,
        app_secret: str,
        verify_token: str,
        webhook_listen: str = "0.0.0.0:8444",
        webhook_path: str = "/whatsapp/webhook",
        template: TemplateSpec | None = None,
        language: str = "id",
    ):
        if not app_secret:
            raise ValueError("WHATSAPP_APP_SECRET is needed to check that webhooks come from Meta")
        if not verify_token:
            raise ValueError("WHATSAPP_VERIFY_TOKEN is needed for the webhook handshake")
        self.client = client
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.webhook_listen = webhook_listen
        self.webhook_path = "/" + webhook_path.strip("/")
        self.media = WhatsAppMedia(client)
        self.whatsapp_sender = WhatsAppSender(client, template, list_language=language)
        self.sender: Sender = self.whatsapp_sender
        self.directory: DeskDirectory | None = None  # the desk is never on WhatsApp
        self.status_pages: StatusPages | None = None
        # False when another channel's server carries our routes (same listen address).
        self.own_server = True
        self._sink: EventSink | None = None
        self._runner: web.AppRunner | None = None
        self._typing: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> WhatsAppChannel:
        """The channel the ``WHATSAPP_*`` settings describe."""
        if not settings.whatsapp_phone_number_id.strip():
            raise ValueError("WHATSAPP_PHONE_NUMBER_ID is not set")
        template = TemplateSpec(
            name=settings.whatsapp_template_name.strip(),
            language=settings.whatsapp_template_language.strip(),
            parameters=tuple(
                p.strip() for p in settings.whatsapp_template_parameters.split(",") if p.strip()
            ),
        )
        template_language(template.language)  # a wrong language code stops the start, clearly
        unknown = set(template.parameters) - {"text"}
        if unknown:
            raise ValueError(f"WHATSAPP_TEMPLATE_PARAMETERS may only name 'text', not {sorted(unknown)}")
        client = make_client(
            settings.whatsapp_phone_number_id.strip(),
            settings.whatsapp_access_token,
            settings.whatsapp_api_base_url,
            settings.whatsapp_api_version,
        )
        return cls(
            client,
            phone_number_id=settings.whatsapp_phone_number_id.strip(),
            app_secret=settings.whatsapp_app_secret,
            verify_token=settings.whatsapp_verify_token,
            webhook_listen=settings.whatsapp_webhook_listen,
            webhook_path=settings.whatsapp_webhook_path,
            template=template,
            language=settings.helpdesk_language,
        )

    # -------------------------------------------------------------------------- lifecycle
    def routes(self) -> list[Route]:
        """The webhook's routes (the handshake and the updates)."""
        return [("GET", self.webhook_path, self._on_handshake), ("POST", self.webhook_path, self._on_webhook)]

    async def start(self, sink: EventSink) -> None:
        """Begin accepting webhooks (on our own server unless another channel carries them)."""
        self._sink = sink
        if not self.own_server:
            return
        host, port = split_listen(self.webhook_listen, 8444)
        app = web.Application(client_max_size=MAX_WEBHOOK_BYTES)
        add_routes(app, self.routes())
        add_status_routes(app, self.status_pages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port, reuse_port=True).start()
        log.info("WhatsApp webhook listening on %s:%s%s", host, self.webhook_port, self.webhook_path)

    async def stop(self) -> None:
        """Stop accepting webhooks; close the API client."""
        self._sink = None
        for task in list(self._typing):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        session = getattr(self.client.api, "_session", None)
        if session is not None:
            await session.aclose()

    @property
    def connected(self) -> bool:
        """Whether webhooks are accepted (for ``/healthz``)."""
        return self._sink is not None

    @property
    def webhook_port(self) -> int | None:
        """The port our own server listens on (useful with port 0)."""
        return bound_port(self._runner)

    def _show_typing(self, event: Event) -> None:
        """Blue ticks and "typing..." for a user's message while the answer is prepared; in the
        background, so the webhook's answer never waits on it (and a failure only costs the dots)."""
        message_id = event.event_id if isinstance(event, InboundMessage) else None
        if not message_id or not message_id.startswith("wamid."):
            return

        async def typing() -> None:
            try:
                await self.client.indicate_typing(message_id)
            except Exception as error:  # a courtesy: never worth a retry
                log.debug("typing indicator for %s failed: %s", message_id, error)

        task = asyncio.create_task(typing())
        self._typing.add(task)
        task.add_done_callback(self._typing.discard)

    # ----------------------------------------------------------------------------- webhook
    async def _on_handshake(self, request: web.Request) -> web.Response:
        """Meta's subscription check: echo ``hub.challenge`` for the right verify token."""
        query = request.query
        given = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            given.encode("utf-8"), self.verify_token.encode("utf-8")
        ):
            return web.Response(status=403, text="forbidden")
        return web.Response(text=query.get("hub.challenge", ""))

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """One signed webhook: 200 once everything in it was handled, 500 to have it sent again."""
        body = await request.read()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            return web.Response(status=401, text="missing signature")
        if not webhook_updates_validator(self.app_secret, body, signature):
            log.warning("refused a WhatsApp webhook with a wrong signature")
            return web.Response(status=403, text="bad signature")
        sink = self._sink
        if sink is None:
            return web.Response(status=503, text="not ready")
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict):
                raise ValueError("not an object")
            items = list(events_from(payload, self.phone_number_id))
        except (ValueError, TypeError, AttributeError):
            log.warning("unreadable WhatsApp webhook (%s bytes)", len(body))
            return web.Response(status=400, text="bad update")
        try:
            for item in items:
                if isinstance(item, DeliveryStatus):
                    if isinstance(sink, DeliveryStatusSink):
                        await sink.delivery_status(item)
                else:
                    self._show_typing(item)
                    await sink.handle(item)
        except Exception:
            log.exception("handling a WhatsApp webhook failed; Meta will send it again")
            return web.Response(status=500, text="failed; send it again")
        return web.Response(text="ok")
