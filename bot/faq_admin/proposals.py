"""Drafts proposed by specialists from resolved tickets (``/faq propose``) and their review by admins:
drafts, draft, approve, reject."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.core.records import Conversation, Ticket, TicketStatus
from bot.core.types import (
    CATEGORIES,
    LANGUAGES,
    Button,
    InboundMessage,
)
from bot.engine.ticket_lookup import find_ticket
from bot.faq_admin.drafts import (
    DraftStatus,
    FaqDraft,
    draft_entry,
    draft_question,
    specialist_answer,
    suggest_entry_id,
)

if TYPE_CHECKING:
    pass
from bot.faq_admin.action import AdminAction
from bot.faq_admin.editing import FaqEditing
from bot.faq_admin.rules import (
    A_CATEGORY,
    A_DRAFT,
    A_STOP,
    DRAFTS_SHOWN,
    SHOW_ANSWER_CHARS,
    STATE_DRAFT,
    answer_problem,
    clean_answer,
    id_problem,
    phrasing_problem,
    split_args,
)


class FaqProposals(FaqEditing):
    """Drafts from specialists and their review."""

    def propose(self, act: AdminAction, rest: str) -> None:
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

    def _ticket_for(self, act: AdminAction, rest: str) -> tuple[Ticket | None, str]:
        """The ticket ``/faq propose`` means: ``#N`` or ``N``, else the thread or replied message."""
        if not isinstance(act.event, InboundMessage):
            return None, rest
        return find_ticket(act.turn, act.event, rest)

    def _draft_card(self, act: AdminAction, draft: FaqDraft) -> str:
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

    def _decided(self, act: AdminAction, draft: FaqDraft) -> None:
        act.tell("faq_draft_decided", number=draft.number, status=act.t(f"faq_draft_status_{draft.status}"))

    def _show_draft(self, act: AdminAction, draft: FaqDraft) -> None:
        buttons: tuple[Button, ...] = ()
        if draft.is_pending:
            buttons = (
                Button(act.t("faq_btn_approve"), A_DRAFT, f"ok:{draft.id}"),
                Button(act.t("faq_btn_edit"), A_DRAFT, f"ed:{draft.id}"),
                Button(act.t("faq_btn_reject"), A_DRAFT, f"no:{draft.id}"),
            )
        act.say(self._draft_card(act, draft), buttons)

    def _draft(self, act: AdminAction, value: str) -> FaqDraft | None:
        number = value.strip().lstrip("#").upper().removeprefix("D")
        draft = act.uow.drafts.get(int(number)) if number.isascii() and number.isdigit() else None
        if draft is None:
            act.tell("faq_no_such_draft", number=value.strip()[:20] or "?")
        return draft

    def drafts(self, act: AdminAction, rest: str) -> None:
        """``/faq drafts``: every draft waiting for an admin, each with its buttons."""
        waiting = act.uow.drafts.pending()
        if not waiting:
            act.tell("faq_no_drafts")
            return
        act.tell("faq_drafts_head", count=len(waiting))
        for draft in waiting[:DRAFTS_SHOWN]:
            self._show_draft(act, draft)

    def draft(self, act: AdminAction, rest: str) -> None:
        """``/faq draft N [question|answer|id|category|lang VALUE]``: show or edit a draft."""
        number, rest = split_args(rest)
        if not number:
            act.tell("faq_usage", usage=act.t("faq_usage_draft"))
            return
        draft = self._draft(act, number)
        if draft is None:
            return
        field, value = split_args(rest)
        if not field:
            self._show_draft(act, draft)
            return
        if not draft.is_pending:
            self._decided(act, draft)
            return
        if self._set_draft_field(act, draft, field.lower(), value):
            self._show_draft(act, draft)

    def _set_draft_field(self, act: AdminAction, draft: FaqDraft, field: str, value: str) -> bool:
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

    def approve(self, act: AdminAction, rest: str) -> None:
        """``/faq approve N [ID|- [CATEGORY]]``: create the entry from draft N."""
        number, rest = split_args(rest)
        if not number:
            act.tell("faq_usage", usage=act.t("faq_usage_approve"))
            return
        draft = self._draft(act, number)
        if draft is None:
            return
        entry_id, rest = split_args(rest)
        category, _ = split_args(rest)
        self._approve(act, draft, "" if entry_id == "-" else entry_id, category)

    def _approve(self, act: AdminAction, draft: FaqDraft, entry_id: str, category: str) -> bool:
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

    def reject(self, act: AdminAction, rest: str) -> None:
        """``/faq reject N [reason]``."""
        number, reason = split_args(rest)
        if not number:
            act.tell("faq_usage", usage=act.t("faq_usage_reject"))
            return
        draft = self._draft(act, number)
        if draft is not None:
            self._reject(act, draft, reason.strip())

    def _reject(self, act: AdminAction, draft: FaqDraft, reason: str) -> None:
        if not draft.is_pending:
            self._decided(act, draft)
            return
        draft.status = DraftStatus.REJECTED
        draft.decided_by = act.event.sender.key
        draft.decided_at = act.turn.now
        draft.decision_note = reason[:500]
        act.audit("faq.reject", draft.number, reason=reason[:200])
        act.replace_pressed(act.t("faq_draft_rejected", number=draft.number, name=act.event.sender.label))

    def _draft_button(self, act: AdminAction, conv: Conversation | None, value: str) -> None:
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
