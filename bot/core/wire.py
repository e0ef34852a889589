"""Outbound messages as JSON-safe dicts, for the outbox table."""

from __future__ import annotations

import base64
from typing import Any

from bot.core.types import Attachment, Button, ChannelAddress, OutboundMessage


def message_to_payload(message: OutboundMessage) -> dict[str, Any]:
    """Turn ``message`` into a dict that survives a JSON column."""
    return {
        "address": [message.address.platform, message.address.chat_id, message.address.thread_id],
        "text": message.text,
        "buttons": [[b.label, b.action, b.value] for b in message.buttons],
        "reply_to_id": message.reply_to_id,
        "edit_message_id": message.edit_message_id,
        "thread_title": message.thread_title,
        "attachments": [[a.kind, a.file_id, a.name, a.platform] for a in message.attachments],
        "image": base64.b64encode(message.image).decode("ascii") if message.image else None,
        "reaction": message.reaction,
        "close_thread": message.close_thread,
        "ephemeral_user_id": message.ephemeral_user_id,
        "reopen_thread": message.reopen_thread,
    }


def payload_to_message(payload: dict[str, Any]) -> OutboundMessage:
    """Rebuild the message stored by :func:`message_to_payload`."""
    platform, chat_id, thread_id = payload["address"]
    image = payload.get("image")
    return OutboundMessage(
        address=ChannelAddress(platform, chat_id, thread_id),
        text=payload.get("text", ""),
        buttons=tuple(Button(*b) for b in payload.get("buttons", [])),
        reply_to_id=payload.get("reply_to_id"),
        edit_message_id=payload.get("edit_message_id"),
        thread_title=payload.get("thread_title"),
        attachments=tuple(Attachment(*a) for a in payload.get("attachments", [])),
        image=base64.b64decode(image) if image else None,
        reaction=payload.get("reaction"),
        close_thread=bool(payload.get("close_thread", False)),
        ephemeral_user_id=payload.get("ephemeral_user_id"),
        reopen_thread=bool(payload.get("reopen_thread", False)),
    )
