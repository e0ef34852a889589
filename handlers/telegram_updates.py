"""Where a Telegram update becomes an engine event: commands, attachments, threads and replies read
from the update (pure functions, no network)."""

from __future__ import annotations

import logging
import re

from telegram import (
    Chat,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType

from bot.core.types import Attachment, Button, ButtonPress, ChannelAddress, Event, InboundMessage, UserRef
from handlers.telegram_adapter_sender import (
    PLATFORM,
    reply_thread_id,
)

UNSUPPORTED_MEDIA = (
    "sticker",
    "animation",
    "voice",
    "video_note",
    "video",
    "audio",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
    "game",
    "story",
    "paid_media",
    "invoice",
)

_COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?$", re.DOTALL)

log = logging.getLogger(__name__)

_ignored_chats: set[int] = set()


# ------------------------------------------------------------------------------ translation
def user_ref(user: User) -> UserRef:
    """A Telegram user as the core sees them."""
    return UserRef(PLATFORM, str(user.id), user.full_name)


def parse_command(text: str, bot_username: str) -> tuple[str | None, str, bool]:
    """``(command, arguments, for_us)`` for a message text; ``command`` is None for plain text.
    ``for_us`` is False for ``/cmd@otherbot``."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None, text, True
    target = match.group(2)
    for_us = target is None or not bot_username or target.lower() == bot_username.lower()
    return match.group(1).lower(), (match.group(3) or "").strip(), for_us


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """Photos and documents as attachments; any other media as one ``unsupported`` attachment."""
    if message.photo:
        largest = message.photo[-1]
        return (Attachment("photo", largest.file_id, "", PLATFORM),)
    for kind in UNSUPPORTED_MEDIA:
        media = getattr(message, kind, None)
        if media:
            return (Attachment("unsupported", str(getattr(media, "file_id", "") or ""), kind),)
    if message.document:
        return (Attachment("document", message.document.file_id, message.document.file_name or "", PLATFORM),)
    return ()


def thread_of(message: Message, chat: Chat) -> str | None:
    """The opaque thread id of a group message: its forum topic, or (plain group) the message
    its reply chain hangs under."""
    if chat.type == ChatType.PRIVATE:
        return None
    if message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    if chat.is_forum:
        return None  # the forum's General topic
    root = message.message_thread_id
    if root is None and message.reply_to_message is not None:
        root = message.reply_to_message.message_id
    return reply_thread_id(root) if root else None


def reply_to_of(message: Message) -> str | None:
    """The message this one answers (not the implicit reply to a forum topic's first message)."""
    replied = message.reply_to_message
    if replied is None:
        return None
    if message.is_topic_message and replied.message_id == message.message_thread_id:
        return None
    return str(replied.message_id)


def _note_ignored_chat(chat: Chat, desk_chat_id: str) -> None:
    """Say once per chat that a group is not served (this is how people find the desk's id)."""
    if chat.id not in _ignored_chats:
        _ignored_chats.add(chat.id)
        log.info(
            "ignoring messages in chat %s (%r): not the desk (TELEGRAM_DESK_CHAT_ID=%r)",
            chat.id,
            chat.title or chat.type,
            desk_chat_id,
        )


def to_event(update: Update, *, bot_username: str, desk_chat_id: str) -> Event | None:
    """The core event for ``update``, or None when the helpdesk should not see it (other bots,
    service messages, chats other than private chats and the desk, commands for other bots)."""
    event_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        message = query.message
        if message is None or not query.data or query.from_user.is_bot:
            return None
        chat = message.chat
        if chat.type != ChatType.PRIVATE and str(chat.id) != desk_chat_id:
            return None
        thread = thread_of(message, chat) if isinstance(message, Message) else None
        action, value = Button.parse_callback(query.data)
        return ButtonPress(
            ChannelAddress(PLATFORM, str(chat.id), thread),
            user_ref(query.from_user),
            action,
            value,
            str(message.message_id),
            event_id,
        )
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    chat = message.chat
    is_private = chat.type == ChatType.PRIVATE
    is_desk = str(chat.id) == desk_chat_id
    if not is_private and not is_desk:
        _note_ignored_chat(chat, desk_chat_id)
        return None
    if is_desk and message.migrate_to_chat_id:
        log.warning(
            "the desk group became a supergroup: set TELEGRAM_DESK_CHAT_ID=%s and restart",
            message.migrate_to_chat_id,
        )
    command: str | None = None
    text = message.text or message.caption or ""
    if message.text:
        command, text, for_us = parse_command(message.text, bot_username)
        if not for_us:
            return None
    attachments = attachments_of(message)
    if is_desk:  # specialists' stickers and the like are not passed on
        attachments = tuple(a for a in attachments if a.kind != "unsupported")
    if command is None and not text and not attachments:
        return None  # service messages (members joined, topic created, pinned, ...)
    return InboundMessage(
        address=ChannelAddress(PLATFORM, str(chat.id), thread_of(message, chat)),
        sender=user_ref(message.from_user),
        text=text,
        message_id=str(message.message_id),
        is_direct=is_private,
        reply_to_id=reply_to_of(message),
        command=command,
        event_id=event_id,
        attachments=attachments,
    )
