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
- Block Kit buttons and the ``/helpdesk`` slash command: handled before the acknowledgement too,
  for up to ``ACK_WAIT_SECONDS`` (Slack allows three seconds and does not resend these); slower
  work goes on after the ack.
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
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackClientError

from bot import texts
from bot.core.ports import DeskDirectory, EventSink, MediaSource, Sender, StatusPages
from bot.core.types import (
    Attachment,
    Button,
    ButtonPress,
    ChannelAddress,
    DeliveryError,
    Event,
    InboundMessage,
    UserRef,
    UserTickets,
)
from handlers.slack_format import (
    ACTION_PREFIX,
    message_blocks,
    mrkdwn_to_plain,
    strip_mention,
)
from handlers.status_routes import Route, add_routes, add_status_routes, bound_port

if TYPE_CHECKING:
    from bot.settings import Settings
from handlers.slack_adapter_sender import (
    SLACK,
    SlackDeskDirectory,
    SlackSender,
    call_api,
    make_client,
    mention_chat_id,
)

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"

SLASH_COMMAND = "/helpdesk"

# Message subtypes that are people writing; everything else (edits, deletions, joins, bot
# messages, ...) is ignored.
_PEOPLE_SUBTYPES = (None, "file_share", "thread_broadcast")


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
        self.media: MediaSource = self.slack_sender  # files shared here, for other platforms' adapters
        self.directory: DeskDirectory | None = self.desk_directory
        self._sink: EventSink | None = None
        self._names: dict[str, str] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.status_pages: StatusPages | None = None  # /healthz and /metrics on the HTTP server
        # Other channels' webhooks on this server (same listen address), set by the composition root.
        self.extra_routes: list[Route] = []
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
    def connected(self) -> bool:
        """Whether events can arrive (Socket Mode connected, or the HTTP server listening)."""
        return self._socket is not None or self._runner is not None

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
        add_routes(web_app, self.extra_routes)
        add_status_routes(web_app, self.status_pages)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        # SO_REUSEPORT: the workers of one host share the port (the kernel spreads connections).
        site = web.TCPSite(self._runner, host or "0.0.0.0", int(port or 3000), reuse_port=True)
        await site.start()
        self.http_port = bound_port(self._runner) or int(port or 3000)
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
        await self._before_ack(self._command(command))
        await ack()

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        press = await self.button_press(body)
        if press is not None:
            await self._before_ack(self._handle(press))
        await ack()

    async def _before_ack(self, work: Coroutine[Any, Any, None]) -> None:
        """Start ``work`` and give it up to ``ACK_WAIT_SECONDS`` before the acknowledgement: a
        press or command is then normally stored before Slack hears of it, so a worker killed
        right after the ack loses nothing. Slack wants the ack within three seconds, so slower
        work goes on after it."""
        task = self._spawn(work)
        await asyncio.wait({task}, timeout=ACK_WAIT_SECONDS)

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
        await call_api(self.client.views_publish, user_id=user_id, view=home_view(summary))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack: handling an event failed", exc_info=task.exception())


# ------------------------------------------------------------------------------------ helpers
ACK_WAIT_SECONDS = 2.0


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
            found.append(Attachment(kind, ref, str(item.get("name") or item.get("title") or ""), SLACK))
    return tuple(found)
