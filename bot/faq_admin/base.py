"""What every part of FAQ editing shares: the admin's language, the dialogue state in the conversation
record, entry lookups, and saving a new version."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.core.records import Conversation, ConversationState, FaqVersion
from bot.core.types import (
    LANGUAGES,
    Event,
    FaqEntry,
)
from bot.faq_admin.diff import describe, diff_versions

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn
from bot.faq_admin.action import AdminAction
from bot.faq_admin.rules import (
    BUSY_STATES,
    SHOW_ANSWER_CHARS,
    _author,
    _key,
    _when,
)


class FaqAdminBase:
    """Shared state and helpers of the ``/faq`` feature."""

    def __init__(self, engine: HelpdeskEngine):
        self.engine = engine

    def _lang(self, turn: Turn, event: Event, preferred: str | None = None) -> str:
        if preferred:
            return preferred
        if self.engine.is_desk(event.address):
            return self.engine.desk_lang
        record = turn.uow.users.get(event.sender.platform, event.sender.user_id)
        return (record.language if record is not None else None) or self.engine.config.default_language

    def _conversation(self, act: AdminAction, create: bool = False) -> Conversation | None:
        address, sender = act.event.address, act.event.sender
        conv = act.uow.conversations.get(address.platform, address.chat_id, sender.user_id)
        if conv is None and create:
            conv = act.uow.conversations.add(
                Conversation(address.platform, address.chat_id, sender.user_id, updated_at=act.turn.now)
            )
        return conv

    def _store(self, act: AdminAction, conv: Conversation, state: str, ctx: dict[str, Any]) -> None:
        conv.state = state
        conv.context = {**conv.context, "faq": {**ctx, "lang": act.lang, "at": act.turn.now.isoformat()}}
        conv.updated_at = act.turn.now

    def _begin(self, act: AdminAction, state: str, ctx: dict[str, Any]) -> Conversation | None:
        """Start a dialogue in this direct chat; None (after saying why) when it cannot start."""
        if not act.private:
            act.tell("faq_dialogue_private")
            return None
        conv = self._conversation(act, create=True)
        assert conv is not None
        if conv.state in BUSY_STATES:
            act.tell("faq_busy")
            return None
        conv.context = {k: v for k, v in conv.context.items() if k == "transcript"}
        conv.ticket_id = None
        self._store(act, conv, state, ctx)
        return conv

    def _end(self, conv: Conversation, now: datetime) -> None:
        conv.state = ConversationState.IDLE
        conv.context = {}
        conv.ticket_id = None
        conv.updated_at = now

    def _entry(self, act: AdminAction, entry_id: str) -> FaqEntry | None:
        """The current entry ``entry_id``, or None after telling the admin it does not exist."""
        entry_id = entry_id.strip().lower()
        entry = act.uow.faq.get(entry_id) if entry_id else None
        if entry is None:
            close = difflib.get_close_matches(entry_id, [e.id for e in act.uow.faq.all()], n=1, cutoff=0.6)
            hint = act.t("faq_did_you_mean", id=close[0]) if close else ""
            act.tell("faq_unknown_entry", id=entry_id or "?", hint=hint)
        return entry

    def _language(self, act: AdminAction, value: str) -> str | None:
        lang = value.strip().lower()
        if lang not in LANGUAGES:
            act.tell("faq_bad_lang", value=value[:20], langs=", ".join(LANGUAGES))
            return None
        return lang

    def _clashes(self, act: AdminAction, entry_id: str, phrasings: list[str]) -> list[str]:
        """Warnings for phrasings that are already questions of another entry."""
        wanted = {_key(p): p for p in phrasings}
        lines: list[str] = []
        for other in act.uow.faq.all():
            if other.id == entry_id:
                continue
            for qs in other.questions.values():
                for q in qs:
                    if _key(q) in wanted:
                        lines.append(act.t("faq_warn_clash", text=wanted[_key(q)], other=other.id))
        return lines

    def render_entry(self, act: AdminAction, entry: FaqEntry, last: FaqVersion | None = None) -> str:
        """An entry as a phone-friendly message."""
        lines = [act.t("faq_show_head", id=entry.id, category=entry.category, version=entry.version)]
        langs = [lang for lang in LANGUAGES if lang in entry.questions or lang in entry.answer]
        langs += [lang for lang in {**entry.questions, **entry.answer} if lang not in langs]
        for lang in langs:
            code = lang.upper()
            lines.append("")
            lines.append(act.t("faq_show_questions", code=code))
            lines += [f"{n}. {q}" for n, q in enumerate(entry.questions.get(lang, ()), 1)]
            answer = entry.answer.get(lang, "")
            if len(answer) > SHOW_ANSWER_CHARS:
                answer = answer[:SHOW_ANSWER_CHARS].rstrip() + " …"
            lines.append(act.t("faq_show_answer", code=code))
            lines.append(answer or "-")
            if entry.triage.get(lang):
                lines.append(act.t("faq_show_triage", code=code))
                lines += [f"- {q}" for q in entry.triage[lang]]
        if entry.tags:
            lines += ["", act.t("faq_show_tags", tags=", ".join(entry.tags))]
        if entry.security:
            lines.append(act.t("faq_show_security"))
        if last is not None:
            lines += ["", act.t("faq_show_changed", when=_when(last.at), author=last.author or "-")]
        return "\n".join(lines)

    def _saved(self, act: AdminAction, entry_id: str, key: str = "faq_saved", **fields: Any) -> None:
        """Tell what the latest version of ``entry_id`` changed."""
        history = act.uow.faq.history(entry_id)
        current = history[-1]
        previous = history[-2] if len(history) > 1 else None
        changes = describe(diff_versions(previous, current), act.lang)
        head = act.t(key, id=entry_id, version=current.version, **fields)
        act.say("\n".join([head, *changes]))

    def _put(self, act: AdminAction, entry: FaqEntry, action: str, note: str, **detail: Any) -> FaqEntry:
        saved = act.uow.faq.put(entry, _author(act.event), note)
        act.audit(action, entry.id, version=saved.version, **detail)
        act.changed()
        return saved
