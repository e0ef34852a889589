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
import difflib
import hashlib
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.core.records import Conversation, ConversationState, FaqVersion, Role, Ticket, TicketStatus
from bot.core.types import (
    CATEGORIES,
    LANGUAGES,
    Button,
    ButtonPress,
    Decision,
    Event,
    FaqEntry,
    InboundMessage,
    OutboundMessage,
)
from bot.engine.ticket_lookup import find_ticket
from bot.faq_admin.diff import describe, diff_versions, same_content
from bot.faq_admin.drafts import (
    DraftStatus,
    FaqDraft,
    draft_entry,
    draft_question,
    specialist_answer,
    suggest_entry_id,
)

if TYPE_CHECKING:
    from bot.engine.engine import HelpdeskEngine
    from bot.engine.turn import Turn

COMMAND = "faq"

STATE_ADD = "faq_add"
STATE_EDIT = "faq_edit"
STATE_DRAFT = "faq_draft"
STATES: tuple[str, ...] = (STATE_ADD, STATE_EDIT, STATE_DRAFT)

# Button actions ("action:value" must fit Telegram's 64 bytes of callback data).
A_CATEGORY = "faqcat"  # value: category (add dialogue)
A_STEP = "faqstep"  # value: done | skip
A_SAVE = "faqsave"  # save the previewed entry
A_STOP = "faqstop"  # cancel a dialogue or a confirmation
A_DELETE = "faqdel"  # value: entry reference (delete confirmed)
A_LIST = "faqls"  # value: category
A_DRAFT = "faqd"  # value: op:draft[:arg]
ACTIONS: tuple[str, ...] = (A_CATEGORY, A_STEP, A_SAVE, A_STOP, A_DELETE, A_LIST, A_DRAFT)

# The same rules as the FAQ file format (knowledge_base.faq_file; a test keeps them in step).
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_CHARS = 64
MAX_PHRASING_CHARS = 500
MAX_ANSWER_CHARS = 8000
MAX_PHRASINGS = 200

DIALOGUE_TIMEOUT = timedelta(minutes=30)
"""A dialogue left alone this long ends; the admin's next message is an ordinary question again."""
SHOW_ANSWER_CHARS = 1500
LIST_LIMIT = 60
HISTORY_LIMIT = 10
DRAFTS_SHOWN = 10
BUSY_STATES = (ConversationState.WITH_SPECIALIST, ConversationState.TRIAGE)

# Words typed during a dialogue (English and Indonesian).
DONE_WORDS = frozenset({"done", "selesai", "sudah", "ok", "/done"})
SKIP_WORDS = frozenset({"skip", "lewati", "/skip"})
SAVE_WORDS = frozenset({"save", "simpan", "yes", "ya"})
CANCEL_WORDS = frozenset({"cancel", "batal", "/cancel"})

_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,3}[.)])\s+")
_REF_CHARS = 64 - len(A_DELETE) - 1


# ---------------------------------------------------------------------------------- validation


