"""Outbound half of the Telegram channel: ``OutboundMessage`` -> Bot API calls.

Every text goes out with ``parse_mode=HTML`` and is escaped in full, so whatever a user or a
specialist typed (``<b>``, ``*``, ``_``, ``[``) arrives exactly as written. Telegram errors are
turned into :class:`~bot.core.types.DeliveryError` so the dispatcher knows whether to wait
(``retry_after``), give up (``permanent``) or try again later.

Thread ids are opaque to the core; this module defines what they mean on Telegram:

- ``"123"``: forum topic 123 (``message_thread_id``) in a forum supergroup;
- ``"r456"``: in a plain group, "reply under message 456" (the ticket card).
"""

from __future__ import annotations

import asyncio
import html
import logging
import mimetypes
import time
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.core.ports import MediaSource
from bot.core.types import (
    Attachment,
    Button,
    ChannelAddress,
    DeliveryError,
    MediaFile,
    OutboundMessage,
    SendReceipt,
)
from handlers import text_parts

log = logging.getLogger(__name__)

PLATFORM = "telegram"
MAX_TEXT = 4096
"""Telegram's limit for one message's text (in UTF-16 code units, after entity parsing)."""
MAX_CAPTION = 1024
MAX_TOPIC_NAME = 128
MAX_CALLBACK_DATA = 64
RATING_ROW = 5
FORUM_CACHE_SECONDS = 600.0
REPLY_PREFIX = "r"

# Reactions the core may ask for (Slack-style names or emoji) -> emoji Telegram allows as reactions.
# Telegram has no check mark among its reactions; "delivered" is shown as a thumbs up.
REACTIONS: dict[str, str] = {
    "white_check_mark": "👍",
    "heavy_check_mark": "👍",
    "ok": "👌",
    "ok_hand": "👌",
    "+1": "👍",
    "thumbsup": "👍",
    "eyes": "👀",
    "pray": "🙏",
    "writing_hand": "✍",
}
DEFAULT_REACTION = "👍"

T = TypeVar("T")


# ------------------------------------------------------------------------------- pure helpers
def chat_ref(chat_id: str) -> int | str:
    """A chat id as the Bot API wants it: numeric ids as ``int``, ``@channel`` names as they are."""
    stripped = chat_id.strip()
    return int(stripped) if stripped.lstrip("-").isdigit() else stripped


def parse_thread(thread_id: str | None) -> tuple[int | None, int | None]:
    """Split an opaque thread id into ``(forum topic id, message to reply under)``."""
    if not thread_id:
        return None, None
    if thread_id.startswith(REPLY_PREFIX) and thread_id[1:].isdigit():
        return None, int(thread_id[1:])
    if thread_id.isdigit():
        return int(thread_id), None
    return None, None


def reply_thread_id(message_id: int | str) -> str:
    """The opaque thread id meaning "replies under ``message_id``" (plain groups)."""
    return f"{REPLY_PREFIX}{message_id}"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _utf16_prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 code units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-16 units (see :func:`text_parts.split_text`)."""
    return text_parts.split_text(text, limit, measure=utf16_len, prefix=_utf16_prefix)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 units, marked with an ellipsis when cut."""
    if utf16_len(text) <= limit:
        return text
    return text[: _utf16_prefix(text, limit - 1)] + "…"


def escape(text: str) -> str:
    """Plain text made safe for ``parse_mode=HTML``: shown exactly as written."""
    return html.escape(text, quote=False)


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Buttons as an inline keyboard: one per row, except 1-5 ratings, which share a row."""
    rows: list[list[InlineKeyboardButton]] = []
    short: list[InlineKeyboardButton] = []
    for button in buttons:
        data = button.callback_data
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
            log.warning("dropping button %r: callback data over %s bytes", button.label, MAX_CALLBACK_DATA)
            continue
        key = InlineKeyboardButton(button.label, callback_data=data)
        if button.action == "rate" or button.label.isdigit():
            if len(short) == RATING_ROW:
                rows.append(short)
                short = []
            short.append(key)
            continue
        if short:
            rows.append(short)
            short = []
        rows.append([key])
    if short:
        rows.append(short)
    return InlineKeyboardMarkup(rows) if rows else None


def reaction_emoji(name: str) -> str:
    """An emoji Telegram accepts as a reaction for the core's reaction ``name``."""
    name = name.strip().strip(":")
    if name in REACTIONS:
        return REACTIONS[name]
    if name and not name.isascii():
        return name  # already an emoji
    return DEFAULT_REACTION


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


