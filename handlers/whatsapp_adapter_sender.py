"""WhatsApp delivery (Cloud API through ``pywa``): the ``Sender`` and the ``MediaSource``.

- Text goes out escaped (WhatsApp formatting never applies to it) in parts of at most 4,096
  characters; the core's buttons become reply buttons (up to 3 short ones) or a list message.
- **The 24-hour window.** The dispatcher marks a message ``outside_reply_window`` when the user's
  last message is older than :attr:`WhatsAppSender.reply_window`; such a message, or one the
  platform refuses as a re-engagement (error 131047), goes out as the configured pre-approved
  template instead, and the receipt names the template.
- Errors become ``DeliveryError``: rate limits (130429, 131056, ...) carry a ``retry_after``;
  transient ones (5xx, 131000, 131016, expired tokens that an admin must renew) are retried until
  the outbox deadline; the rest (undeliverable, not on the allowed list, bad template) are
  permanent and shown to the specialist.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from pywa_async import WhatsApp
from pywa_async import errors as wa_errors
from pywa_async.types import Button as WaButton
from pywa_async.types import Section, SectionList, SectionRow
from pywa_async.types.templates import TemplateLanguage

from bot import texts
from bot.core.ports import MediaSource
from bot.core.types import (
    Attachment,
    ChannelAddress,
    DeliveryError,
    MediaFile,
    OutboundMessage,
    SendReceipt,
)
from handlers.whatsapp_format import (
    MAX_INTERACTIVE_BODY,
    Choices,
    escape,
    layout,
    split_text,
    template_text,
)

log = logging.getLogger(__name__)

PLATFORM = "whatsapp"
GRAPH_API_VERSION = "23.0"
MAX_MEDIA_BYTES = 50 * 1024 * 1024  # what the desk platforms take as an upload

# Rate limits and how long to wait when the API does not say: throughput (130429), too many
# messages to one user (131056), spam rate limit (131048), app-level call limits (4, 80007).
RATE_LIMIT_WAIT: Mapping[int, float] = {130429: 5.0, 4: 60.0, 80007: 60.0, 131056: 60.0, 131048: 300.0}
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016, 131057, 133004, 135000})


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """The pre-approved template sent outside the 24-hour window.

    ``parameters`` says what fills the body's ``{{1}}``, ``{{2}}``, ...: ``text`` is the message
    itself (on one line, at most 1,024 characters).
    """

    name: str = "helpdesk_update"
    language: str = "id"
    parameters: tuple[str, ...] = ("text",)

    def components(self, message: OutboundMessage) -> list[dict[str, Any]]:
        """The template's ``components`` for ``message``."""
        values = {"text": template_text(escape(message.text))}
        parameters = [{"type": "text", "text": values[name]} for name in self.parameters]
        return [{"type": "body", "parameters": parameters}] if parameters else []


def template_language(code: str) -> TemplateLanguage:
    """The template language ``code`` (``id``, ``en_US``, ...); ValueError for an unknown one."""
    known = {member.value: member for member in TemplateLanguage}
    if code.strip() not in known:
        raise ValueError(f"WHATSAPP_TEMPLATE_LANGUAGE {code!r} is not a WhatsApp template language")
    return known[code.strip()]


def delivery_error(error: wa_errors.WhatsAppError) -> DeliveryError:
    """The ``DeliveryError`` a Cloud API error means."""
    reason = f"WhatsApp error {error.code}: {error.message}"
    if error.details:
        reason += f" ({error.details})"
    status = error.status_code or 0
    if error.code in RATE_LIMIT_WAIT or status == 429:
        header = error.raw_response.headers.get("Retry-After") if error.raw_response is not None else None
        wait = float(header) if header and header.isdigit() else RATE_LIMIT_WAIT.get(error.code, 30.0)
        return DeliveryError(reason, retry_after=wait)
    transient = (
        status >= 500
        or error.code in TRANSIENT_CODES
        or bool(error.is_transient)
        or isinstance(error, wa_errors.AuthorizationError)  # an admin renews the token: keep the backlog
    )
    return DeliveryError(reason, permanent=not transient)


def make_client(
    phone_number_id: str, access_token: str, api_base_url: str, api_version: str = GRAPH_API_VERSION
) -> WhatsApp:
    """A ``pywa`` client on ``api_base_url`` (Meta's Graph API, or a fake in tests)."""
    session = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
    client = WhatsApp(
        phone_id=phone_number_id,
        token=access_token,
        session=session,
        api_version=api_version,
        validate_updates=False,  # the channel checks signatures itself
        filter_updates=False,
    )
    # pywa points the session at graph.facebook.com; tests and proxies need another base.
    session.base_url = f"{api_base_url.rstrip('/')}/v{api_version}"
    return client


class WhatsAppMedia:
    """Implements ``MediaSource``: fetches a file a WhatsApp user sent (media endpoint)."""

    platform = PLATFORM

    def __init__(self, client: WhatsApp, max_bytes: int = MAX_MEDIA_BYTES):
        self.client = client
        self.max_bytes = max_bytes

    async def fetch(self, attachment: Attachment) -> MediaFile:
        """The bytes of ``attachment`` (its ``file_id`` is the WhatsApp media id)."""
        try:
            found = await self.client.get_media_url(attachment.file_id)
            if found.file_size and int(found.file_size) > self.max_bytes:
                raise DeliveryError(
                    f"the file is too large to pass on ({found.file_size} bytes)", permanent=True
                )
            data = await self.client.get_media_bytes(found.url)
        except wa_errors.WhatsAppError as error:
            raise delivery_error(error) from error
        mime = (found.mime_type or "application/octet-stream").split(";")[0].strip()
        name = attachment.name or f"{attachment.kind}{mimetypes.guess_extension(mime) or '.bin'}"
        return MediaFile(bytes(data), name, mime)


