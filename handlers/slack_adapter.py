"""Slack channel: a slack-bolt ``AsyncApp`` that feeds the engine and a sender for the outbox.

Users talk to the helpdesk in a direct message with the app, or by mentioning it in a channel
(answered in the mention's thread, which is part of that conversation's chat id). Specialists work
tickets in the desk channel, one thread per ticket: the ticket card opens the thread and replies
in it are the ticket's conversation.

Inbound, the adapter turns Slack events into the core's value types and calls ``sink.handle``:

- Events API ``message`` (DMs, desk-thread replies) and ``app_mention``: handled *before* the
  acknowledgement (``process_before_response``), so an event is acknowledged only once the engine
  has stored it; a redelivery (``X-Slack-Retry-Num``) carries the same ``event_id`` and is dropped
  by the engine.
- Block Kit buttons and the ``/helpdesk`` slash command: acknowledged at once (Slack allows three
  seconds), the work runs afterwards.
- ``app_home_opened``: the App Home tab lists the user's open tickets (read through the engine's
  query port, never from storage).

Outbound, :class:`SlackSender` posts mrkdwn-escaped Block Kit messages and maps Slack errors to
``DeliveryError`` (``ratelimited`` -> ``retry_after``; ``channel_not_found`` and the like ->
permanent). The Web API client retries only connection errors, once: rate limits go back to the
outbox dispatcher, which owns retries.

Connection: Socket Mode when an app-level token (``xapp-``) is given, otherwise HTTP on
``SLACK_HTTP_LISTEN`` at ``/slack/events`` with bolt's request signature verification.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import texts
from bot.core.ports import DeskDirectory, EventSink, Sender
from bot.core.types import (
    Attachment,
    Button,
    ButtonPress,
    ChannelAddress,
    DeliveryError,
    Event,
    InboundMessage,
    OutboundMessage,
    SendReceipt,
    UserRef,
    UserTickets,
)
from handlers.slack_format import (
    ACTION_PREFIX,
    attachment_note,
    fallback_text,
    message_blocks,
    mrkdwn_to_plain,
    strip_mention,
)

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

SLACK = "slack"
EVENTS_PATH = "/slack/events"
SLASH_COMMAND = "/helpdesk"
DEFAULT_RETRY_AFTER = 1.0
# Message subtypes that are people writing; everything else (edits, deletions, joins, bot
# messages, ...) is ignored.
_PEOPLE_SUBTYPES = (None, "file_share", "thread_broadcast")
# Slack errors worth retrying; any other ``ok: false`` answer is permanent.
_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "timeout"}
)


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


async def _call(method: Callable[..., Awaitable[AsyncSlackResponse]], **kwargs: Any) -> AsyncSlackResponse:
    """Call a Web API method; failures become ``DeliveryError`` (``None`` arguments are left out)."""
    try:
        return await method(**{k: v for k, v in kwargs.items() if v is not None})
    except SlackApiError as error:
        raise delivery_error(error) from error
    except (aiohttp.ClientError, TimeoutError, SlackClientError) as error:
        raise DeliveryError(f"network: {type(error).__name__}: {error}") from error


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

    async def dm_channel(self, user_id: str) -> str:
        """The id of the app's DM channel with ``user_id`` (opened on first use, then cached)."""
        cached = self._dm_channels.get(user_id)
        if cached:
            return cached
        response = await _call(self.client.conversations_open, users=user_id)
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
                await _call(
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
            response = await _call(
                self.client.chat_postEphemeral,
                channel=channel,
                user=message.ephemeral_user_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
            )
            return SendReceipt(address, str(response.get("message_ts") or ""))
        if message.edit_message_id:
            response = await _call(
                self.client.chat_update, channel=channel, ts=message.edit_message_id, text=text, blocks=blocks
            )
            return SendReceipt(address, str(response.get("ts") or message.edit_message_id))
        response = await _call(
            self.client.chat_postMessage,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return SendReceipt(address, str(response.get("ts") or ""))

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt:
        """Post ``first`` (the ticket card) at the top of ``where``; its ``ts`` is the thread id.

        Slack threads have no title: the card's first line says what the ticket is.
        """
        channel = await self._channel(where.chat_id)
        notes = [attachment_note(a) for a in first.attachments]
        response = await _call(
            self.client.chat_postMessage,
            channel=channel,
            text=fallback_text(first.text, notes),
            blocks=message_blocks(first.text, first.buttons, notes),
            unfurl_links=False,
            unfurl_media=False,
        )
        ts = str(response.get("ts") or "")
        if not ts:
            raise DeliveryError("chat.postMessage returned no ts")
        return SendReceipt(where.in_thread(ts), ts)

    async def _upload_image(self, message: OutboundMessage, channel: str, text: str) -> SendReceipt:
        assert message.image is not None
        response = await _call(
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
                    response = await _call(
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


# ------------------------------------------------------------------------------ query port
@runtime_checkable
class OpenTicketsQuery(Protocol):
    """What the App Home needs from the engine: a user's language and open tickets."""

    def open_tickets_for(self, user: UserRef) -> UserTickets: ...


def home_view(summary: UserTickets) -> dict[str, Any]:
    """The App Home tab for a ``UserTickets`` summary (wording from ``bot.texts``)."""
    lang = summary.language
    if summary.tickets:
        lines = [texts.text(lang, "status_header")]
        for ticket in summary.tickets:
            owner = ticket.owner_name or texts.text(lang, "status_waiting_owner")
            lines.append(
                texts.text(
                    lang,
                    "status_line",
                    number=ticket.number,
                    subject=ticket.subject[:60],
                    status=texts.text(lang, f"status_{ticket.status}"),
                    owner=owner,
                )
            )
    else:
        lines = [texts.text(lang, "status_none")]
    blocks = message_blocks("\n".join(lines))
    blocks.append({"type": "divider"})
    blocks.extend(message_blocks(texts.text(lang, "help", c="/helpdesk ")))
    return {"type": "home", "blocks": blocks}


# ----------------------------------------------------------------------------------- channel
class SlackChannel:
    """The Slack platform connection; implements ``Channel``.

    ``desk_channel_id`` is the specialists' channel (its thread replies are desk messages);
    ``app_token`` selects Socket Mode, otherwise HTTP on ``http_listen`` (``host:port``).
    """

    platform = SLACK

    def __init__(
        self,
        *,
        bot_token: str,
        app_token: str = "",
        signing_secret: str = "",
        desk_channel_id: str = "",
        api_url: str = "https://slack.com/api/",
        http_listen: str = "0.0.0.0:3000",
    ):
        if not bot_token:
            raise ValueError("SLACK_BOT_TOKEN is required for the Slack channel")
        if not app_token and not signing_secret:
            raise ValueError(
                "Slack over HTTP needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        self.app_token = app_token
        self.desk_channel_id = desk_channel_id
        self.http_listen = http_listen
        self.client = make_client(bot_token, api_url)
        self.app = AsyncApp(
            name="helpdesk",
            client=self.client,
            signing_secret=signing_secret or None,
            # Events are stored by the engine before Slack gets its acknowledgement; buttons and
            # commands acknowledge first and hand their work to a task (see the listeners).
            process_before_response=True,
            request_verification_enabled=bool(signing_secret) or not app_token,
        )
        self.slack_sender = SlackSender(self.client)
        self.desk_directory = SlackDeskDirectory(self.client, desk_channel_id)
        self.sender: Sender = self.slack_sender
        self.directory: DeskDirectory | None = self.desk_directory
        self._sink: EventSink | None = None
        self._names: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.http_port: int | None = None
        self._register()

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackChannel:
        """The channel the settings describe (Socket Mode when ``SLACK_APP_TOKEN`` is set)."""
        return cls(
            bot_token=settings.slack_bot_token,
            app_token=settings.slack_app_token,
            signing_secret=settings.slack_signing_secret,
            desk_channel_id=settings.slack_desk_channel_id,
            api_url=settings.slack_api_url,
            http_listen=settings.slack_http_listen,
        )

    @property
    def socket_mode(self) -> bool:
        """Whether events arrive over Socket Mode (else over HTTP)."""
        return bool(self.app_token)

    # ---------------------------------------------------------------------------- lifecycle
    async def start(self, sink: EventSink) -> None:
        """Connect (Socket Mode) or start listening (HTTP); returns once events can arrive."""
        self._sink = sink
        if self.socket_mode:
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            log.info("Slack: connected over Socket Mode")
            return
        host, _, port = self.http_listen.rpartition(":")
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._http_events)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host or "0.0.0.0", int(port or 3000))
        await site.start()
        self.http_port = _bound_port(self._runner) or int(port or 3000)
        log.info("Slack: listening for events on %s:%s%s", host or "0.0.0.0", self.http_port, EVENTS_PATH)

    async def stop(self) -> None:
        """Disconnect, stop listening and let running work finish (briefly)."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)
        for task in list(self._tasks):
            task.cancel()

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until the work handed off after acknowledgements is done (used by tests)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - loop.time()))

    async def _http_events(self, request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    # ---------------------------------------------------------------------------- listeners
    def _register(self) -> None:
        self.app.event("message")(self._on_message)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("app_home_opened")(self._on_home_opened)
        self.app.command(SLASH_COMMAND)(self._on_command)
        self.app.block_action(_action_pattern())(self._on_action)

    async def _on_message(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        inbound = await self.message_event(body, event, context.bot_user_id)
        if inbound is not None:
            await self._handle(inbound)  # before the acknowledgement: stored first

    async def _on_mention(
        self, body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        inbound = await self.mention_event(body, event, context.bot_user_id)
        if inbound is not None:
            await self._handle(inbound)

    async def _on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        self._spawn(self.publish_home(str(event["user"])))

    async def _on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        self._spawn(self._command(command))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        press = await self.button_press(body)
        if press is not None:
            self._spawn(self._handle(press))

    # -------------------------------------------------------------------------- translation
    async def message_event(
        self, body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None = None
    ) -> InboundMessage | None:
        """A ``message`` event as an ``InboundMessage``: a DM, or a reply in a desk thread."""
        if event.get("subtype") not in _PEOPLE_SUBTYPES or event.get("bot_id") or event.get("hidden"):
            return None
        user = str(event.get("user") or "")
        channel = str(event.get("channel") or "")
        ts = str(event.get("ts") or "")
        if not user or not channel or user == bot_user_id:
            return None
        thread_ts = event.get("thread_ts")
        in_thread = bool(thread_ts) and thread_ts != ts
        if self.desk_channel_id and channel == self.desk_channel_id:
            if not in_thread:
                return None  # specialists chatting outside ticket threads
            address = ChannelAddress(SLACK, channel, str(thread_ts))
            is_direct = False
        elif event.get("channel_type") == "im" or channel.startswith("D"):
            address = ChannelAddress(SLACK, channel)
            is_direct = True
        else:
            return None  # other channels: only mentions of the app count (see app_mention)
        return InboundMessage(
            address=address,
            sender=await self.user_ref(user),
            text=mrkdwn_to_plain(strip_mention(str(event.get("text") or ""), bot_user_id)),
            message_id=ts,
            is_direct=is_direct,
            reply_to_id=str(thread_ts) if in_thread else None,
            event_id=_event_id(body, channel, ts),
            attachments=_attachments(event),
        )

    async def mention_event(
        self, body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None = None
    ) -> InboundMessage | None:
        """An ``app_mention`` in a channel, answered in the mention's thread.

        Its chat id is ``channel/thread_ts`` (see :func:`mention_chat_id`), so the whole
        conversation, a ticket's relayed replies included, stays in that thread.
        """
        user = str(event.get("user") or "")
        channel = str(event.get("channel") or "")
        ts = str(event.get("ts") or "")
        if not user or not channel or event.get("bot_id") or user == bot_user_id:
            return None
        if channel == self.desk_channel_id or channel.startswith("D"):
            return None  # the message event carries these
        thread = str(event.get("thread_ts") or ts)
        return InboundMessage(
            address=ChannelAddress(SLACK, mention_chat_id(channel, thread), thread),
            sender=await self.user_ref(user),
            text=mrkdwn_to_plain(strip_mention(str(event.get("text") or ""), bot_user_id)),
            message_id=ts,
            is_direct=False,
            reply_to_id=thread,
            event_id=_event_id(body, channel, ts),
            attachments=_attachments(event),
        )

    async def command_message(self, command: dict[str, Any]) -> InboundMessage | None:
        """``/helpdesk word args`` as an ``InboundMessage`` with ``command`` = word.

        In the desk channel it is a desk command; anywhere else it belongs to the user's DM with
        the app, so the answer reaches them even where the app is not a member.
        """
        user = str(command.get("user_id") or "")
        channel = str(command.get("channel_id") or "")
        if not user:
            return None
        word, _, rest = str(command.get("text") or "").strip().partition(" ")
        if self.desk_channel_id and channel == self.desk_channel_id:
            address = ChannelAddress(SLACK, channel)
            is_direct = False
        else:
            try:
                address = ChannelAddress(SLACK, await self.slack_sender.dm_channel(user))
            except DeliveryError:
                log.warning("could not open a DM with %s; answering in %s", user, channel)
                address = ChannelAddress(SLACK, channel)
            is_direct = True
        trigger = str(command.get("trigger_id") or "") or _digest(command)
        return InboundMessage(
            address=address,
            sender=await self.user_ref(user, str(command.get("user_name") or "")),
            text=mrkdwn_to_plain(rest.strip()),
            is_direct=is_direct,
            command=(word.lower() or "help"),
            event_id=f"command:{trigger}",
        )

    async def button_press(self, body: dict[str, Any]) -> ButtonPress | None:
        """A Block Kit button press as a ``ButtonPress`` (``value`` is ``action:value``)."""
        actions = body.get("actions") or []
        user = body.get("user") or {}
        if not actions or not user.get("id"):
            return None
        action = actions[0]
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        if not channel:
            return None  # a button outside a conversation (App Home): none of ours
        message_ts = str(container.get("message_ts") or message.get("ts") or "")
        thread_ts = message.get("thread_ts") or container.get("thread_ts")
        thread = str(thread_ts) if thread_ts and thread_ts != message_ts else None
        chat_id = channel
        if thread and channel != self.desk_channel_id and not channel.startswith("D"):
            chat_id = mention_chat_id(channel, thread)  # a button in a mention's thread
        name, value = Button.parse_callback(str(action.get("value") or ""))
        stamp = str(action.get("action_ts") or "") or _digest(body)
        return ButtonPress(
            address=ChannelAddress(SLACK, chat_id, thread),
            sender=await self.user_ref(str(user["id"]), str(user.get("name") or user.get("username") or "")),
            action=name,
            value=value,
            message_id=message_ts,
            event_id=f"action:{user['id']}:{stamp}",
        )

    async def user_ref(self, user_id: str, fallback: str = "") -> UserRef:
        """The person ``user_id`` with a display name from ``users.info`` (cached)."""
        name = self._names.get(user_id)
        if name is None:
            try:
                response = await self.client.users_info(user=user_id)
                info = response.get("user") or {}
                profile = info.get("profile") or {}
                name = str(
                    profile.get("display_name") or profile.get("real_name") or info.get("real_name") or ""
                ) or str(info.get("name") or fallback)
            except (SlackClientError, aiohttp.ClientError, TimeoutError):
                log.info("users.info failed for %s", user_id, exc_info=True)
                return UserRef(SLACK, user_id, fallback)
            if len(self._names) > 5000:
                self._names.clear()
            self._names[user_id] = name
        return UserRef(SLACK, user_id, name or fallback)

    # --------------------------------------------------------------------------------- work
    async def _handle(self, event: Event) -> None:
        if self._sink is None:
            raise RuntimeError("the Slack channel is not started")
        await self._warm_directory(event.sender)
        await self._sink.handle(event)

    async def _warm_directory(self, user: UserRef) -> None:
        """Fetch desk membership *before* the engine opens its transaction.

        The engine asks the directory while its unit of work is open; an answer from the cache
        comes back without yielding to the event loop, so no network wait happens inside the
        transaction (on SQLite it holds the write lock that the dispatcher needs meanwhile).
        """
        if user.platform != SLACK or not self.desk_directory.channel_id:
            return
        try:
            await self.desk_directory.members()
        except DeliveryError as error:
            log.warning("Slack: desk membership lookup failed: %s", error.reason)

    async def _command(self, command: dict[str, Any]) -> None:
        inbound = await self.command_message(command)
        if inbound is not None:
            await self._handle(inbound)

    async def publish_home(self, user_id: str) -> None:
        """Show ``user_id`` their open tickets in the App Home tab."""
        if not isinstance(self._sink, OpenTicketsQuery):
            return
        summary = self._sink.open_tickets_for(UserRef(SLACK, user_id))
        await _call(self.client.views_publish, user_id=user_id, view=home_view(summary))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack: handling an event failed", exc_info=task.exception())


# ------------------------------------------------------------------------------------ helpers
def _action_pattern() -> re.Pattern[str]:
    return re.compile("^" + re.escape(ACTION_PREFIX))


def _event_id(body: dict[str, Any], channel: str, ts: str) -> str:
    """The Events API ``event_id`` (same on every redelivery); channel and ts without one."""
    return str(body.get("event_id") or f"{channel}:{ts}")


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _attachments(event: dict[str, Any]) -> tuple[Attachment, ...]:
    """Files shared with a message, as references (their permalink, else their id)."""
    found: list[Attachment] = []
    for item in event.get("files") or []:
        if not isinstance(item, dict):
            continue
        kind = "photo" if str(item.get("mimetype") or "").startswith("image/") else "document"
        ref = str(item.get("permalink") or item.get("id") or "")
        if ref:
            found.append(Attachment(kind, ref, str(item.get("name") or item.get("title") or "")))
    return tuple(found)


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
