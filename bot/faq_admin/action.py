"""One admin event being handled: where to answer, in which language, as whom."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.core.types import (
    Button,
    ButtonPress,
    Event,
    InboundMessage,
    OutboundMessage,
)

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn


class AdminAction:
    """One admin event being handled: where to answer, in which language, as whom."""

    def __init__(self, engine: HelpdeskEngine, turn: Turn, event: Event, lang: str):
        self.engine = engine
        self.turn = turn
        self.uow = turn.uow
        self.event = event
        self.lang = lang
        self.in_desk = engine.is_desk(event.address)

    @property
    def private(self) -> bool:
        """Whether this is a direct chat with the bot (where step-by-step dialogues run)."""
        if self.in_desk:
            return False
        return not isinstance(self.event, InboundMessage) or self.event.is_direct

    def t(self, key: str, **fields: Any) -> str:
        return self.engine.t(self.lang, key, **fields)

    def say(self, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.turn.send(OutboundMessage(self.event.address, text, buttons))

    def tell(self, key: str, **fields: Any) -> None:
        self.say(self.t(key, **fields))

    def problem(self, found: tuple[str, dict[str, Any]]) -> None:
        key, fields = found
        self.tell(key, **fields)

    def replace_pressed(self, text: str) -> None:
        """Replace the message whose button was pressed (so it cannot be pressed twice), or say ``text``."""
        if isinstance(self.event, ButtonPress) and self.event.message_id:
            self.turn.send(OutboundMessage(self.event.address, text, edit_message_id=self.event.message_id))
        else:
            self.say(text)

    def refuse(self, key: str = "faq_not_admin") -> None:
        self.turn.send(
            OutboundMessage(
                self.event.address,
                self.t(key),
                ephemeral_user_id=self.event.sender.user_id if self.in_desk else None,
            )
        )

    def audit(self, action: str, target: str, **detail: Any) -> None:
        self.turn.audit(self.event.sender, action, target, **detail)

    def changed(self) -> None:
        """The FAQ changed in this event: answer with the new content from the next event on."""
        self.engine.faq.invalidate()
