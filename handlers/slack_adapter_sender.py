"""Slack delivery: the ``Sender`` (chat.postMessage, chat.update, reactions, ephemeral refusals,
chart uploads), the desk directory, and how Slack API errors map to delivery errors."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.ports import MediaSource
from bot.core.types import (
    Attachment,
    ChannelAddress,
    DeliveryError,
    MediaFile,
    OutboundMessage,
    SendReceipt,
    UserRef,
)
from handlers.slack_format import (
    attachment_note,
    fallback_text,
    message_blocks,
)

DEFAULT_RETRY_AFTER = 1.0

# Slack errors worth retrying; any other ``ok: false`` answer is permanent.
_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "timeout"}
)

log = logging.getLogger(__name__)

SLACK = "slack"


async def call_api(method: Callable[..., Awaitable[AsyncSlackResponse]], **kwargs: Any) -> AsyncSlackResponse:
    """Call a Web API method; failures become ``DeliveryError`` (``None`` arguments are left out)."""
    try:
        return await method(**{k: v for k, v in kwargs.items() if v is not None})
    except SlackApiError as error:
        raise delivery_error(error) from error
    except (aiohttp.ClientError, TimeoutError, SlackClientError) as error:
        raise DeliveryError(f"network: {type(error).__name__}: {error}") from error


# ------------------------------------------------------------------------------------ errors
def delivery_error(error: SlackApiError) -> DeliveryError:
    """What a Slack Web API error means for the outbox: wait, retry, or give up."""
    response = error.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    code = str(data.get("error") or "") if isinstance(data, dict) else ""
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", None) or {}
        raw = headers.get("Retry-After") if hasattr(headers, "get") else None
        try:
            retry_after = max(0.0, float(raw)) if raw is not None else DEFAULT_RETRY_AFTER
        except ValueError:
            retry_after = DEFAULT_RETRY_AFTER
        return DeliveryError("ratelimited", retry_after=retry_after)
    if status >= 500 or code in _TRANSIENT_ERRORS:
        return DeliveryError(code or f"http_{status}")
    return DeliveryError(code or f"http_{status}", permanent=True)


def make_client(token: str, api_url: str) -> AsyncWebClient:
    """The Web API client: ``base_url`` from the settings; retries connection errors once only."""
    base_url = api_url if api_url.endswith("/") else api_url + "/"
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1)],
    )


def mention_chat_id(channel: str, thread_ts: str) -> str:
    """The chat id of a conversation started by a mention: the channel *and* the mention's thread.

    Chat ids are the adapter's to interpret: with the thread in it, everything the engine sends to
    that conversation later (answers, a specialist's relayed replies, the rating) stays in the
    mention's thread instead of landing in the channel itself.
    """
    return f"{channel}/{thread_ts}"


def split_chat_id(chat_id: str) -> tuple[str, str | None]:
    """``(channel, thread_ts)`` from a chat id (``thread_ts`` only for mention conversations)."""
    channel, _, thread = chat_id.partition("/")
    return channel, thread or None


DELIVERY_EVENT = "helpdesk_delivery"


MAX_FETCH_BYTES = 50 * 1024 * 1024

_PERMALINK_FILE = re.compile(r"/files/[^/]+/(F[A-Z0-9]+)")


def slack_file_id(ref: str) -> str:
    """The file id in an attachment reference (a bare ``F...`` id or a file permalink)."""
    if re.fullmatch(r"F[A-Z0-9]+", ref):
        return ref
    match = _PERMALINK_FILE.search(ref)
    return match.group(1) if match else ""


def delivery_metadata(message: OutboundMessage) -> dict[str, Any] | None:
    """Slack message metadata carrying the outbox delivery key, so a post can be found again."""
    if not message.delivery_key:
        return None
    return {"event_type": DELIVERY_EVENT, "event_payload": {"key": message.delivery_key}}


# ------------------------------------------------------------------------------------ sender
class SlackSender:
    """Delivers outbound messages with the Slack Web API; implements ``Sender``.

    Text is escaped for mrkdwn and shown in a section block, buttons in an actions block
    (``value`` = ``action:value``). A chat id that is a user id (``U…``/``W…``) is turned into the
    DM channel with ``conversations.open`` (cached).
    """

    platform = SLACK

    def __init__(self, client: AsyncWebClient):
        self.client = client
        self._dm_channels: dict[str, str] = {}
        # Files users sent on other platforms (WhatsApp) are fetched there and uploaded here.
        self.media_sources: dict[str, MediaSource] = {}

    # ------------------------------------------------------------------------- MediaSource
    async def fetch(self, attachment: Attachment) -> MediaFile:
        """A file shared in Slack (``files.info``, then its private download with the bot token),
        for another platform's adapter (implements ``MediaSource``)."""
        file_id = slack_file_id(attachment.file_id)
        if not file_id:
            raise DeliveryError(f"not a Slack file: {attachment.file_id}", permanent=True)
        response = await call_api(self.client.files_info, file=file_id)
        info = response.get("file") or {}
        url = str(info.get("url_private_download") or info.get("url_private") or "")
        if not url:
            raise DeliveryError("Slack gave no download URL for the file", permanent=True)
        if int(info.get("size") or 0) > MAX_FETCH_BYTES:
            raise DeliveryError("the file is too large to pass on", permanent=True)
        headers = {"Authorization": f"Bearer {self.client.token}"}
        timeout = aiohttp.ClientTimeout(total=120)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers, allow_redirects=False) as reply,
        ):
            if reply.status != 200:
                raise DeliveryError(
                    f"the Slack file download answered {reply.status}", permanent=reply.status < 500
                )
            data = await reply.read()
        name = str(info.get("name") or attachment.name or file_id)
        return MediaFile(data, name, str(info.get("mimetype") or "application/octet-stream"))

    async def dm_channel(self, user_id: str) -> str:
        """The id of the app's DM channel with ``user_id`` (opened on first use, then cached)."""
        cached = self._dm_channels.get(user_id)
        if cached:
            return cached
        response = await call_api(self.client.conversations_open, users=user_id)
        channel = response.get("channel") or {}
        channel_id = str(channel.get("id") or "")
        if not channel_id:
            raise DeliveryError("conversations.open returned no channel", permanent=True)
        self._dm_channels[user_id] = channel_id
        return channel_id

    async def _channel(self, chat_id: str) -> str:
        channel, _ = split_chat_id(chat_id)
        if channel[:1] in ("U", "W"):
            return await self.dm_channel(channel)
        return channel

    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Post, update, react, upload or post ephemerally, as ``message`` asks."""
        address = message.address
        channel = await self._channel(address.chat_id)
        thread_ts = address.thread_id or split_chat_id(address.chat_id)[1]
        if message.reaction and message.reply_to_id:
            try:
                await call_api(
                    self.client.reactions_add,
                    channel=channel,
                    timestamp=message.reply_to_id,
                    name=message.reaction,
                )
                return SendReceipt(address, message.reply_to_id)
            except DeliveryError as error:
                if error.retry_after is not None or not error.permanent:
                    raise
                if error.reason == "already_reacted":
                    return SendReceipt(address, message.reply_to_id)
                log.info("reaction %s failed (%s); posting the text instead", message.reaction, error.reason)
        notes = [attachment_note(a) for a in message.attachments]
        blocks = message_blocks(message.text, message.buttons, notes)
        text = fallback_text(message.text, notes)
        if message.image is not None:
            return await self._upload_image(message, channel, text)
        if message.ephemeral_user_id:
            response = await call_api(
                self.client.chat_postEphemeral,
                channel=channel,
                user=message.ephemeral_user_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
            )
            return SendReceipt(address, str(response.get("message_ts") or ""))
        if message.edit_message_id:
            response = await call_api(
                self.client.chat_update, channel=channel, ts=message.edit_message_id, text=text, blocks=blocks
            )
            return SendReceipt(address, str(response.get("ts") or message.edit_message_id))
        response = await call_api(
            self.client.chat_postMessage,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            metadata=delivery_metadata(message),
        )
        await self._pass_on_files(message, channel, thread_ts)
        return SendReceipt(address, str(response.get("ts") or ""))

    async def _pass_on_files(self, message: OutboundMessage, channel: str, thread_ts: str | None) -> None:
        """Upload the files a user sent on another platform (WhatsApp) under the message; one that
        cannot be fetched stays a note in the message."""
        for attachment in message.attachments:
            source = self.media_sources.get(attachment.platform)
            if source is None or attachment.platform == SLACK:
                continue
            try:
                media = await source.fetch(attachment)
            except DeliveryError as error:
                log.warning("could not fetch a %s file to pass on: %s", attachment.platform, error.reason)
                continue
            await call_api(
                self.client.files_upload_v2,
                channel=channel,
                file=media.data,
                filename=media.name,
                title=media.name,
                thread_ts=thread_ts,
            )

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt:
        """Post ``first`` (the ticket card) at the top of ``where``; its ``ts`` is the thread id.

        Slack threads have no title: the card's first line says what the ticket is.
        """
        channel = await self._channel(where.chat_id)
        notes = [attachment_note(a) for a in first.attachments]
        response = await call_api(
            self.client.chat_postMessage,
            channel=channel,
            text=fallback_text(first.text, notes),
            blocks=message_blocks(first.text, first.buttons, notes),
            unfurl_links=False,
            unfurl_media=False,
            metadata=delivery_metadata(first),
        )
        ts = str(response.get("ts") or "")
        if not ts:
            raise DeliveryError("chat.postMessage returned no ts")
        return SendReceipt(where.in_thread(ts), ts)

    async def find_delivered(self, message: OutboundMessage, since: datetime) -> SendReceipt | None:
        """The message posted with ``message``'s delivery key since ``since``, if Slack has it.

        Every new post carries its key as message metadata; after a worker died between posting and
        recording, the channel's (or thread's) recent history tells whether the post went out.
        Edits, reactions, ephemeral messages and uploads are not looked up (an edit or a reaction
        repeated does no harm; the others carry no metadata).
        """
        if not message.delivery_key or message.edit_message_id or message.reaction:
            return None
        if message.ephemeral_user_id or message.image is not None:
            return None
        channel = await self._channel(message.address.chat_id)
        thread_ts = (
            None
            if message.thread_title
            else (message.address.thread_id or split_chat_id(message.address.chat_id)[1])
        )
        oldest = f"{since.timestamp() - 1:.6f}"
        if thread_ts:
            method = self.client.conversations_replies
            response = await call_api(
                method, channel=channel, ts=thread_ts, oldest=oldest, include_all_metadata=True, limit=200
            )
        else:
            response = await call_api(
                self.client.conversations_history,
                channel=channel,
                oldest=oldest,
                include_all_metadata=True,
                limit=200,
            )
        for posted in response.get("messages") or []:
            payload = (posted.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == message.delivery_key:
                ts = str(posted.get("ts") or "")
                if message.thread_title:
                    return SendReceipt(message.address.in_thread(ts), ts)
                return SendReceipt(message.address, ts)
        return None

    async def _upload_image(self, message: OutboundMessage, channel: str, text: str) -> SendReceipt:
        assert message.image is not None
        response = await call_api(
            self.client.files_upload_v2,
            channel=channel,
            file=message.image,
            filename="image.png",
            title="image.png",
            initial_comment=text,
            thread_ts=message.address.thread_id or split_chat_id(message.address.chat_id)[1],
        )
        file_info = response.get("file") or {}
        return SendReceipt(message.address, str(file_info.get("id") or ""))


# --------------------------------------------------------------------------------- directory
class SlackDeskDirectory:
    """Desk membership from ``conversations.members`` of the desk channel, cached briefly.

    Ids listed in ``HELPDESK_SPECIALISTS`` count too; the engine checks those itself. A failed
    lookup is remembered for ``failure_ttl_seconds`` (and raised again at once, so the engine
    grants nothing) rather than retried on every event.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        channel_id: str,
        ttl_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        failure_ttl_seconds: float = 5.0,
    ):
        self.client = client
        self.channel_id = channel_id
        self.ttl_seconds = ttl_seconds
        self.failure_ttl_seconds = failure_ttl_seconds
        self._monotonic = monotonic
        self._members: frozenset[str] = frozenset()
        self._fetched_at = float("-inf")
        self._failure: DeliveryError | None = None
        self._failed_at = float("-inf")
        self._lock = asyncio.Lock()

    async def is_desk_member(self, user: UserRef) -> bool:
        """Whether ``user`` is in the Slack desk channel (a failed lookup raises: no rights)."""
        if user.platform != SLACK or not self.channel_id:
            return False
        return user.user_id in await self.members()

    async def members(self) -> frozenset[str]:
        """The desk channel's member ids (at most ``ttl_seconds`` old)."""
        async with self._lock:
            now = self._monotonic()
            if now - self._fetched_at < self.ttl_seconds:
                return self._members
            if self._failure is not None and now - self._failed_at < self.failure_ttl_seconds:
                raise self._failure
            found: set[str] = set()
            cursor: str | None = None
            try:
                for _ in range(100):  # 100 pages of 200 is far beyond any desk
                    response = await call_api(
                        self.client.conversations_members, channel=self.channel_id, limit=200, cursor=cursor
                    )
                    found.update(str(m) for m in response.get("members") or [])
                    cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                    if not cursor:
                        break
            except DeliveryError as error:
                self._failure, self._failed_at = error, self._monotonic()
                raise
            self._members = frozenset(found)
            self._fetched_at = self._monotonic()
            self._failure = None
            return self._members