class WhatsAppSender:
    """Implements ``Sender`` (and ``WindowedSender``) for WhatsApp users.

    ``media_sources`` lets a specialist's file from another platform (a Telegram or Slack desk)
    reach the user: its bytes are fetched there and uploaded here.
    """

    platform = PLATFORM
    reply_window = timedelta(hours=24)

    def __init__(
        self,
        client: WhatsApp,
        template: TemplateSpec | None = None,
        *,
        list_language: str = "id",
        media_sources: Mapping[str, MediaSource] | None = None,
    ):
        self.client = client
        self.template = template or TemplateSpec()
        self.list_language = list_language
        self.media_sources: dict[str, MediaSource] = dict(media_sources or {})

    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Deliver ``message`` to the user's chat (as the template outside the 24-hour window)."""
        if message.outside_reply_window:
            return await self._send_template(message)
        try:
            message_id = await self._post(message)
        except wa_errors.ReEngagementMessage:
            log.info("WhatsApp window closed for %s: sending the template", message.address.chat_id)
            return await self._send_template(message)
        except wa_errors.WhatsAppError as error:
            raise delivery_error(error) from error
        return SendReceipt(message.address.without_thread(), message_id)

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt:
        """WhatsApp chats have no threads; the desk lives on another platform."""
        raise DeliveryError("WhatsApp cannot hold the desk (no threads); set HELPDESK_DESK", permanent=True)

    async def _send_template(self, message: OutboundMessage) -> SendReceipt:
        spec = self.template
        try:
            sent = await self.client.send_template(
                to=message.address.chat_id,
                name=spec.name,
                language=template_language(spec.language),
                params=spec.components(message),
            )
        except wa_errors.WhatsAppError as error:
            failure = delivery_error(error)
            raise DeliveryError(
                f"outside the 24-hour window, and the template {spec.name!r} was refused: {failure.reason}",
                retry_after=failure.retry_after,
                permanent=failure.permanent,
            ) from error
        return SendReceipt(message.address.without_thread(), sent.id, template=spec.name)

    async def _post(self, message: OutboundMessage) -> str:
        """Send text, files and choices; the id of the last message sent (the one with the choices)."""
        to = message.address.chat_id
        reply_to = (
            message.reply_to_id if message.reply_to_id and message.reply_to_id.startswith("wamid.") else None
        )
        text = escape(message.text)
        if message.reaction and not text.strip():
            text = message.reaction
        choices = layout(message.buttons)
        files = [a for a in message.attachments if a.kind in ("photo", "document")]
        parts = [p for p in split_text(text) if p.strip()]
        if choices is not None:
            # The choices ride on the last part, whose body may hold only 1,024 characters.
            last = parts.pop() if parts else "…"
            body_parts = split_text(last, MAX_INTERACTIVE_BODY)
            parts.extend(body_parts[:-1])
            final_body = body_parts[-1]
        last_id = ""
        for part in parts:
            sent = await self.client.send_message(to=to, text=part, reply_to_message_id=reply_to)
            reply_to, last_id = None, sent.id
        if message.image is not None:
            image = await self.client.send_image(to=to, image=message.image, mime_type="image/png")
            last_id = image.id
        for attachment in files:
            last_id = await self._send_file(to, attachment) or last_id
        if choices is not None:
            last_id = await self._send_choices(to, final_body, choices, reply_to)
        if not last_id:  # nothing but whitespace: WhatsApp refuses empty texts
            last_id = (await self.client.send_message(to=to, text="…")).id
        return last_id

    async def _send_choices(self, to: str, body: str, choices: Choices, reply_to: str | None) -> str:
        if choices.kind == "buttons":
            buttons: Sequence[WaButton] | SectionList = [
                WaButton(title=row.title, callback_data=row.data) for row in choices.rows
            ]
        else:
            rows = [
                SectionRow(title=r.title, callback_data=r.data, description=r.description or None)
                for r in choices.rows
            ]
            button_title = texts.text(self.list_language, "wa_list_button")
            buttons = SectionList(
                button_title=button_title, sections=[Section(title=button_title, rows=rows)]
            )
        sent = await self.client.send_message(to=to, text=body, buttons=buttons, reply_to_message_id=reply_to)
        return sent.id

    async def _send_file(self, to: str, attachment: Attachment) -> str | None:
        """Pass on a file from another platform; None (and a log line) when it cannot be fetched."""
        source = self.media_sources.get(attachment.platform)
        if source is None:
            log.info(
                "a %s file cannot be passed on to WhatsApp (no media source)", attachment.platform or "?"
            )
            return None
        media = await source.fetch(attachment)
        if attachment.kind == "photo":
            sent = await self.client.send_image(to=to, image=media.data, mime_type=media.mime_type)
        else:
            sent = await self.client.send_document(
                to=to, document=media.data, filename=media.name, mime_type=media.mime_type
            )
        return sent.id