def id_problem(value: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` cannot be an entry id (a text key and its fields), or None."""
    if not value or len(value) > MAX_ID_CHARS or not ID_PATTERN.fullmatch(value):
        return "faq_bad_id", {"value": value[:80], "limit": MAX_ID_CHARS}
    return None


def phrasing_problem(value: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` cannot be a question phrasing, or None."""
    if not value.strip():
        return "faq_empty_phrasing", {}
    if len(value.strip()) > MAX_PHRASING_CHARS:
        return "faq_phrasing_too_long", {"length": len(value.strip()), "limit": MAX_PHRASING_CHARS}
    return None


def answer_problem(value: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` cannot be an answer, or None."""
    if not value.strip():
        return "faq_empty_answer", {}
    if len(value.strip()) > MAX_ANSWER_CHARS:
        return "faq_answer_too_long", {"length": len(value.strip()), "limit": MAX_ANSWER_CHARS}
    return None


def clean_answer(text: str) -> str:
    """An answer as the FAQ file keeps it: no surrounding blank space, no trailing spaces per line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def split_phrasings(text: str) -> list[str]:
    """One phrasing per line; list bullets and numbers at the start of a line are dropped."""
    return [_BULLET.sub("", line).strip() for line in text.splitlines() if _BULLET.sub("", line).strip()]


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _merge(existing: tuple[str, ...] | list[str], new: list[str]) -> list[str]:
    seen = {_key(q) for q in existing}
    merged = list(existing)
    for phrasing in new:
        if _key(phrasing) not in seen:
            seen.add(_key(phrasing))
            merged.append(phrasing)
    return merged


def _split_args(text: str) -> tuple[str, str]:
    match = re.match(r"\s*(\S*)\s*(.*)", text or "", re.DOTALL)
    assert match is not None
    return match.group(1), match.group(2)


def _author(event: Event) -> str:
    sender = event.sender
    return f"{sender.display_name} ({sender.key})" if sender.display_name else sender.key


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


def entry_ref(entry_id: str) -> str:
    """A button value naming ``entry_id`` (a short hash when the id is too long for the button)."""
    if len(entry_id) <= _REF_CHARS:
        return entry_id
    return "~" + hashlib.sha1(entry_id.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------- one event


class _Act:
    """One admin event being handled: where to answer, in which language, as whom."""

    def __init__(self, admin: FaqAdmin, turn: Turn, event: Event, lang: str):
        self.admin = admin
        self.engine = admin.engine
        self.turn = turn
        self.uow = turn.uow
        self.event = event
        self.lang = lang
        self.in_desk = admin.engine.is_desk(event.address)

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


# ---------------------------------------------------------------------------------- the feature


class FaqAdmin:
    """The ``/faq`` commands, their buttons and dialogues (registered by :func:`install_faq_admin`)."""

    def __init__(self, engine: HelpdeskEngine):
        self.engine = engine

    # ------------------------------------------------------------------------------ helpers
    def _lang(self, turn: Turn, event: Event, preferred: str | None = None) -> str:
        if preferred:
            return preferred
        if self.engine.is_desk(event.address):
            return self.engine.desk_lang
        record = turn.uow.users.get(event.sender.platform, event.sender.user_id)
        return (record.language if record is not None else None) or self.engine.config.default_language

    def _conversation(self, act: _Act, create: bool = False) -> Conversation | None:
        address, sender = act.event.address, act.event.sender
        conv = act.uow.conversations.get(address.platform, address.chat_id, sender.user_id)
        if conv is None and create:
            conv = act.uow.conversations.add(
                Conversation(address.platform, address.chat_id, sender.user_id, updated_at=act.turn.now)
            )
        return conv

    def _store(self, act: _Act, conv: Conversation, state: str, ctx: dict[str, Any]) -> None:
        conv.state = state
        conv.context = {**conv.context, "faq": {**ctx, "lang": act.lang, "at": act.turn.now.isoformat()}}
        conv.updated_at = act.turn.now

    def _begin(self, act: _Act, state: str, ctx: dict[str, Any]) -> Conversation | None:
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

    def _entry(self, act: _Act, entry_id: str) -> FaqEntry | None:
        """The current entry ``entry_id``, or None after telling the admin it does not exist."""
        entry_id = entry_id.strip().lower()
        entry = act.uow.faq.get(entry_id) if entry_id else None
        if entry is None:
            close = difflib.get_close_matches(entry_id, [e.id for e in act.uow.faq.all()], n=1, cutoff=0.6)
            hint = act.t("faq_did_you_mean", id=close[0]) if close else ""
            act.tell("faq_unknown_entry", id=entry_id or "?", hint=hint)
        return entry

    def _language(self, act: _Act, value: str) -> str | None:
        lang = value.strip().lower()
        if lang not in LANGUAGES:
            act.tell("faq_bad_lang", value=value[:20], langs=", ".join(LANGUAGES))
            return None
        return lang

    def _clashes(self, act: _Act, entry_id: str, phrasings: list[str]) -> list[str]:
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

    def render_entry(self, act: _Act, entry: FaqEntry, last: FaqVersion | None = None) -> str:
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

    def _saved(self, act: _Act, entry_id: str, key: str = "faq_saved", **fields: Any) -> None:
        """Tell what the latest version of ``entry_id`` changed."""
        history = act.uow.faq.history(entry_id)
        current = history[-1]
        previous = history[-2] if len(history) > 1 else None
        changes = describe(diff_versions(previous, current), act.lang)
        head = act.t(key, id=entry_id, version=current.version, **fields)
        act.say("\n".join([head, *changes]))

    def _put(self, act: _Act, entry: FaqEntry, action: str, note: str, **detail: Any) -> FaqEntry:
        saved = act.uow.faq.put(entry, _author(act.event), note)
        act.audit(action, entry.id, version=saved.version, **detail)
        act.changed()
        return saved

    # ------------------------------------------------------------------------------ commands
    async def on_command(self, turn: Turn, event: InboundMessage) -> None:
        """``/faq SUBCOMMAND ...``: admins (``propose``: specialists too); others are refused."""
        sub, rest = _split_args(event.text)
        sub = sub.lower()
        conv_lang = None
        if not self.engine.is_desk(event.address):
            address = event.address
            conv = turn.uow.conversations.get(address.platform, address.chat_id, event.sender.user_id)
            if conv is not None and conv.state in STATES:
                conv_lang = (conv.context.get("faq") or {}).get("lang")
        act = _Act(self, turn, event, self._lang(turn, event, conv_lang))
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

    def show(self, act: _Act, rest: str) -> None:
        """``/faq show ID``."""
        entry_id, _ = _split_args(rest)
        if not entry_id:
            act.tell("faq_usage", usage=act.t("faq_usage_show"))
            return
        entry = self._entry(act, entry_id)
        if entry is not None:
            history = act.uow.faq.history(entry.id)
            act.say(self.render_entry(act, entry, history[-1] if history else None))

    def list_entries(self, act: _Act, rest: str) -> None:
        """``/faq list [CATEGORY]``: categories as buttons, or the entries of one category."""
        category = rest.strip().lower()
        entries = sorted(act.uow.faq.all(), key=lambda e: e.id)
        if not category:
            counts = {c: sum(1 for e in entries if e.category == c) for c in CATEGORIES}
            buttons = tuple(Button(f"{c} ({n})", A_LIST, c) for c, n in counts.items() if n)
            act.say(act.t("faq_list_counts", count=len(entries)), buttons)
            return
        if category not in CATEGORIES:
            act.tell("faq_bad_category", value=category[:30], categories=", ".join(CATEGORIES))
            return
        chosen = [e for e in entries if e.category == category]
        if not chosen:
            act.tell("faq_list_empty", category=category)
            return
        lines = [act.t("faq_list_head", category=category, count=len(chosen))]
        lines += [f"• {e.id} — {e.title_in(act.lang)[:70]}" for e in chosen[:LIST_LIMIT]]
        if len(chosen) > LIST_LIMIT:
            lines.append(act.t("faq_list_more", count=len(chosen) - LIST_LIMIT))
        lines.append(act.t("faq_list_footer"))
        act.say("\n".join(lines))

    def search(self, act: _Act, rest: str) -> None:
        """``/faq search TEXT``: what the bot would do with a question, and the closest entries."""
        if not rest:
            act.tell("faq_usage", usage=act.t("faq_usage_search"))
            return
        result = self.engine.faq.match(rest)
        lines = [act.t(f"faq_search_{result.decision}")]
        for candidate in result.candidates[:5]:
            entry = act.uow.faq.get(candidate.entry_id)
            title = entry.title_in(act.lang)[:60] if entry is not None else ""
            lines.append(f"{candidate.score:5.1f}  {candidate.entry_id} — {title}")
        if result.decision == Decision.ESCALATE and not result.candidates:
            lines.append(act.t("faq_search_none"))
        act.say("\n".join(lines))

    def add(self, act: _Act, rest: str) -> None:
        """``/faq add [ID]``: the step-by-step dialogue for a new entry."""
        entry_id = rest.strip().lower()
        langs = [self.engine.config.default_language] + [
            lang for lang in LANGUAGES if lang != self.engine.config.default_language
        ]
        ctx: dict[str, Any] = {"step": "id", "langs": langs, "li": 0, "questions": {}, "answer": {}}
        conv = self._begin(act, STATE_ADD, ctx)
        if conv is None:
            return
        if entry_id and self._add_take_id(act, ctx, entry_id):
            self._store(act, conv, STATE_ADD, ctx)
            return
        act.tell("faq_add_ask_id")

    def add_question(self, act: _Act, rest: str) -> None:
        """``/faq addq ID LANG phrasing`` (several phrasings: one per line)."""
        match = re.match(r"(\S+)\s+(\S+)\s+(.+)", rest, re.DOTALL)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_addq"))
            return
        entry = self._entry(act, match.group(1))
        lang = self._language(act, match.group(2)) if entry is not None else None
        if entry is None or lang is None:
            return
        phrasings = split_phrasings(match.group(3))
        for phrasing in phrasings:
            if found := phrasing_problem(phrasing):
                act.problem(found)
                return
        if lang not in entry.answer:
            self._new_language(act, entry, lang, questions=phrasings)
            return
        merged = _merge(entry.questions.get(lang, ()), phrasings)
        if len(merged) == len(entry.questions.get(lang, ())):
            act.tell("faq_addq_exists", id=entry.id, code=lang.upper())
            return
        if len(merged) > MAX_PHRASINGS:
            act.tell("faq_too_many_phrasings", limit=MAX_PHRASINGS)
            return
        warnings = self._clashes(act, entry.id, phrasings)
        new = replace(entry, questions={**entry.questions, lang: tuple(merged)})
        self._put(act, new, "faq.addq", f"chat: question added ({lang})", lang=lang, text=phrasings)
        self._saved(act, entry.id)
        for line in warnings:
            act.say(line)

    def delete_question(self, act: _Act, rest: str) -> None:
        """``/faq delq ID LANG phrasing-or-number``."""
        match = re.match(r"(\S+)\s+(\S+)\s+(.+)", rest, re.DOTALL)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_delq"))
            return
        entry = self._entry(act, match.group(1))
        lang = self._language(act, match.group(2)) if entry is not None else None
        if entry is None or lang is None:
            return
        questions = list(entry.questions.get(lang, ()))
        target = match.group(3).strip()
        index: int | None = None
        if target.isdigit() and 1 <= int(target) <= len(questions):
            index = int(target) - 1
        else:
            index = next((i for i, q in enumerate(questions) if _key(q) == _key(target)), None)
        if index is None:
            numbered = "\n".join(f"{n}. {q}" for n, q in enumerate(questions, 1)) or "-"
            act.tell("faq_delq_not_found", id=entry.id, code=lang.upper(), questions=numbered)
            return
        if len(questions) == 1:
            act.tell("faq_delq_last", id=entry.id, code=lang.upper())
            return
        removed = questions.pop(index)
        new = replace(entry, questions={**entry.questions, lang: tuple(questions)})
        self._put(act, new, "faq.delq", f"chat: question removed ({lang})", lang=lang, text=removed)
        self._saved(act, entry.id)

    def answer(self, act: _Act, rest: str) -> None:
        """``/faq answer ID LANG [new answer]``: replace an answer (or add a language)."""
        match = re.match(r"(\S+)\s+(\S+)(?:\s+(.*))?$", rest, re.DOTALL)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_answer"))
            return
        entry = self._entry(act, match.group(1))
        lang = self._language(act, match.group(2)) if entry is not None else None
        if entry is None or lang is None:
            return
        text = clean_answer(match.group(3) or "")
        if text and (found := answer_problem(text)):
            act.problem(found)
            return
        if lang not in entry.answer:
            self._new_language(act, entry, lang, answer=text or None)
            return
        if text:
            self._save_answer(act, entry, lang, text)
            return
        if not act.private:
            act.tell("faq_answer_inline_hint", id=entry.id, code=lang)
            return
        ctx: dict[str, Any] = {"step": "answer", "id": entry.id, "elang": lang, "questions": []}
        if self._begin(act, STATE_EDIT, ctx) is not None:
            act.say(act.t("faq_answer_current", id=entry.id, code=lang.upper()) + "\n\n" + entry.answer[lang])
            act.tell("faq_answer_ask", code=lang.upper())

    def _save_answer(self, act: _Act, entry: FaqEntry, lang: str, text: str) -> None:
        new = replace(entry, answer={**entry.answer, lang: text})
        if same_content(new, entry):
            act.tell("faq_unchanged", id=entry.id, version=entry.version)
            return
        self._put(act, new, "faq.answer", f"chat: answer changed ({lang})", lang=lang)
        self._saved(act, entry.id)

    def _new_language(
        self,
        act: _Act,
        entry: FaqEntry,
        lang: str,
        questions: list[str] | None = None,
        answer: str | None = None,
    ) -> None:
        """Adding ``lang`` to ``entry`` needs questions and an answer: collect what is missing."""
        if not act.private:
            act.tell("faq_new_lang_private", id=entry.id, code=lang)
            return
        ctx = {
            "step": "answer" if answer is None else "questions",
            "id": entry.id,
            "elang": lang,
            "questions": list(questions or []),
            "answer": answer,
            "new_lang": True,
        }
        if self._begin(act, STATE_EDIT, ctx) is None:
            return
        if answer is None:
            act.tell("faq_new_lang_ask_answer", id=entry.id, code=lang.upper())
        else:
            act.tell("faq_new_lang_ask_questions", id=entry.id, code=lang.upper())

    def delete(self, act: _Act, rest: str) -> None:
        """``/faq delete ID``: asks for confirmation with buttons."""
        entry_id, _ = _split_args(rest)
        if not entry_id:
            act.tell("faq_usage", usage=act.t("faq_usage_delete"))
            return
        entry = self._entry(act, entry_id)
        if entry is None:
            return
        act.say(
            act.t("faq_delete_confirm", id=entry.id, title=entry.title_in(act.lang), version=entry.version),
            (
                Button(act.t("faq_btn_delete"), A_DELETE, entry_ref(entry.id)),
                Button(act.t("faq_btn_keep"), A_STOP, ""),
            ),
        )

    def history(self, act: _Act, rest: str) -> None:
        """``/faq history ID``: the latest versions with author, time, note and what changed."""
        entry_id, _ = _split_args(rest)
        entry_id = entry_id.lower()
        if not entry_id:
            act.tell("faq_usage", usage=act.t("faq_usage_history"))
            return
        versions = act.uow.faq.history(entry_id)
        if not versions:
            self._entry(act, entry_id)
            return
        lines = [act.t("faq_history_head", id=entry_id, count=len(versions))]
        shown = list(enumerate(versions))[-HISTORY_LIMIT:]
        for index, version in reversed(shown):
            previous = versions[index - 1] if index else None
            lines.append("")
            lines.append(
                act.t(
                    "faq_history_line",
                    version=version.version,
                    when=_when(version.at),
                    author=version.author or "-",
                    note=version.note or "-",
                )
            )
            lines += [f"  {line}" for line in describe(diff_versions(previous, version), act.lang)]
        if len(versions) > HISTORY_LIMIT:
            lines += ["", act.t("faq_history_more", count=len(versions) - HISTORY_LIMIT)]
        lines += ["", act.t("faq_history_footer", id=entry_id)]
        act.say("\n".join(lines))

    def rollback(self, act: _Act, rest: str) -> None:
        """``/faq rollback ID VERSION``: a new version equal to an old one (also restores a deleted entry)."""
        match = re.match(r"(\S+)\s+v?(\S+)\s*$", rest, re.IGNORECASE)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_rollback"))
            return
        entry_id = match.group(1).lower()
        versions = act.uow.faq.history(entry_id)
        if not versions:
            self._entry(act, entry_id)
            return
        wanted = match.group(2)
        target = next((v for v in versions if wanted.isdigit() and v.version == int(wanted)), None)
        if target is None:
            first, last = versions[0].version, versions[-1].version
            act.tell("faq_no_version", id=entry_id, version=wanted[:10], first=first, last=last)
            return
        if target.deleted:
            act.tell("faq_rollback_deleted", id=entry_id, version=target.version)
            return
        entry = FaqEntry.from_data(target.data, target.version)
        current = act.uow.faq.get(entry_id)
        if current is not None and same_content(current, entry):
            act.tell("faq_unchanged", id=entry_id, version=current.version)
            return
        self._put(act, entry, "faq.rollback", f"rollback to v{target.version}", to_version=target.version)
        self._saved(act, entry_id, "faq_rolled_back", target=target.version)

    def cancel(self, act: _Act, rest: str) -> None:
        """``/faq cancel``: end the dialogue in this chat without saving."""
        conv = self._conversation(act)
        if conv is not None and conv.state in STATES:
            self._end(conv, act.turn.now)
            act.tell("faq_cancelled")
        else:
            act.tell("faq_nothing_to_cancel")

    # ------------------------------------------------------------------------------- drafts
    def propose(self, act: _Act, rest: str) -> None:
        """``/faq propose [#N] [answer]``: a resolved ticket becomes an FAQ draft."""
        ticket, answer_text = self._ticket_for(act, rest)
        if ticket is None:
            number = re.match(r"\s*#?(\d+)", rest)
            if number:
                act.tell("faq_propose_no_ticket", number=number.group(1))
            else:
                act.tell("faq_propose_which")
            return
        if ticket.status != TicketStatus.RESOLVED:
            act.tell("faq_propose_not_resolved", number=ticket.number)
            return
        assert ticket.id is not None
        waiting = [d for d in act.uow.drafts.for_ticket(ticket.id) if d.is_pending]
        if waiting:
            act.tell("faq_propose_exists", number=waiting[0].number, ticket=ticket.number)
            self._show_draft(act, waiting[0])
            return
        answer = clean_answer(answer_text) or specialist_answer(ticket, act.uow.tickets.events(ticket.id))
        question = draft_question(ticket)
        if not answer or not question:
            act.tell("faq_propose_no_answer", number=ticket.number, id=ticket.id)
            return
        if found := answer_problem(answer):
            act.problem(found)
            return
        reserved = {d.entry_id for d in act.uow.drafts.pending()}
        entry_id = suggest_entry_id(
            question,
            lambda candidate: candidate in reserved or act.uow.faq.get(candidate) is not None,
            fallback=f"ticket-{ticket.id}",
        )
        default_lang = self.engine.config.default_language
        draft = act.uow.drafts.add(
            FaqDraft(
                question=question,
                answer=answer,
                language=ticket.language if ticket.language in LANGUAGES else default_lang,
                category=ticket.category if ticket.category in CATEGORIES else "other",
                entry_id=entry_id,
                ticket_id=ticket.id,
                proposed_by=act.event.sender.key,
                proposed_by_name=act.event.sender.label,
                created_at=act.turn.now,
            )
        )
        act.audit("faq.propose", draft.number, ticket=ticket.number)
        act.turn.event(ticket, "faq_proposed", act.event.sender.key, draft=draft.id)
        act.tell("faq_proposed", number=draft.number, ticket=ticket.number)
        self._show_draft(act, draft)

    def _ticket_for(self, act: _Act, rest: str) -> tuple[Ticket | None, str]:
        """The ticket ``/faq propose`` means: ``#N`` or ``N``, else the thread or replied message."""
        if not isinstance(act.event, InboundMessage):
            return None, rest
        return find_ticket(act.turn, act.event, rest)

    def _draft_card(self, act: _Act, draft: FaqDraft) -> str:
        answer = draft.answer
        if len(answer) > SHOW_ANSWER_CHARS:
            answer = answer[:SHOW_ANSWER_CHARS] + " …"
        key = "faq_draft_card" if draft.is_pending else f"faq_draft_card_{draft.status}"
        return act.t(
            key,
            number=draft.number,
            ticket=f"#{draft.ticket_id}" if draft.ticket_id else "-",
            name=draft.proposed_by_name or draft.proposed_by,
            id=draft.entry_id,
            category=draft.category,
            code=draft.language.upper(),
            question=draft.question,
            answer=answer,
            note=draft.decision_note or "-",
        )

    def _decided(self, act: _Act, draft: FaqDraft) -> None:
        act.tell("faq_draft_decided", number=draft.number, status=act.t(f"faq_draft_status_{draft.status}"))

    def _show_draft(self, act: _Act, draft: FaqDraft) -> None:
        buttons: tuple[Button, ...] = ()
        if draft.is_pending:
            buttons = (
                Button(act.t("faq_btn_approve"), A_DRAFT, f"ok:{draft.id}"),
                Button(act.t("faq_btn_edit"), A_DRAFT, f"ed:{draft.id}"),
                Button(act.t("faq_btn_reject"), A_DRAFT, f"no:{draft.id}"),
            )
        act.say(self._draft_card(act, draft), buttons)

    def _draft(self, act: _Act, value: str) -> FaqDraft | None:
        number = value.strip().lstrip("#").upper().removeprefix("D")
        draft = act.uow.drafts.get(int(number)) if number.isdigit() else None
        if draft is None:
            act.tell("faq_no_such_draft", number=value.strip()[:20] or "?")
        return draft

    def drafts(self, act: _Act, rest: str) -> None:
        """``/faq drafts``: every draft waiting for an admin, each with its buttons."""
        waiting = act.uow.drafts.pending()
        if not waiting:
            act.tell("faq_no_drafts")
            return
        act.tell("faq_drafts_head", count=len(waiting))
        for draft in waiting[:DRAFTS_SHOWN]:
            self._show_draft(act, draft)

    def draft(self, act: _Act, rest: str) -> None:
        """``/faq draft N [question|answer|id|category|lang VALUE]``: show or edit a draft."""
        number, rest = _split_args(rest)
        if not number:
            act.tell("faq_usage", usage=act.t("faq_usage_draft"))
            return
        draft = self._draft(act, number)
        if draft is None:
            return
        field, value = _split_args(rest)
        if not field:
            self._show_draft(act, draft)
            return
        if not draft.is_pending:
            self._decided(act, draft)
            return
        if self._set_draft_field(act, draft, field.lower(), value):
            self._show_draft(act, draft)

    def _set_draft_field(self, act: _Act, draft: FaqDraft, field: str, value: str) -> bool:
        """Change one field of a pending draft; False (after saying why) when the value is bad."""
        if field in ("question", "q"):
            value = " ".join(value.split())
            if found := phrasing_problem(value):
                act.problem(found)
                return False
            draft.question = value
        elif field in ("answer", "a"):
            value = clean_answer(value)
            if found := answer_problem(value):
                act.problem(found)
                return False
            draft.answer = value
        elif field == "id":
            value = value.strip().lower()
            if found := id_problem(value):
                act.problem(found)
                return False
            if act.uow.faq.get(value) is not None:
                act.tell("faq_id_taken", id=value)
                return False
            draft.entry_id = value
        elif field == "category":
            value = value.strip().lower()
            if value not in CATEGORIES:
                act.tell("faq_bad_category", value=value[:30], categories=", ".join(CATEGORIES))
                return False
            draft.category = value
        elif field in ("lang", "language"):
            lang = self._language(act, value)
            if lang is None:
                return False
            draft.language = lang
        else:
            act.tell("faq_usage", usage=act.t("faq_usage_draft"))
            return False
        act.audit("faq.draft_edit", draft.number, field=field)
        return True

    def approve(self, act: _Act, rest: str) -> None:
        """``/faq approve N [ID|- [CATEGORY]]``: create the entry from draft N."""
        number, rest = _split_args(rest)
        if not number:
            act.tell("faq_usage", usage=act.t("faq_usage_approve"))
            return
        draft = self._draft(act, number)
        if draft is None:
            return
        entry_id, rest = _split_args(rest)
        category, _ = _split_args(rest)
        self._approve(act, draft, "" if entry_id == "-" else entry_id, category)

    def _approve(self, act: _Act, draft: FaqDraft, entry_id: str, category: str) -> bool:
        if not draft.is_pending:
            self._decided(act, draft)
            return False
        entry_id = (entry_id or draft.entry_id).strip().lower()
        category = (category or draft.category).strip().lower()
        if found := id_problem(entry_id):
            act.problem(found)
            return False
        if act.uow.faq.get(entry_id) is not None:
            act.tell("faq_draft_id_taken", id=entry_id, number=draft.id)
            return False
        if category not in CATEGORIES:
            act.tell("faq_bad_category", value=category[:30], categories=", ".join(CATEGORIES))
            return False
        found = phrasing_problem(draft.question) or answer_problem(draft.answer)
        if found:
            act.problem(found)
            return False
        note = f"from draft {draft.number}" + (f" (ticket #{draft.ticket_id})" if draft.ticket_id else "")
        entry = draft_entry(draft, entry_id, category)
        saved = self._put(act, entry, "faq.approve", note, draft=draft.number)
        draft.status = DraftStatus.APPROVED
        draft.entry_id = entry_id
        draft.category = category
        draft.decided_by = act.event.sender.key
        draft.decided_at = act.turn.now
        draft.decision_note = f"{entry_id} v{saved.version}"
        act.replace_pressed(
            act.t("faq_draft_approved", number=draft.number, id=entry_id, name=act.event.sender.label)
        )
        return True

    def reject(self, act: _Act, rest: str) -> None:
        """``/faq reject N [reason]``."""
        number, reason = _split_args(rest)
        if not number:
            act.tell("faq_usage", usage=act.t("faq_usage_reject"))
            return
        draft = self._draft(act, number)
        if draft is not None:
            self._reject(act, draft, reason.strip())

    def _reject(self, act: _Act, draft: FaqDraft, reason: str) -> None:
        if not draft.is_pending:
            self._decided(act, draft)
            return
        draft.status = DraftStatus.REJECTED
        draft.decided_by = act.event.sender.key
        draft.decided_at = act.turn.now
        draft.decision_note = reason[:500]
        act.audit("faq.reject", draft.number, reason=reason[:200])
        act.replace_pressed(act.t("faq_draft_rejected", number=draft.number, name=act.event.sender.label))

    # ------------------------------------------------------------------------------- buttons
    async def on_button(self, turn: Turn, press: ButtonPress) -> None:
        """The buttons of the ``/faq`` messages (admins only)."""
        conv: Conversation | None = None
        ctx: dict[str, Any] = {}
        if not self.engine.is_desk(press.address):
            address = press.address
            conv = turn.uow.conversations.get(address.platform, address.chat_id, press.sender.user_id)
            ctx = dict(conv.context.get("faq") or {}) if conv is not None and conv.state in STATES else {}
        act = _Act(self, turn, press, self._lang(turn, press, ctx.get("lang")))
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

    def _delete_confirmed(self, act: _Act, ref: str) -> None:
        entry_id = ref
        if ref.startswith("~"):
            entry_id = next((e.id for e in act.uow.faq.all() if entry_ref(e.id) == ref), "")
        if act.uow.faq.get(entry_id) is None:
            act.replace_pressed(act.t("faq_unknown_entry", id=entry_id or "?", hint=""))
            return
        act.uow.faq.delete(entry_id, _author(act.event), "chat: deleted")
        act.audit("faq.delete", entry_id)
        act.changed()
        versions = act.uow.faq.history(entry_id)
        restore = versions[-2].version if len(versions) > 1 else 1
        act.replace_pressed(act.t("faq_deleted", id=entry_id, version=restore))

    def _draft_button(self, act: _Act, conv: Conversation | None, value: str) -> None:
        op, _, rest = value.partition(":")
        number, _, arg = rest.partition(":")
        draft = self._draft(act, number)
        if draft is None:
            return
        if op == "ok":
            if not draft.is_pending:
                self._decided(act, draft)
                return
            order = [draft.category] + [c for c in CATEGORIES if c != draft.category]
            buttons = tuple(Button(c, A_DRAFT, f"c:{draft.id}:{c}") for c in order)
            act.say(act.t("faq_draft_pick_category", number=draft.number, category=draft.category), buttons)
        elif op == "c":
            if not draft.is_pending:
                self._decided(act, draft)
                return
            if arg not in CATEGORIES:
                act.tell("faq_button_expired")
                return
            preview = self.render_entry(act, replace(draft_entry(draft, category=arg), version=0))
            act.replace_pressed(act.t("faq_category_chosen", category=arg))
            act.say(
                preview + "\n\n" + act.t("faq_draft_create_question", id=draft.entry_id, number=draft.id),
                (
                    Button(act.t("faq_btn_create"), A_DRAFT, f"mk:{draft.id}:{arg}"),
                    Button(act.t("faq_btn_cancel"), A_STOP, ""),
                ),
            )
        elif op == "mk":
            self._approve(act, draft, "", arg)
        elif op == "no":
            self._reject(act, draft, "")
        elif op == "ed":
            if not draft.is_pending:
                self._decided(act, draft)
                return
            if not act.private:
                act.tell("faq_draft_edit_inline", number=draft.id)
                return
            fields = ("question", "answer", "id", "category")
            act.say(
                act.t("faq_draft_edit_which", number=draft.number),
                tuple(Button(act.t(f"faq_field_{f}"), A_DRAFT, f"f:{draft.id}:{f}") for f in fields),
            )
        elif op == "f" and arg in ("question", "answer", "id", "category"):
            if not draft.is_pending:
                self._decided(act, draft)
                return
            if self._begin(act, STATE_DRAFT, {"draft": draft.id, "field": arg}) is None:
                return
            if arg == "category":
                buttons = tuple(Button(c, A_CATEGORY, c) for c in CATEGORIES)
                act.say(act.t("faq_draft_ask_category", number=draft.number), buttons)
            else:
                act.tell("faq_draft_ask_field", field=act.t(f"faq_field_{arg}"), number=draft.number)
        else:
            act.tell("faq_button_expired")

    # ----------------------------------------------------------------------------- dialogues
    async def on_text(self, turn: Turn, event: InboundMessage, conv: Conversation) -> None:
        """The next message of a dialogue in a direct chat (routed here by the conversation state)."""
        ctx = dict(conv.context.get("faq") or {})
        act = _Act(self, turn, event, self._lang(turn, event, ctx.get("lang")))
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

    # --- the add dialogue
    def _add_take_id(self, act: _Act, ctx: dict[str, Any], value: str) -> bool:
        entry_id = value.strip().lower()
        if found := id_problem(entry_id):
            act.problem(found)
            return False
        if act.uow.faq.get(entry_id) is not None:
            act.tell("faq_id_taken", id=entry_id)
            return False
        ctx["id"] = entry_id
        ctx["step"] = "category"
        act.say(
            act.t("faq_add_ask_category", id=entry_id),
            tuple(Button(c, A_CATEGORY, c) for c in CATEGORIES),
        )
        return True

    def _add_ask_questions(self, act: _Act, ctx: dict[str, Any]) -> None:
        lang = ctx["langs"][ctx["li"]]
        ctx["step"] = "questions"
        has_any = any(ctx["answer"].values())
        key = "faq_add_ask_questions" if ctx["li"] == 0 else "faq_add_ask_questions_more"
        buttons = (Button(act.t("faq_btn_skip"), A_STEP, "skip"),) if ctx["li"] == 0 or has_any else ()
        act.say(act.t(key, code=lang.upper(), lang_name=act.t(f"faq_lang_{lang}")), buttons)

    def _add_next_language(self, act: _Act, ctx: dict[str, Any]) -> None:
        if ctx["li"] + 1 < len(ctx["langs"]):
            ctx["li"] += 1
            self._add_ask_questions(act, ctx)
            return
        if not any(ctx["answer"].values()):
            ctx["li"] = 0
            act.tell("faq_add_need_language")
            self._add_ask_questions(act, ctx)
            return
        ctx["step"] = "preview"
        entry = self._ctx_entry(ctx)
        act.say(
            act.t("faq_add_preview") + "\n\n" + self.render_entry(act, entry),
            (Button(act.t("faq_btn_save"), A_SAVE, ""), Button(act.t("faq_btn_cancel"), A_STOP, "")),
        )

    @staticmethod
    def _ctx_entry(ctx: dict[str, Any]) -> FaqEntry:
        langs = [lang for lang in ctx["langs"] if ctx["answer"].get(lang)]
        return FaqEntry(
            id=ctx["id"],
            category=ctx["category"],
            questions={lang: tuple(ctx["questions"][lang]) for lang in langs},
            answer={lang: ctx["answer"][lang] for lang in langs},
            version=0,
        )

    def _take_phrasings(self, act: _Act, entry_id: str, have: list[str], text: str) -> list[str] | None:
        """``have`` plus the phrasings in ``text``; None (after saying why) when one is bad."""
        phrasings = split_phrasings(text)
        for phrasing in phrasings:
            if found := phrasing_problem(phrasing):
                act.problem(found)
                return None
        merged = _merge(have, phrasings)
        if len(merged) > MAX_PHRASINGS:
            act.tell("faq_too_many_phrasings", limit=MAX_PHRASINGS)
            return None
        for line in self._clashes(act, entry_id, phrasings):
            act.say(line)
        return merged

    def _add_text(self, act: _Act, conv: Conversation, ctx: dict[str, Any], text: str) -> None:
        step = ctx.get("step")
        word = text.strip().lower()
        if step == "id":
            self._add_take_id(act, ctx, text)
        elif step == "category":
            if word in CATEGORIES:
                ctx["category"] = word
                self._add_ask_questions(act, ctx)
            else:
                act.say(
                    act.t("faq_bad_category", value=word[:30], categories=", ".join(CATEGORIES)),
                    tuple(Button(c, A_CATEGORY, c) for c in CATEGORIES),
                )
        elif step == "questions":
            lang = ctx["langs"][ctx["li"]]
            have = list(ctx["questions"].get(lang, []))
            if word in DONE_WORDS or word in SKIP_WORDS:
                if have and word in DONE_WORDS:
                    ctx["step"] = "answer"
                    act.tell("faq_add_ask_answer", code=lang.upper())
                else:
                    ctx["questions"].pop(lang, None)
                    self._add_next_language(act, ctx)
            else:
                merged = self._take_phrasings(act, ctx["id"], have, text)
                if merged is not None:
                    ctx["questions"][lang] = merged
                    act.say(
                        act.t("faq_add_got_questions", count=len(merged), code=lang.upper()),
                        (Button(act.t("faq_btn_done"), A_STEP, "done"),),
                    )
        elif step == "answer":
            lang = ctx["langs"][ctx["li"]]
            answer = clean_answer(text)
            if found := answer_problem(answer):
                act.problem(found)
            else:
                ctx["answer"][lang] = answer
                self._add_next_language(act, ctx)
        elif step == "preview":
            if word in SAVE_WORDS:
                self._add_save(act, conv, ctx)
                return
            act.say(
                act.t("faq_add_press_save"),
                (Button(act.t("faq_btn_save"), A_SAVE, ""), Button(act.t("faq_btn_cancel"), A_STOP, "")),
            )
        if conv.state == STATE_ADD:
            self._store(act, conv, STATE_ADD, ctx)

    def _add_save(self, act: _Act, conv: Conversation, ctx: dict[str, Any]) -> None:
        entry = self._ctx_entry(ctx)
        if act.uow.faq.get(entry.id) is not None:  # someone else took the id meanwhile
            act.tell("faq_id_taken", id=entry.id)
            ctx["step"] = "id"
            self._store(act, conv, STATE_ADD, ctx)
            return
        saved = self._put(act, entry, "faq.add", "chat: created")
        self._end(conv, act.turn.now)
        act.tell("faq_add_saved", id=saved.id, version=saved.version)

    # --- answers and new languages
    def _edit_text(self, act: _Act, conv: Conversation, ctx: dict[str, Any], text: str) -> None:
        entry = act.uow.faq.get(ctx.get("id", ""))
        if entry is None:  # deleted meanwhile
            self._end(conv, act.turn.now)
            act.tell("faq_unknown_entry", id=ctx.get("id", "?"), hint="")
            return
        lang = ctx["elang"]
        word = text.strip().lower()
        if ctx.get("step") == "answer":
            answer = clean_answer(text)
            if found := answer_problem(answer):
                act.problem(found)
                return
            if ctx.get("new_lang") and not ctx.get("questions"):
                ctx["answer"] = answer
                ctx["step"] = "questions"
                self._store(act, conv, STATE_EDIT, ctx)
                act.tell("faq_new_lang_ask_questions", id=entry.id, code=lang.upper())
                return
            self._end(conv, act.turn.now)
            if not ctx.get("new_lang"):
                self._save_answer(act, entry, lang, answer)
                return
            ctx["answer"] = answer
            self._save_language(act, entry, lang, ctx)
            return
        have = list(ctx.get("questions") or [])
        if word in DONE_WORDS:
            if not have:
                act.tell("faq_new_lang_need_question", code=lang.upper())
                return
            self._end(conv, act.turn.now)
            self._save_language(act, entry, lang, ctx)
            return
        if word in SKIP_WORDS:
            act.tell("faq_new_lang_need_question", code=lang.upper())
            return
        merged = self._take_phrasings(act, entry.id, have, text)
        if merged is None:
            return
        ctx["questions"] = merged
        self._store(act, conv, STATE_EDIT, ctx)
        act.say(
            act.t("faq_add_got_questions", count=len(merged), code=lang.upper()),
            (Button(act.t("faq_btn_done"), A_STEP, "done"),),
        )

    def _save_language(self, act: _Act, entry: FaqEntry, lang: str, ctx: dict[str, Any]) -> None:
        questions = _merge(entry.questions.get(lang, ()), list(ctx.get("questions") or []))
        new = replace(
            entry,
            questions={**entry.questions, lang: tuple(questions)},
            answer={**entry.answer, lang: ctx["answer"]},
        )
        self._put(act, new, "faq.language", f"chat: language added ({lang})", lang=lang)
        self._saved(act, entry.id)

    # --- drafts
    def _draft_text(self, act: _Act, conv: Conversation, ctx: dict[str, Any], text: str) -> None:
        draft = act.uow.drafts.get(int(ctx.get("draft") or 0))
        if draft is None or not draft.is_pending:
            self._end(conv, act.turn.now)
            act.tell("faq_button_expired")
            return
        if self._set_draft_field(act, draft, str(ctx.get("field", "")), text):
            self._end(conv, act.turn.now)
            self._show_draft(act, draft)


def install_faq_admin(engine: HelpdeskEngine) -> FaqAdmin:
    """Register ``/faq``, its buttons and its dialogue states on ``engine``."""
    admin = FaqAdmin(engine)
    engine.commands[COMMAND] = admin.on_command
    for action in ACTIONS:
        engine.buttons[action] = admin.on_button
    for state in STATES:
        engine.text_states[state] = admin.on_text
    return admin


__all__ = ["COMMAND", "STATES", "FaqAdmin", "install_faq_admin"]