def delivery_error(error: TelegramError) -> DeliveryError:
    """What a Telegram error means for the outbox."""
    if isinstance(error, RetryAfter):
        with warnings.catch_warnings():  # PTB warns about the int/timedelta type change
            warnings.simplefilter("ignore")
            wait = _seconds(error.retry_after)
        return DeliveryError(f"rate limited by Telegram: retry after {wait:g}s", retry_after=wait)
    if isinstance(error, ChatMigrated):
        return DeliveryError(
            f"the group became a supergroup with id {error.new_chat_id}; use that chat id", permanent=True
        )
    if isinstance(error, Forbidden | BadRequest | InvalidToken):
        return DeliveryError(error.message, permanent=True)
    if isinstance(error, TimedOut | NetworkError):
        return DeliveryError(f"network trouble: {error.message}")
    return DeliveryError(error.message)


def _is(error: TelegramError, *fragments: str) -> bool:
    message = error.message.lower()
    return any(fragment in message for fragment in fragments)


# --------------------------------------------------------------------------------- the sender
class TelegramSender:
    """Implements ``Sender`` over a PTB ``Bot``; raises ``DeliveryError`` on failure."""

    platform = PLATFORM

    def __init__(self, bot: Bot, monotonic: Callable[[], float] = time.monotonic):
        self.bot = bot
        # Files users sent on other platforms (WhatsApp) are fetched there and uploaded here.
        self.media_sources: dict[str, MediaSource] = {}
        self._monotonic = monotonic
        self._forum: dict[str, tuple[bool, float]] = {}
        self._pending_topics: dict[tuple[str, str], int] = {}
        self._init_lock = asyncio.Lock()

    async def _ready(self) -> None:
        """Make sure the bot is initialised (the dispatcher may send before the channel starts)."""
        async with self._init_lock:
            await self.bot.initialize()

    # ------------------------------------------------------------------------- MediaSource
    async def fetch(self, attachment: Attachment) -> MediaFile:
        """A file sent in Telegram (``getFile`` and its download), for another platform's adapter
        (implements ``MediaSource``)."""
        try:
            await self._ready()
            file = await self.bot.get_file(attachment.file_id)
            data = await file.download_as_bytearray()
        except TelegramError as error:
            raise delivery_error(error) from error
        name = attachment.name or (file.file_path or "").rpartition("/")[2] or attachment.kind
        if attachment.kind == "photo" and "." not in name:
            name += ".jpg"
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return MediaFile(bytes(data), name, mime)

    # ------------------------------------------------------------------------------ Sender
    async def send(self, message: OutboundMessage) -> SendReceipt:
        """Deliver ``message``; the receipt holds the id of its (first) Telegram message."""
        try:
            await self._ready()
            return await self._send(message)
        except TelegramError as error:
            raise delivery_error(error) from error

    async def open_thread(self, where: ChannelAddress, title: str, first: OutboundMessage) -> SendReceipt:
        """Open a thread for a ticket: a forum topic in a forum supergroup, else the card itself is
        the thread root (``r<card id>``). The receipt carries the new thread id."""
        first = replace(first, thread_title=None)
        try:
            await self._ready()
            if await self.is_forum(where.chat_id):
                topic = await self._topic_for(where.chat_id, title)
                if topic is not None:
                    receipt = await self._send(replace(first, address=where.in_thread(str(topic))))
                    self._pending_topics.pop((where.chat_id, title), None)
                    return receipt
            receipt = await self._send(replace(first, address=where.without_thread()))
        except TelegramError as error:
            raise delivery_error(error) from error
        return SendReceipt(where.in_thread(reply_thread_id(receipt.message_id)), receipt.message_id)

    async def is_forum(self, chat_id: str) -> bool:
        """Whether ``chat_id`` is a forum supergroup (asked with getChat, cached for a while)."""
        cached = self._forum.get(chat_id)
        now = self._monotonic()
        if cached is not None and now - cached[1] < FORUM_CACHE_SECONDS:
            return cached[0]
        chat = await self.bot.get_chat(chat_ref(chat_id))
        forum = bool(chat.is_forum)
        self._forum[chat_id] = (forum, now)
        return forum

    # --------------------------------------------------------------------------- internals
    async def _topic_for(self, chat_id: str, title: str) -> int | None:
        """A new forum topic for ``title`` (reused if the card failed to post into it before);
        None when the bot may not create topics (then the plain-group way is used)."""
        key = (chat_id, title)
        if key in self._pending_topics:
            return self._pending_topics[key]
        name = truncate(title.strip() or "Ticket", MAX_TOPIC_NAME)
        try:
            topic = await self.bot.create_forum_topic(chat_ref(chat_id), name=name)
        except (BadRequest, Forbidden) as error:
            log.warning(
                "cannot create a forum topic in %s (%s); replying under the card instead", chat_id, error
            )
            return None
        self._pending_topics[key] = topic.message_thread_id
        return topic.message_thread_id

    async def _send(self, message: OutboundMessage) -> SendReceipt:
        chat = chat_ref(message.address.chat_id)
        topic, under = parse_thread(message.address.thread_id)
        if message.edit_message_id:
            return await self._edit(message, chat)
        if message.reaction and message.reply_to_id:
            reacted = await self._react(message, chat)
            if reacted is not None:
                return reacted
        reply_to = (
            int(message.reply_to_id) if message.reply_to_id and message.reply_to_id.isdigit() else under
        )
        if message.reopen_thread and topic is not None:
            await self._reopen(chat, topic)
        ids = await self._in_topic(
            chat, topic, lambda in_topic: self._post(message, chat, in_topic, reply_to)
        )
        if message.close_thread and topic is not None:
            try:
                await self.bot.close_forum_topic(chat, topic)
            except TelegramError as error:  # the message is out; a topic left open is harmless
                log.warning("could not close forum topic %s in %s: %s", topic, chat, error)
        return SendReceipt(message.address, str(ids[0]))

    async def _in_topic(
        self, chat: int | str, topic: int | None, post: Callable[[int | None], Awaitable[T]]
    ) -> T:
        """Run ``post`` in ``topic``. If the topic is closed, reopen it and retry; if it was deleted,
        post in the group's General topic rather than lose the message."""
        try:
            return await post(topic)
        except BadRequest as error:
            if topic is None:
                raise
            if _is(error, "thread not found"):
                log.warning("forum topic %s in %s is gone; posting in General instead", topic, chat)
                return await post(None)
            if not _is(error, "topic_closed", "topic closed"):
                raise
        await self._reopen(chat, topic)
        return await post(topic)

    async def _reopen(self, chat: int | str, topic: int) -> None:
        """Reopen a closed forum topic (an open one is left as it is)."""
        try:
            await self.bot.reopen_forum_topic(chat, topic)
        except BadRequest as error:
            if not _is(error, "topic_not_modified"):  # "not modified": it was open already
                raise

    async def _post(
        self, message: OutboundMessage, chat: int | str, topic: int | None, reply_to: int | None
    ) -> list[int]:
        """Post text, files or an image; returns the ids of the messages sent, first first."""
        markup = keyboard(message.buttons)
        files = [a for a in message.attachments if a.kind in ("photo", "document")]
        ids: list[int] = []
        caption: str | None = None
        if (files or message.image is not None) and utf16_len(message.text) <= MAX_CAPTION:
            caption = message.text
        else:
            parts = [part for part in split_text(message.text) if part.strip()] or [message.text]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                sent = await self.bot.send_message(
                    chat,
                    escape(part),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=topic,
                    reply_parameters=self._reply(reply_to if not ids else None),
                    reply_markup=markup if last and not files and message.image is None else None,
                )
                ids.append(sent.message_id)
        if message.image is not None:
            photo = await self.bot.send_photo(
                chat,
                InputFile(message.image, filename="image.png"),
                caption=escape(caption) if caption else None,
                parse_mode=ParseMode.HTML,
                message_thread_id=topic,
                reply_parameters=self._reply(reply_to if not ids else None),
                reply_markup=markup if not files else None,
            )
            ids.append(photo.message_id)
            caption = None
        for index, attachment in enumerate(files):
            sent_file = await self._send_file(
                attachment,
                chat,
                caption=caption if index == 0 else None,
                topic=topic,
                reply_to=reply_to if not ids else None,
                markup=markup if index == len(files) - 1 else None,
            )
            if sent_file is not None:
                ids.append(sent_file)
        return ids

    async def _send_file(
        self,
        attachment: Attachment,
        chat: int | str,
        *,
        caption: str | None,
        topic: int | None,
        reply_to: int | None,
        markup: InlineKeyboardMarkup | None,
    ) -> int | None:
        send = self.bot.send_photo if attachment.kind == "photo" else self.bot.send_document
        file: str | InputFile = attachment.file_id
        if attachment.platform and attachment.platform != PLATFORM:
            fetched = await self._foreign_file(attachment)
            if fetched is None:
                return None
            file = fetched
        sent = await send(
            chat,
            file,
            caption=escape(caption) if caption else None,
            parse_mode=ParseMode.HTML,
            message_thread_id=topic,
            reply_parameters=self._reply(reply_to),
            reply_markup=markup,
        )
        return sent.message_id

    async def _foreign_file(self, attachment: Attachment) -> InputFile | None:
        """A file from another platform, fetched there; None (logged) when it cannot be: the
        message's text still goes out, and the desk sees the file's name in it."""
        source = self.media_sources.get(attachment.platform)
        if source is None:
            log.warning("files from %s cannot be passed on (no media source)", attachment.platform)
            return None
        try:
            media = await source.fetch(attachment)
        except DeliveryError as error:
            log.warning("could not fetch a %s file to pass on: %s", attachment.platform, error.reason)
            return None
        return InputFile(media.data, filename=media.name)

    @staticmethod
    def _reply(message_id: int | None) -> ReplyParameters | None:
        if message_id is None:
            return None
        return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)

    async def _edit(self, message: OutboundMessage, chat: int | str) -> SendReceipt:
        """Replace an earlier message's text; its keyboard is replaced too, so a pressed keyboard
        cannot be pressed again (an edit without ``reply_markup`` removes the inline keyboard)."""
        assert message.edit_message_id is not None
        markup = keyboard(message.buttons)
        try:
            await self.bot.edit_message_text(
                escape(truncate(message.text, MAX_TEXT)),
                chat_id=chat,
                message_id=int(message.edit_message_id),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as error:
            if not _is(error, "message is not modified"):
                raise
        return SendReceipt(message.address, message.edit_message_id)

    async def _react(self, message: OutboundMessage, chat: int | str) -> SendReceipt | None:
        """Put a reaction on ``reply_to_id``; None when reactions are unavailable (then the text is
        sent as a reply instead)."""
        assert message.reaction is not None and message.reply_to_id is not None
        if not message.reply_to_id.isdigit():
            return None
        try:
            await self.bot.set_message_reaction(
                chat, int(message.reply_to_id), reaction_emoji(message.reaction)
            )
        except (BadRequest, Forbidden) as error:
            log.info("reaction refused in %s (%s); replying with text instead", chat, error)
            return None
        return SendReceipt(message.address, message.reply_to_id)
