"""Telegram channel (python-telegram-bot v22): users in private chats, specialists in a desk group.

The channel wraps a real ``telegram.ext.Application`` (built with the configured ``base_url`` /
``base_file_url``) and translates between Telegram updates and the core's value types; it keeps
no conversation state of its own.

Getting updates without losing any
----------------------------------
PTB's own ``Updater`` confirms a batch of updates to Telegram (by asking for the next offset) as
soon as the batch is queued, before the handlers ran, and its webhook server answers 200 on
receipt. A crash or a failing handler would then lose those updates. This channel therefore
fetches updates itself and feeds each one to ``Application.process_update``, which runs the
handlers (and so the engine, which stores the message) before anything is confirmed:

- polling: the next ``getUpdates`` offset moves past an update only after it was processed. A
  handler that raises is retried in place with backoff (``max_update_attempts`` times, then the
  update is logged as dropped so one poisonous update cannot stall the bot for good). A network
  outage just pauses polling; Telegram keeps the unconfirmed updates.
- webhook: the HTTP request is answered 200 only after the update was processed; a failure
  answers 500 and Telegram delivers it again (up to ``max_update_attempts`` times). Requests
  without the right ``X-Telegram-Bot-Api-Secret-Token`` are refused with 403. A button press is
  acknowledged (``answerCallbackQuery``, which stops the client's spinner) in the body of that
  200, as the Bot API allows for webhook replies: one request to Telegram less per press.

An update seen twice (redelivery after a crash, a retried webhook) is harmless: its
``event_id`` is the ``update_id`` and the engine drops events it already stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot import texts
from bot.core.ports import DeskDirectory, EventSink, Lease, MediaSource, Sender, StatusPages
from bot.core.types import UserRef
from bot.settings import Settings
from handlers.status_routes import Route, add_routes, add_status_routes, bound_port
from handlers.telegram_adapter_sender import (
    PLATFORM,
    TelegramSender,
    chat_ref,
    delivery_error,
)
from handlers.telegram_request import AiohttpRequest
from handlers.telegram_updates import to_event

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

USER_COMMANDS = ("start", "help", "ticket", "status", "cancel", "lang", "mydata", "forget")

DESK_COMMANDS = ("claim", "resolve", "priority", "note", "reply", "tickets", "help")

COMMAND_LANGUAGES = (("en", None), ("id", "id"))  # (texts language, Telegram language_code)


MEMBER_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER})


# ------------------------------------------------------------------------------- directory
class TelegramDeskDirectory:
    """Implements ``DeskDirectory``: desk members are the desk group's members (getChatMember),
    remembered for ``ttl`` seconds."""

    def __init__(
        self, bot: Bot, desk_chat_id: str, ttl: float = 60.0, monotonic: Callable[[], float] = time.monotonic
    ):
        self.bot = bot
        self.desk_chat_id = desk_chat_id
        self.ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[bool, float]] = {}

    async def is_desk_member(self, user: UserRef) -> bool:
        """Whether ``user`` is the desk group's creator, an administrator or a member."""
        if user.platform != PLATFORM or not self.desk_chat_id or not user.user_id.isdigit():
            return False
        now = self._monotonic()
        cached = self._cache.get(user.user_id)
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        await self.bot.initialize()
        try:
            member = await self.bot.get_chat_member(chat_ref(self.desk_chat_id), int(user.user_id))
            result = member.status in MEMBER_STATUSES
        except BadRequest:  # "user not found" and the like: not a member
            result = False
        self._cache[user.user_id] = (result, now)
        return result

    def forget(self, user_id: str | None = None) -> None:
        """Drop cached answers (all, or one user's)."""
        if user_id is None:
            self._cache.clear()
        else:
            self._cache.pop(user_id, None)


# --------------------------------------------------------------------------------- channel
@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for the bot's HTTP clients (loading the CA bundle is slow; do it once)."""
    return httpx.create_ssl_context()


