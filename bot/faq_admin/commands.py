"""FAQ editing from chat (``/faq ...``) and FAQ drafts proposed by specialists.

Admins (``HELPDESK_ADMINS``, checked here through :meth:`HelpdeskEngine.role_of` on every command
and button) keep the FAQ right from Telegram, Slack or the console:

- one-shot commands that work anywhere, the desk included: ``show``, ``list``, ``search``,
  ``addq``, ``delq``, ``answer ID LANG text``, ``delete`` (with a confirm button), ``history``,
  ``rollback``, ``drafts``, ``draft``, ``approve``, ``reject``;
- step-by-step dialogues in a direct chat with the bot: ``add`` (id, category, questions and
  answer per language, preview, save), ``answer ID LANG`` (the new answer as the next message) and
  adding a language to an entry. Their state lives in the conversation record (state ``faq_add``,
  ``faq_edit`` or ``faq_draft``, details under ``context["faq"]``), never in memory, so a restart
  or a second process carries on where the admin left off.

Specialists may propose a resolved ticket as a new entry (``/faq propose``); the draft waits for an
admin to approve (choosing id and category), edit or reject it.

Every change is a new FAQ version with its author and a note, and is written to the audit log.
The engine's FAQ index is invalidated after a change, so this process answers with the new content
from the next event on; other processes notice the stored revision within their refresh interval.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core.records import Conversation, Role
from bot.core.types import (
    LANGUAGES,
    ButtonPress,
    InboundMessage,
)

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn
from bot.faq_admin.action import AdminAction
from bot.faq_admin.add_dialogue import FaqDialogues
from bot.faq_admin.rules import (
    A_CATEGORY,
    A_DELETE,
    A_DRAFT,
    A_LIST,
    A_SAVE,
    A_STEP,
    A_STOP,
    ACTIONS,
    CANCEL_WORDS,
    COMMAND,
    DIALOGUE_TIMEOUT,
    STATE_ADD,
    STATE_DRAFT,
    STATE_EDIT,
    STATES,
    split_args,
)


class FaqAdmin(FaqDialogues):
    """The ``/faq`` commands, their buttons and dialogues (registered by :func:`install_faq_admin`)."""

    async def on_command(self, turn: Turn, event: InboundMessage) -> None:
        """``/faq SUBCOMMAND ...``: admins (``propose``: specialists too); others are refused."""
        sub, rest = split_args(event.text)
        sub = sub.lower()
        conv_lang = None
        if not self.engine.is_desk(event.address):
            address = event.address
            conv = turn.uow.conversations.get(address.platform, address.chat_id, event.sender.user_id)
            if conv is not None and conv.state in STATES:
                conv_lang = (conv.context.get("faq") or {}).get("lang")
        act = AdminAction(self.engine, turn, event, self._lang(turn, event, conv_lang))
        if sub == "propose":
            if not await self.engine.is_specialist(event.sender):
                act.refuse("faq_not_specialist")
                return
            self.propose(act, rest)
            return
        if await self.engine.role_of(event.sender) != Role.ADMIN:
            act.refuse()
            return
        handlers = {
            "add": self.add,
            "show": self.show,
            "list": self.list_entries,
            "search": self.search,
            "addq": self.add_question,
            "delq": self.delete_question,
            "answer": self.answer,
            "delete": self.delete,
            "history": self.history,
            "rollback": self.rollback,
            "cancel": self.cancel,
            "drafts": self.drafts,
            "draft": self.draft,
            "approve": self.approve,
            "reject": self.reject,
        }
        handler = handlers.get(sub)
        if handler is None:
            if sub and sub != "help":
                act.tell("faq_unknown_subcommand", sub=sub[:30])
            act.tell("faq_help")
            return
        handler(act, rest.strip())

    async def on_button(self, turn: Turn, press: ButtonPress) -> None:
        """The buttons of the ``/faq`` messages (admins only)."""
        conv: Conversation | None = None
        ctx: dict[str, Any] = {}
        if not self.engine.is_desk(press.address):
            address = press.address
            conv = turn.uow.conversations.get(address.platform, address.chat_id, press.sender.user_id)
            ctx = dict(conv.context.get("faq") or {}) if conv is not None and conv.state in STATES else {}
        act = AdminAction(self.engine, turn, press, self._lang(turn, press, ctx.get("lang")))
        if await self.engine.role_of(press.sender) != Role.ADMIN:
            act.refuse()
            return
        action, value = press.action, press.value
        if action == A_LIST:
            self.list_entries(act, value)
        elif action == A_DELETE:
            self._delete_confirmed(act, value)
        elif action == A_DRAFT:
            self._draft_button(act, conv, value)
        elif action == A_STOP:
            if conv is not None and conv.state in STATES:
                self._end(conv, turn.now)
                act.replace_pressed(act.t("faq_cancelled"))
            else:
                act.replace_pressed(act.t("faq_nothing_changed"))
        elif conv is None or conv.state not in STATES:
            act.tell("faq_button_expired")
        elif action == A_CATEGORY and conv.state == STATE_ADD and ctx.get("step") == "category":
            act.replace_pressed(act.t("faq_category_chosen", category=value))
            self._add_text(act, conv, ctx, value)
        elif action == A_CATEGORY and conv.state == STATE_DRAFT and ctx.get("field") == "category":
            self._draft_text(act, conv, ctx, value)
        elif action == A_STEP and ctx.get("step") == "questions":
            act.replace_pressed(act.t("faq_step_chosen", choice=act.t(f"faq_btn_{value}")))
            word = "done" if value == "done" else "skip"
            if conv.state == STATE_ADD:
                self._add_text(act, conv, ctx, word)
            elif conv.state == STATE_EDIT:
                self._edit_text(act, conv, ctx, word)
        elif action == A_SAVE and conv.state == STATE_ADD and ctx.get("step") == "preview":
            act.replace_pressed(self.render_entry(act, self._ctx_entry(ctx)))
            self._add_save(act, conv, ctx)
        else:
            act.tell("faq_button_expired")

    async def on_text(self, turn: Turn, event: InboundMessage, conv: Conversation) -> None:
        """The next message of a dialogue in a direct chat (routed here by the conversation state)."""
        ctx = dict(conv.context.get("faq") or {})
        act = AdminAction(self.engine, turn, event, self._lang(turn, event, ctx.get("lang")))
        started = ctx.get("at")
        expired = True
        if ctx and isinstance(started, str):
            with contextlib.suppress(ValueError):
                expired = turn.now - datetime.fromisoformat(started) > DIALOGUE_TIMEOUT
        if expired or await self.engine.role_of(event.sender) != Role.ADMIN:
            self._end(conv, turn.now)
            if expired and ctx:
                act.tell("faq_dialogue_expired")
            await self.engine.handle_as_user(turn, event)  # an ordinary message again
            return
        record = turn.uow.users.get(event.sender.platform, event.sender.user_id)
        if record is not None and not record.language_fixed and ctx.get("lang") in LANGUAGES:
            record.language = ctx["lang"]  # FAQ text typed here says nothing about the admin's language
        text = event.text.strip()
        if text.lower() in CANCEL_WORDS:
            self._end(conv, turn.now)
            act.tell("faq_cancelled")
            return
        if not text:
            act.tell("faq_send_text")
            return
        if conv.state == STATE_ADD:
            self._add_text(act, conv, ctx, event.text)
        elif conv.state == STATE_EDIT:
            self._edit_text(act, conv, ctx, event.text)
        else:
            self._draft_text(act, conv, ctx, event.text)


def install_faq_admin(engine: HelpdeskEngine) -> FaqAdmin:
    """Register ``/faq``, its buttons and its dialogue states on ``engine``."""
    admin = FaqAdmin(engine)
    engine.commands[COMMAND] = admin.on_command
    for action in ACTIONS:
        engine.buttons[action] = admin.on_button
    for state in STATES:
        engine.text_states[state] = admin.on_text
    return admin