def _listen_address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ValueError(f"TELEGRAM_WEBHOOK_LISTEN must be host:port, not {listen!r}")
    return host or "0.0.0.0", int(port)


class TelegramChannel:
    """Implements ``Channel`` for Telegram: polling (default) or a webhook, plus the sender and
    the desk directory."""

    platform = PLATFORM

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        desk_chat_id: str,
        mode: str = "polling",
        webhook_listen: str = "0.0.0.0:8443",
        webhook_url: str = "",
        webhook_secret: str = "",
        webhook_max_connections: int = 40,
        desk_language: str = "id",
        poll_timeout: int = 25,
        retry_seconds: float = 1.0,
        max_retry_seconds: float = 60.0,
        max_update_attempts: int = 5,
    ):
        if mode not in ("polling", "webhook"):
            raise ValueError(f"TELEGRAM_MODE must be polling or webhook, not {mode!r}")
        if mode == "webhook" and not (webhook_url and webhook_secret):
            raise ValueError("webhook mode needs TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET")
        self.application = application
        self.bot: Bot = application.bot
        self.desk_chat_id = desk_chat_id
        self.mode = mode
        self.webhook_listen = webhook_listen
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.webhook_max_connections = webhook_max_connections
        self.desk_language = desk_language
        self.poll_timeout = poll_timeout
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.max_update_attempts = max_update_attempts
        self.telegram_sender = TelegramSender(self.bot)
        self.desk_directory = TelegramDeskDirectory(self.bot, desk_chat_id)
        self.sender: Sender = self.telegram_sender
        self.media: MediaSource = self.telegram_sender  # files sent here, for other platforms' adapters
        self.directory: DeskDirectory | None = self.desk_directory
        self._sink: EventSink | None = None
        self._failed: set[int] = set()
        # Webhook updates whose button press the 200 reply acknowledges (not a request of its own).
        self._answered_in_reply: set[int] = set()
        self._attempts: dict[int, int] = {}
        self._offset: int | None = None
        self._prepared = False
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._poll_call: asyncio.Task[Any] | None = None
        self._runner: web.AppRunner | None = None
        # Polling with several processes: only the holder of this lease polls (set by the
        # composition root); the others stand by, checking every ``standby_seconds``.
        self.poll_lease: Lease | None = None
        self.standby_seconds = 2.0
        # /healthz and /metrics on the webhook server (set by the composition root).
        self.status_pages: StatusPages | None = None
        # Other channels' webhooks on this server (same listen address), set by the composition root.
        self.extra_routes: list[Route] = []
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramChannel:
        """The channel the settings describe (token, desk chat, API URLs, polling or webhook)."""
        if not settings.telegram_bot_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        # httpx logs every request URL at INFO, and Bot API URLs contain the token: keep it out of logs.
        httpx_log = logging.getLogger("httpx")
        httpx_log.setLevel(max(httpx_log.getEffectiveLevel(), logging.WARNING))
        application = (
            Application.builder()
            .token(settings.telegram_bot_token)
            .base_url(settings.telegram_api_base_url)
            .base_file_url(settings.telegram_api_file_url)
            .request(AiohttpRequest(connection_pool_size=256, ssl_context=tls_context()))
            .get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": tls_context()}))
            .concurrent_updates(False)
            .updater(None)
            .job_queue(None)
            .build()
        )
        return cls(
            application,
            desk_chat_id=settings.telegram_desk_chat_id.strip(),
            mode=settings.telegram_mode.strip().lower() or "polling",
            webhook_listen=settings.telegram_webhook_listen,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=settings.telegram_webhook_secret,
            webhook_max_connections=settings.telegram_webhook_max_connections,
            desk_language=settings.helpdesk_language,
        )

    # -------------------------------------------------------------------------- lifecycle
    async def start(self, sink: EventSink) -> None:
        """Connect (getMe, commands, webhook set or removed) and begin receiving updates.

        A network failure here does not stop the process: the channel keeps trying in the
        background. A wrong token does (``InvalidToken``)."""
        self._sink = sink
        self._stopping.clear()
        if self.mode == "webhook":
            await self._start_server()
        try:
            await self._prepare()
        except (InvalidToken, Forbidden, BadRequest):
            await self._stop_server()
            raise
        except TelegramError as error:
            log.warning("Telegram is not reachable yet (%s); will keep trying", error)
        self._task = asyncio.create_task(self._run(), name="telegram-updates")

    async def stop(self) -> None:
        """Stop receiving; confirm what was processed; release connections."""
        self._stopping.set()
        if self._poll_call is not None and not self._poll_call.done():
            self._poll_call.cancel()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                pass
            except Exception:
                log.exception("the Telegram update loop ended with an error")
            self._task = None
        await self._stop_server()
        if self.mode == "polling" and self._prepared and self._offset is not None:
            with contextlib.suppress(Exception):  # confirm processed updates; harmless if it fails
                await self.bot.get_updates(offset=self._offset, timeout=0, limit=1)
        if self.poll_lease is not None:
            await self.poll_lease.release()
        await self.application.shutdown()  # a no-op when it was never initialised
        self._prepared = False

    @property
    def connected(self) -> bool:
        """Whether Telegram answered (getMe, webhook set or removed); for ``/healthz``."""
        return self._prepared

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook server listens on (useful with port 0)."""
        return bound_port(self._runner)

    async def _prepare(self) -> None:
        await self.application.initialize()
        await self._set_commands()
        if self.mode == "polling":
            await self.bot.delete_webhook(drop_pending_updates=False)
        else:
            await self.bot.set_webhook(
                self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=self.webhook_max_connections,
            )
        self._prepared = True

    async def _set_commands(self) -> None:
        """The command menus: for everyone (English by default, Indonesian for ``id`` clients)
        and, in the desk group, the specialists' commands."""
        try:
            for lang, code in COMMAND_LANGUAGES:
                user_commands = [BotCommand(c, texts.text(lang, f"cmd_{c}")) for c in USER_COMMANDS]
                await self.bot.set_my_commands(
                    user_commands, scope=BotCommandScopeDefault(), language_code=code
                )
                if self.desk_chat_id:
                    desk_commands = [BotCommand(c, texts.text(lang, f"cmd_desk_{c}")) for c in DESK_COMMANDS]
                    await self.bot.set_my_commands(
                        desk_commands,
                        scope=BotCommandScopeChat(chat_ref(self.desk_chat_id)),
                        language_code=code,
                    )
        except TelegramError as error:
            log.warning("could not set the bot's command menu: %s", error)

    async def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopping; True when the channel is stopping."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def _backoff(self, failures: int) -> float:
        return float(min(self.max_retry_seconds, self.retry_seconds * 2 ** max(0, failures - 1)))

    async def _run(self) -> None:
        failures = 0
        while not self._prepared and not self._stopping.is_set():
            failures += 1
            if await self._pause(self._backoff(failures)):
                return
            try:
                await self._prepare()
            except TelegramError as error:
                log.warning("still cannot reach Telegram: %s", error)
        if self.mode == "polling":
            await self._poll()

    # ----------------------------------------------------------------------------- polling
    async def _poll(self) -> None:
        """Fetch and process updates until stopped; the offset passes an update only once it
        was processed (or given up after ``max_update_attempts``)."""
        failures = 0
        while not self._stopping.is_set():
            if self.poll_lease is not None and not await self.poll_lease.hold():
                self._offset = None  # the next poller confirms from where Telegram stands
                if await self._pause(self.standby_seconds):
                    return
                continue
            self._poll_call = asyncio.create_task(
                self.bot.get_updates(
                    offset=self._offset, timeout=self.poll_timeout, allowed_updates=list(ALLOWED_UPDATES)
                )
            )
            try:
                updates = await self._poll_call
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except TimedOut:
                continue
            except RetryAfter as error:
                wait = delivery_error(error).retry_after or self.retry_seconds
                if await self._pause(wait):
                    return
                continue
            except Exception as error:  # network outage, Conflict, ...: keep the offset, wait, retry
                failures += 1
                log.warning("getUpdates failed (%s); retrying", error)
                if await self._pause(self._backoff(failures)):
                    return
                continue
            finally:
                self._poll_call = None
            failures = 0
            renewed = time.monotonic()
            for update in updates:
                if self.poll_lease is not None and time.monotonic() - renewed > self.poll_timeout:
                    if not await self.poll_lease.hold():
                        break  # taken over meanwhile: the rest stays unconfirmed for the new poller
                    renewed = time.monotonic()
                if not await self._process_with_retries(update):
                    return  # stopping: this update stays unconfirmed and comes again
                self._offset = update.update_id + 1

    async def _process_with_retries(self, update: Update) -> bool:
        """Process ``update`` until it succeeds or is given up; False only when stopping first."""
        while True:
            if await self.process(update):
                return True
            if await self._pause(self._backoff(self._attempts.get(update.update_id, 1))):
                return False

    async def process(self, update: Update) -> bool:
        """Run the application's handlers on ``update``; True when it was processed, or when it
        failed ``max_update_attempts`` times and is given up (logged)."""
        self._failed.discard(update.update_id)
        await self.application.process_update(update)
        if update.update_id not in self._failed:
            self._attempts.pop(update.update_id, None)
            return True
        attempts = self._attempts.get(update.update_id, 0) + 1
        self._attempts[update.update_id] = attempts
        if attempts >= self.max_update_attempts:
            log.error("giving up on Telegram update %s after %s failed attempts", update.update_id, attempts)
            self._attempts.pop(update.update_id, None)
            return True
        log.warning(
            "Telegram update %s failed (attempt %s); it will be tried again", update.update_id, attempts
        )
        return False

    # ---------------------------------------------------------------------------- handlers
    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one PTB handler: translate and hand the event to the engine."""
        try:
            event = to_event(update, bot_username=self.bot.username or "", desk_chat_id=self.desk_chat_id)
            if event is not None:
                if self._sink is None:
                    raise RuntimeError("the Telegram channel has not been started")
                await self._sink.handle(event)
        finally:
            if update.callback_query is not None and update.update_id not in self._answered_in_reply:
                with contextlib.suppress(TelegramError):  # stop the client's spinner; may be too old
                    await update.callback_query.answer()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB passes handler exceptions here: remember the update as failed (to be retried)."""
        if isinstance(update, Update):
            self._failed.add(update.update_id)
        log.error("handling Telegram update failed", exc_info=context.error)

    # ----------------------------------------------------------------------------- webhook
    async def _start_server(self) -> None:
        host, port = _listen_address(self.webhook_listen)
        path = urlsplit(self.webhook_url).path or "/"
        app = web.Application()
        app.router.add_post(path, self._on_webhook)
        add_routes(app, self.extra_routes)
        add_status_routes(app, self.status_pages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        # SO_REUSEPORT: the workers of one host listen on the same port; the kernel spreads the
        # connections among them.
        await web.TCPSite(self._runner, host, port, reuse_port=True).start()
        log.info("Telegram webhook listening on %s:%s%s", host, self.webhook_port, path)

    async def _stop_server(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """One update from Telegram: answered 200 only once processed (500 asks for a retry)."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8"), self.webhook_secret.encode("utf-8")):
            return web.Response(status=403, text="forbidden")
        if not self._prepared:
            return web.Response(status=503, text="not ready")
        try:
            update = Update.de_json(await request.json(), self.bot)
        except Exception:
            log.warning("unreadable webhook request", exc_info=True)
            return web.Response(status=400, text="bad update")
        press = update.callback_query
        if press is not None:
            self._answered_in_reply.add(update.update_id)
        try:
            processed = await self.process(update)
        finally:
            self._answered_in_reply.discard(update.update_id)
        if not processed:
            return web.Response(status=500, text="failed; send it again")
        if press is not None:
            return web.json_response({"method": "answerCallbackQuery", "callback_query_id": press.id})
        return web.Response(text="ok")
